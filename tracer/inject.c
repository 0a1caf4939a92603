/* inject.c - run system calls inside a stopped tracee thread (ptrace),
 * then give it back as if the emulated call had just returned.
 *
 * The thread is caught in the ptrace-stop that follows the answer to its
 * notification (PTRACE_INTERRUPT issued before the answer).  Each injected
 * call reuses the syscall instruction the thread has just executed: the
 * program counter is moved back over it, the registers loaded, and
 * PTRACE_SYSCALL runs to the syscall-entry and syscall-exit stops.  All
 * signals are blocked meanwhile and the mask restored before the thread
 * resumes, so a signal that arrived is delivered once, after the call.
 *
 * Nothing here waits.  Each function acts on a thread in a ptrace-stop
 * and returns; the loop (loop.c) hands the thread's next stop to
 * rt_inject_on_stop() through its job (job.c).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_arch.h"
#include "rt_inject.h"

/*
 * The call's ABI, when it is not the native one (an i386 call): its
 * numbers, syscall instruction and return register (rt_arch.h).
 */
static bool
foreign(const struct rt_inject *in)
{
	return in->abi && !in->abi->native;
}

static long
retval(const struct rt_inject *in)
{
	return foreign(in) ? rt_arch_abi_retval(in->abi, &in->regs) :
			     rt_arch_retval(&in->regs);
}

static bool
is_syscall_stop(int status)
{
	return WSTOPSIG(status) == (SIGTRAP | 0x80) && (status >> 16) == 0;
}

/* A job-control stop of the group, met while the thread is ours. */
static void
note_group_stop(struct rt_inject *in, int status)
{
	int sig = WSTOPSIG(status);

	if ((status >> 16) == PTRACE_EVENT_STOP &&
	    (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	     sig == SIGTTOU))
		in->group_stop = true;
}

/* Save registers and mask of the stopped thread, block its signals. */
static int
take(struct rt_inject *in)
{
	uint64_t all = in->step ? ~(1ULL << (SIGTRAP - 1)) : ~0ULL;
	int r;

	r = rt_arch_getregs(in->tid, &in->saved);
	if (r < 0)
		return r;
	in->have_regs = true;
	if (ptrace(PTRACE_GETSIGMASK, in->tid, sizeof(in->saved_mask),
		   &in->saved_mask) < 0)
		return -errno;
	if (ptrace(PTRACE_SETSIGMASK, in->tid, sizeof(all), &all) < 0)
		return -errno;
	in->have_mask = true;
	/*
	 * A notification of the native arch means the thread executed the
	 * native syscall instruction (int 0x80 from a 64-bit task reports
	 * the i386 arch, which the filter does not send): checking the
	 * bytes before the pc costs a PEEKTEXT per call for nothing, so it
	 * is done only when the registers say another ABI.
	 */
	if (foreign(in))
		return rt_arch_abi_check_insn(in->abi, in->tid, &in->saved);
	if (!rt_arch_is_native(&in->saved))
		return rt_arch_check_syscall_insn(in->tid, &in->saved);
	return 0;
}

bool
rt_inject_gone(int status)
{
	/* An exit, or an exec that another thread made under this id
	 * (de_thread() killed the caller): the call is gone. */
	return !WIFSTOPPED(status) || (status >> 16) == PTRACE_EVENT_EXEC;
}

int
rt_inject_take(struct rt_inject *in, pid_t tid, pid_t tgid, int status,
	       bool step)
{
	const struct rt_arch *abi = in->abi;
	int sig, event;

	memset(in, 0, sizeof(*in));
	in->abi = abi;
	in->tid = tid;
	in->tgid = tgid;
	in->step = step;
	in->stopped = true;
	if (status >= 0) {
		in->stops++;
		sig = WSTOPSIG(status);
		event = status >> 16;
		if (event == PTRACE_EVENT_STOP) {
			/* Our interrupt (SIGTRAP), or a job-control stop that
			 * came first; either way the thread sits on its way
			 * back to user space and can be borrowed. */
			in->group_stop = sig != SIGTRAP;
		} else if (event == 0 && !is_syscall_stop(status)) {
			/* A signal-delivery-stop came first: deliver it
			 * afterwards, with its siginfo (requeue()). */
			in->deliver = sig;
			/* (SIGSTOP cannot wait blocked: it would stop
			 * the thread amid the injection, and be lost) */
			in->have_info = !foreign(in) && sig != SIGSTOP &&
					!(step && sig == SIGTRAP) &&
					ptrace(PTRACE_GETSIGINFO, tid, NULL,
					       &in->info) == 0;
		}
	}
	return take(in);
}

static int
resume(struct rt_inject *in)
{
	if (ptrace(in->step ? PTRACE_SINGLESTEP : PTRACE_SYSCALL, in->tid,
		   NULL, NULL) < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	return 0;
}

/*
 * The thread was caught in a signal-delivery-stop: the signal is taken
 * from its queue, and once calls are injected it can only be given back
 * from a syscall stop, where the kernel sends it anew with no siginfo of
 * its own (ptrace_report_syscall(): SI_KERNEL, no sender, no value).  So
 * the first injected call is rt_tgsigqueueinfo() to the thread itself,
 * which may queue any siginfo (kernel/signal.c: only a sender other than
 * the target is held to negative codes); blocked until the thread's mask
 * is restored, it is delivered as it came.  Its siginfo goes 16 KiB
 * below the red zone of the thread's stack, clear of what a caller of
 * rt_inject_arm() put just below the red zone for @s (a path of up to
 * PATH_MAX: fileobj.c).  An RT signal queued meanwhile now comes before
 * it.  Returns 0 (*@q: the call to run first; @s waits in in->next) or
 * -errno (then the signal is delivered as before, without its siginfo).  The job engine decides
 * whether it may be tried (job.c: may_requeue()).
 */
#define RT_REQUEUE_GAP	16384
static int
requeue(struct rt_inject *in, const struct rt_sys *s, struct rt_sys *q)
{
	struct iovec l = { &in->info, sizeof(in->info) }, r;
	uint64_t at;

	at = (rt_arch_sp(&in->saved) - rt_arch_red_zone - RT_REQUEUE_GAP -
	      sizeof(in->info)) & ~15ULL;
	r = (struct iovec){ (void *)at, sizeof(in->info) };
	if (process_vm_writev(in->tid, &l, 1, &r, 1, 0) != sizeof(in->info))
		return -EFAULT;
	in->next = *s;
	in->requeuing = true;
	*q = (struct rt_sys){
		.nr = SYS_rt_tgsigqueueinfo,
		.args = { (uint64_t)in->tgid, (uint64_t)in->tid,
			  (uint64_t)in->deliver, at },
	};
	return 0;
}

int
rt_inject_arm(struct rt_inject *in, const struct rt_sys *s)
{
	struct rt_sys q;
	int r;

	/* (only ever in the native ABI: rt_inject_take()) */
	if (in->have_info) {
		in->have_info = false;
		if (requeue(in, s, &q) == 0)
			s = &q;
	}
	if (foreign(in)) {
		r = rt_arch_abi_setup_call(in->abi, &in->regs, &in->saved,
					   s->nr, s->args);
		if (r < 0)
			return r;
	} else {
		rt_arch_setup_call(&in->regs, &in->saved, s->nr, s->args);
	}
	if (s->pc)
		rt_arch_set_pc(&in->regs, s->pc);
	in->after = rt_arch_pc(&in->regs) +
		    (foreign(in) ? in->abi : &rt_arch_native)->syscall_len;
	in->entered = false;
	r = rt_arch_setregs(in->tid, &in->regs);
	return r < 0 ? r : resume(in);
}

/*
 * Without single-stepping: the syscall-entry stop, then the exit stop,
 * where the result is read.  A PTRACE_EVENT_STOP between them (a late
 * interrupt or job control) leaves the registers untouched: go on.
 *
 * Single-stepped: the kernel reports the step at syscall exit
 * (report_single_step()) as a SIGTRAP signal-delivery-stop with the pc
 * after the instruction; one stop per call.  Any other stop (a job-control
 * stop, a late interrupt, a signal that was pending before the call ran,
 * which shows the pc still on the instruction) is stepped over again; such
 * a signal is delivered after the emulated call.
 */
/* The requeue is done (@ret): now the call it went before. */
static int
requeued(struct rt_inject *in, long ret)
{
	int r;

	in->requeuing = false;
	if (ret == 0)
		in->deliver = 0;	/* pending in the thread, blocked */
	r = rt_inject_arm(in, &in->next);
	return r < 0 ? r : RT_INJECT_MORE;
}

int
rt_inject_on_stop(struct rt_inject *in, int status, long *ret)
{
	int r, sig;

	in->stops++;
	if (!in->step) {
		if (!is_syscall_stop(status)) {
			note_group_stop(in, status);
		} else if (!in->entered) {
			in->entered = true;
		} else {
			r = rt_arch_getregs(in->tid, &in->regs);
			if (r < 0)
				return r;
			*ret = retval(in);
			if (in->requeuing)
				return requeued(in, *ret);
			return RT_INJECT_DONE;
		}
		r = resume(in);
		return r < 0 ? r : RT_INJECT_MORE;
	}
	if (status >> 16) {
		note_group_stop(in, status);
	} else {
		r = rt_arch_getregs(in->tid, &in->regs);
		if (r < 0)
			return r;
		sig = WSTOPSIG(status);
		if (sig == SIGTRAP && rt_arch_pc(&in->regs) == in->after) {
			*ret = retval(in);
			if (in->requeuing)
				return requeued(in, *ret);
			return RT_INJECT_DONE;
		}
		if (!in->deliver)
			in->deliver = sig;
		rt_arch_setregs(in->tid, &in->regs);
	}
	r = resume(in);
	return r < 0 ? r : RT_INJECT_MORE;
}

int
rt_inject_detach(struct rt_inject *in)
{
	if (!in->stopped)
		return -ESRCH;
	if (in->have_mask && ptrace(PTRACE_SETSIGMASK, in->tid,
				    sizeof(in->saved_mask),
				    &in->saved_mask) < 0)
		return -errno;
	in->stopped = false;
	if (ptrace(PTRACE_DETACH, in->tid, NULL,
		   (void *)(long)in->deliver) < 0)
		return -errno;
	return 0;
}

static int
finish(struct rt_inject *in, long ret, bool restart)
{
	struct rt_regs regs;
	int r;

	if (!in->stopped)
		return -ESRCH;
	if (in->have_regs) {
		if (foreign(in) && restart)
			rt_arch_abi_restart(in->abi, &regs, &in->saved,
					    rt_arch_syscall_nr(&in->saved));
		else if (foreign(in))
			rt_arch_abi_finish(in->abi, &regs, &in->saved, ret);
		else if (restart)
			rt_arch_restart(&regs, &in->saved,
					rt_arch_syscall_nr(&in->saved));
		else
			rt_arch_finish(&regs, &in->saved, ret);
		r = rt_arch_setregs(in->tid, &regs);
		if (r < 0)
			return r;
	}
	if (in->have_mask && ptrace(PTRACE_SETSIGMASK, in->tid,
				    sizeof(in->saved_mask),
				    &in->saved_mask) < 0)
		return -errno;
	in->stopped = false;
	/*
	 * The group was stopped (SIGSTOP, ^Z) while the thread was ours, and
	 * resuming it would let it run on alone.  A SIGSTOP queued now is
	 * taken on its way back to user space, before any of its code runs:
	 * it rejoins the group stop.  The group is SIGNAL_STOP_STOPPED
	 * already, so the parent is not told twice (do_signal_stop()).
	 */
	if (in->group_stop)
		syscall(SYS_tgkill, in->tgid, in->tid, SIGSTOP);
	/*
	 * From a syscall-exit stop the kernel queues a signal given here
	 * again (ptrace_report_syscall()), so one that was being delivered
	 * when we caught the thread still arrives, after the call.
	 */
	if (ptrace(PTRACE_CONT, in->tid, NULL, (void *)(long)in->deliver) < 0)
		return -errno;
	return 0;
}

int
rt_inject_end(struct rt_inject *in, long ret)
{
	return finish(in, ret, false);
}

/* The result the caught call's own registers hold. */
static long
own_retval(const struct rt_inject *in)
{
	return foreign(in) ? rt_arch_abi_retval(in->abi, &in->saved) :
			     rt_arch_retreg(&in->saved);
}

bool
rt_inject_aborted(const struct rt_inject *in)
{
	long ret = own_retval(in);

	return in->have_regs &&
	       (ret == -RT_ERESTARTSYS || ret == -RT_ERESTARTNOINTR);
}

int
rt_inject_release(struct rt_inject *in)
{
	if (rt_inject_aborted(in))
		return finish(in, 0, true);
	return finish(in, own_retval(in), false);
}

int
rt_inject_restart(struct rt_inject *in)
{
	return finish(in, 0, true);
}
