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
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_arch.h"
#include "rt_tracer.h"

/*
 * Wait for the next stop of @tid.  Every other tracee's status that comes
 * meanwhile goes to the loop: a dying thread group reports its leader's
 * exit only after all other threads are reaped (delay_group_leader()), so
 * waiting for the leader alone could wait for ever.  An exit of @tid, or
 * an exec that another thread made under @tid's id (de_thread() killed
 * the caller), means the call is gone.
 */
static int
wait_stop(struct rt_ctx *ctx, pid_t tid, int *status)
{
	pid_t p;

	for (;;) {
		p = waitpid(-1, status, __WALL);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return errno == ECHILD ? -ESRCH : -errno;
		if (p != tid) {
			rt_loop_handle_status(ctx, p, *status);
			continue;
		}
		if (WIFSTOPPED(*status) &&
		    (*status >> 16) != PTRACE_EVENT_EXEC)
			return 0;
		rt_loop_handle_status(ctx, tid, *status);
		return -ESRCH;
	}
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
	if (!rt_arch_is_native(&in->saved))
		return rt_arch_check_syscall_insn(in->tid, &in->saved);
	return 0;
}

int
rt_inject_here(struct rt_ctx *ctx, pid_t tid, struct rt_inject *in)
{
	memset(in, 0, sizeof(*in));
	in->tid = tid;
	in->tgid = rt_procs_tgid(&ctx->procs, tid);
	in->stopped = true;
	return take(in);
}

int
rt_inject_begin(struct rt_ctx *ctx, pid_t tid, struct rt_inject *in,
		bool step)
{
	int status, r, sig, event;

	memset(in, 0, sizeof(*in));
	in->tid = tid;
	in->tgid = rt_procs_tgid(&ctx->procs, tid);
	in->step = step;
	r = wait_stop(ctx, tid, &status);
	if (r < 0)
		return r;
	in->stops++;
	in->stopped = true;
	sig = WSTOPSIG(status);
	event = status >> 16;
	if (event == PTRACE_EVENT_STOP) {
		/* Our interrupt (SIGTRAP), or a job-control stop that came
		 * first; either way the thread sits on its way back to user
		 * space and can be borrowed. */
		in->group_stop = sig != SIGTRAP;
	} else if (event == 0 && !is_syscall_stop(status)) {
		/* A signal-delivery-stop came first: deliver it afterwards. */
		in->deliver = sig;
	}
	return take(in);
}

/* Resume with PTRACE_SYSCALL until a syscall stop; skip the trap of a
 * PTRACE_INTERRUPT that a job-control stop overtook. */
static int
step_to_syscall_stop(struct rt_ctx *ctx, struct rt_inject *in)
{
	int status, r;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, in->tid, NULL, NULL) < 0)
			return -errno;
		r = wait_stop(ctx, in->tid, &status);
		if (r < 0)
			return r;
		in->stops++;
		if (is_syscall_stop(status))
			return 0;
		note_group_stop(in, status);
		/* PTRACE_EVENT_STOP (a late interrupt or job control):
		 * registers are untouched, go on. */
	}
}

/*
 * Single-step over the syscall instruction: the kernel reports the step
 * at syscall exit (report_single_step()) as a SIGTRAP signal-delivery-
 * stop with the pc after the instruction; one stop per call.  Any other
 * stop (a job-control stop, a late interrupt, a signal that was pending
 * before the call ran, which shows the pc still on the instruction) is
 * stepped over again; such a signal is delivered after the emulated call.
 */
static int
step_over_syscall(struct rt_ctx *ctx, struct rt_inject *in,
		  struct rt_regs *regs)
{
	uint64_t after = rt_arch_pc(regs) + rt_arch_native.syscall_len;
	int status, r, sig;

	for (;;) {
		if (ptrace(PTRACE_SINGLESTEP, in->tid, NULL, NULL) < 0)
			return -errno;
		r = wait_stop(ctx, in->tid, &status);
		if (r < 0)
			return r;
		in->stops++;
		if (status >> 16) {
			note_group_stop(in, status);
			continue;
		}
		r = rt_arch_getregs(in->tid, regs);
		if (r < 0)
			return r;
		sig = WSTOPSIG(status);
		if (sig == SIGTRAP && rt_arch_pc(regs) == after)
			return 0;
		if (!in->deliver)
			in->deliver = sig;
		rt_arch_setregs(in->tid, regs);
	}
}

int
rt_inject_call(struct rt_ctx *ctx, struct rt_inject *in, long nr,
	       const uint64_t args[6], long *ret)
{
	return rt_inject_call_at(ctx, in, 0, nr, args, ret);
}

int
rt_inject_call_at(struct rt_ctx *ctx, struct rt_inject *in, uint64_t pc,
		  long nr, const uint64_t args[6], long *ret)
{
	struct rt_regs regs;
	int r;

	rt_arch_setup_call(&regs, &in->saved, nr, args);
	if (pc)
		rt_arch_set_pc(&regs, pc);
	r = rt_arch_setregs(in->tid, &regs);
	if (r < 0)
		return r;
	if (in->step) {
		r = step_over_syscall(ctx, in, &regs);
		if (r < 0)
			return r;
		*ret = rt_arch_retval(&regs);
		return 0;
	}
	r = step_to_syscall_stop(ctx, in);	/* entry */
	if (r < 0)
		return r;
	r = step_to_syscall_stop(ctx, in);	/* exit */
	if (r < 0)
		return r;
	r = rt_arch_getregs(in->tid, &regs);
	if (r < 0)
		return r;
	*ret = rt_arch_retval(&regs);
	return 0;
}

int
rt_inject_detach(struct rt_ctx *ctx, struct rt_inject *in)
{
	(void)ctx;
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
finish(struct rt_ctx *ctx, struct rt_inject *in, long retval, bool restart)
{
	struct rt_regs regs;
	int r;

	(void)ctx;
	if (!in->stopped)
		return -ESRCH;
	if (in->have_regs) {
		if (restart)
			rt_arch_restart(&regs, &in->saved,
					rt_arch_syscall_nr(&in->saved));
		else
			rt_arch_finish(&regs, &in->saved, retval);
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
rt_inject_end(struct rt_ctx *ctx, struct rt_inject *in, long retval)
{
	return finish(ctx, in, retval, false);
}

int
rt_inject_restart(struct rt_ctx *ctx, struct rt_inject *in)
{
	return finish(ctx, in, 0, true);
}
