/* rt_inject.h - system calls run inside a stopped thread (tracer/inject.c). */
#ifndef RT_INJECT_H
#define RT_INJECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt_arch.h"

/* One system call for a stopped thread to run. */
struct rt_sys {
	long nr;
	uint64_t args[6];
	uint64_t pc;		/* its syscall instruction; 0: the thread's own */
};

/*
 * What a sequence of injected calls (a generator: emulate.c, fileobj.c,
 * agent.c, inherit.c) says when asked for its next step: RT_SYS_CALL, with
 * the call to run filled in (it is asked again with the call's result), or
 * RT_SYS_DONE.
 */
#define RT_SYS_DONE	0
#define RT_SYS_CALL	1

struct rt_inject {
	pid_t tid;
	pid_t tgid;
	/* The ABI of the call the thread is in, NULL: the native one.  Kept
	 * by rt_inject_take(); injected calls use its numbers and its
	 * syscall instruction (int 0x80 for an i386 call). */
	const struct rt_arch *abi;
	struct rt_regs saved;		/* registers at the first stop */
	struct rt_regs regs;		/* of the call in flight */
	uint64_t after;			/* its pc once run (single-step) */
	uint64_t saved_mask;		/* its blocked signals */
	int deliver;			/* signal to deliver on resume, or 0 */
	/* A signal-delivery-stop's siginfo, queued again in the thread by
	 * the first injected call (requeue()), so that it survives being
	 * resumed from a syscall stop. */
	siginfo_t info;
	bool have_info;			/* info is to be queued again */
	bool requeuing;			/* the call in flight queues it */
	struct rt_sys next;		/* then this call */
	bool group_stop;		/* first stop was a job-control stop */
	bool stopped;			/* caught in a ptrace-stop */
	bool have_regs;			/* saved is valid */
	bool have_mask;			/* saved_mask is valid, all blocked */
	bool step;			/* single-step injected calls */
	bool entered;			/* its syscall-entry stop was seen */
	unsigned int stops;		/* ptrace stops met */
};

/* Is wait status @status the end of the thread for an injection? */
bool rt_inject_gone(int status);

/**
 * rt_inject_take() - @tid is in a ptrace-stop (wait status @status, or -1
 * when it was consumed elsewhere): save its registers and signal mask and
 * block every signal, so that injected calls run without a
 * signal-delivery-stop in between.  With @step, injected calls are
 * single-stepped: the caller guarantees SIGTRAP is not ignored by the
 * tracee, and SIGTRAP is left unblocked for the step's trap.  Returns 0 or
 * -errno; the thread is ours to resume either way (in->stopped).
 */
int rt_inject_take(struct rt_inject *in, pid_t tid, pid_t tgid, int status,
		   bool step);

/* rt_inject_arm() - load call @s and resume the thread to run it. */
int rt_inject_arm(struct rt_inject *in, const struct rt_sys *s);

/*
 * rt_inject_on_stop() - the next stop of a thread running an armed call:
 * RT_INJECT_MORE (resumed again, the call goes on), RT_INJECT_DONE (*ret
 * is its raw result), or -errno.
 */
#define RT_INJECT_MORE	0
#define RT_INJECT_DONE	1
int rt_inject_on_stop(struct rt_inject *in, int status, long *ret);

/**
 * rt_inject_detach() - give the stopped thread back its signal mask and
 * stop tracing it (PTRACE_DETACH); registers are left as they are.
 */
int rt_inject_detach(struct rt_inject *in);

/*
 * rt_inject_restart() - like rt_inject_end(), but the thread executes the
 * emulated call's syscall instruction again with its original arguments,
 * as the kernel restarts an interrupted call.
 */
int rt_inject_restart(struct rt_inject *in);

/**
 * rt_inject_end() - restore registers and mask, make the emulated call
 * return @retval, and resume the thread.  Safe after a failed
 * rt_inject_take() or a failed call: whatever was saved is restored and a
 * stopped thread is always resumed.  Returns 0, -ESRCH or -errno.
 */
int rt_inject_end(struct rt_inject *in, long retval);

/*
 * rt_inject_aborted() - was the caught call's notification aborted?  A
 * signal or an interrupt that came before the answer (before 5.19: at any
 * time, even as the answer landed) ends seccomp's wait with -ERESTARTSYS,
 * and the call was not run: neither the kernel's nor an answered one.
 */
bool rt_inject_aborted(const struct rt_inject *in);

/*
 * rt_inject_release() - rt_inject_end() with the call's own result, as the
 * kernel left it in the registers; an aborted call (rt_inject_aborted())
 * is restarted instead, as the kernel restarts it when no handler runs.
 * Never -ERESTARTSYS to the program: resuming with it in the registers
 * and no restart pending would return it as an errno (512).
 */
int rt_inject_release(struct rt_inject *in);

#endif
