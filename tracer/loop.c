/* loop.c - the supervisor's event loop: the listener, tracee stops and
 * exits (SIGCHLD), and signals to forward, until no tracee is left.
 *
 * Every thread and descendant is seized (PTRACE_O_TRACEFORK|VFORK|CLONE),
 * as strace -f does, so that any of them can be stopped for injection and
 * so that remap_file_pages never returns EINTR (see fix_restart()).
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_job.h"
#include "rt_follow.h"
#include "rt_report.h"
#include "rt_inherit.h"
#include "rt_loop.h"
#include "rt_notify.h"
#include "rt_util.h"

/* How often agents are checked for patience while events keep coming. */
#define RT_TICK_NS	100000000ULL
/* How long the program has to end after a terminating signal. */
#define RT_TERM_GRACE_MS	1000

/*
 * A signal interrupted a call while its notification waited (before the
 * supervisor received it, or before 5.19 at any time).  None of the calls
 * the filter sends returns EINTR natively (remap_file_pages, a shared
 * mmap, mlock...), but seccomp's wait gives -ERESTARTSYS, which a handler
 * without SA_RESTART turns into EINTR.  -ERESTARTNOINTR restarts the call
 * after the handler in every case (arch/x86/kernel/signal.c), and the
 * restarted call notifies again.
 */
static void
fix_restart(pid_t pid)
{
	const struct rt_arch *abi;
	struct rt_regs regs;

	if (rt_arch_getregs(pid, &regs) < 0)
		return;
	/* A 32-bit thread's i386 call too (the same x86 signal code); a
	 * 64-bit thread's int 0x80 cannot be told from its registers. */
	abi = rt_arch_abi_regs(&regs);
	if (!abi || !abi->can_inject ||
	    rt_arch_retreg(&regs) != -RT_ERESTARTSYS ||
	    !rt_follow_notified(abi, rt_arch_syscall_nr(&regs)))
		return;
	rt_arch_set_retreg(&regs, -RT_ERESTARTNOINTR);
	rt_arch_setregs(pid, &regs);
}

static bool
is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* A new task from clone/fork/vfork: which process, and whose mappings. */
static void
new_task(struct rt_ctx *ctx, pid_t parent, int event)
{
	unsigned long msg = 0;
	pid_t child, ptgid, ctgid;

	if (ptrace(PTRACE_GETEVENTMSG, parent, NULL, &msg) < 0)
		return;
	child = (pid_t)msg;
	/* -ff: its file from its first moment, thread or process, as strace
	 * opens one at each attach (sinks.c). */
	if (rt_sinks_per_process(ctx))
		rt_sinks_fd(ctx, child);
	ptgid = rt_procs_tgid(&ctx->tr.procs, parent);
	if (event == PTRACE_EVENT_CLONE) {
		rt_procs_del(&ctx->tr.procs, child);
		ctgid = rt_procs_tgid(&ctx->tr.procs, child);	/* reads /proc */
		if (ctgid != child)
			return;		/* a thread: same process */
	}
	/* (what an untraced process of the same id left behind is not the
	 * child's: its maps, its open files) */
	if (rt_procs_forget_stale(&ctx->tr.procs, child))
		rt_ident_drop(&ctx->tr.ident, child);
	rt_procs_add(&ctx->tr.procs, child, child);
	rt_procs_fork(&ctx->tr.procs, ptgid, child);
	rt_ident_fork(&ctx->tr.ident, ptgid, child);
}

/* After execve the process has a fresh address space, and the thread
 * that called it now carries the process id (the former id in msg).
 * Returns true when the thread stays stopped until its old agent is gone
 * (rt_agent_drop()). */
static bool
exec_done(struct rt_ctx *ctx, pid_t pid)
{
	unsigned long former = 0;

	if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &former) == 0 &&
	    (pid_t)former != pid)
		rt_procs_del(&ctx->tr.procs, (pid_t)former);
	rt_procs_add(&ctx->tr.procs, pid, pid);
	rt_procs_drop_proc(&ctx->tr.procs, pid);
	rt_ident_drop(&ctx->tr.ident, pid);
	/* Its agent shares the old address space, not the new one. */
	return rt_agent_drop(ctx, pid, pid);
}

static void
task_gone(struct rt_ctx *ctx, pid_t pid)
{
	pid_t tgid = rt_procs_tgid(&ctx->tr.procs, pid);

	rt_procs_del(&ctx->tr.procs, pid);
	if (tgid == pid || tgid < 0)
		rt_follow_gone(ctx, pid);
}

/*
 * Forget the processes that ended untraced (rt_procs_gone_untraced()):
 * remaptrace sees no exit of those, and each kept a pidfd and a maps
 * descriptor here, and 12 KiB.
 */
static void
sweep_untraced(struct rt_ctx *ctx)
{
	struct rt_procs *p = &ctx->tr.procs;
	_cleanup_free_ pid_t *gone = NULL;
	size_t i, n, max = p->np + p->n;

	gone = malloc((max ? max : 1) * sizeof(*gone));
	if (!gone)
		return;
	n = rt_procs_gone_untraced(p, gone, max);
	for (i = 0; i < n; i++)
		rt_follow_gone(ctx, gone[i]);
}

static void
handle_status(struct rt_ctx *ctx, pid_t pid, int status)
{
	int sig, event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		task_gone(ctx, pid);
		if (ctx->tr.ntracees)
			ctx->tr.ntracees--;
		if (pid == ctx->tr.child) {
			ctx->tr.child_done = true;
			ctx->tr.child_status = status;
		}
		if (pid == ctx->tr.child || ctx->opt.verbose)
			rt_report_exit(ctx, pid, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	sig = WSTOPSIG(status);
	event = status >> 16;
	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		ctx->tr.ntracees++;
		new_task(ctx, pid, event);
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	case PTRACE_EVENT_EXEC:
		if (!exec_done(ctx, pid))
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	case PTRACE_EVENT_STOP:
		/* Job control: stay stopped, but let us see SIGCONT. */
		if (is_stop_signal(sig)) {
			ptrace(PTRACE_LISTEN, pid, NULL, NULL);
			return;
		}
		/* A new task's first stop: held if it may have inherited a
		 * descriptor installed for an emulation (inherit.c). */
		if (rt_procs_first_stop(&ctx->tr.procs, pid) &&
		    rt_inherit_hold(ctx, pid))
			return;
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	case 0:
		if (sig == (SIGTRAP | 0x80)) {
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			return;
		}
		fix_restart(pid);
		rt_report_signal(ctx, pid, sig);
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		return;
	default:
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	}
}

/*
 * A wait status: first the job in flight's, if it waits for this thread
 * (its stop, or a frozen thread's); else the tracee table's.
 */
static void
dispatch_status(struct rt_ctx *ctx, pid_t pid, int status)
{
	enum rt_job_route r = rt_job_status(ctx, pid, status);

	if (r == RT_JOB_TOOK)
		return;
	handle_status(ctx, pid, status);
	if (r == RT_JOB_LOST)
		rt_job_run(ctx);
}

/* Returns true when no tracee is left. */
static bool
reap_all(struct rt_ctx *ctx)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, __WALL | WNOHANG);
		if (pid > 0) {
			dispatch_status(ctx, pid, status);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		return pid < 0 && errno == ECHILD;
	}
}

/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to remaptrace by a process go
 * to the program.  From the terminal (SI_KERNEL) they reached the whole
 * foreground process group already: forwarding would deliver them twice.
 */
static bool
read_signals(struct rt_ctx *ctx)
{
	struct signalfd_siginfo si;
	bool chld = false;

	while (read(ctx->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			chld = true;
			continue;
		}
		/* The program may ignore it, or a hostile one hold us up:
		 * remaptrace itself ends within RT_TERM_GRACE_MS. */
		if (!ctx->term_sig) {
			ctx->term_sig = (int)si.ssi_signo;
			ctx->term_at = rt_now_ns() +
				       RT_TERM_GRACE_MS * 1000000ULL;
		}
		if (si.ssi_code <= 0 && !ctx->tr.child_done && ctx->tr.child > 0)
			kill(ctx->tr.child, si.ssi_signo);
	}
	return chld;
}

/* The signalfd is readable: forward signals, serve wait statuses. */
static void
loop_service(struct rt_ctx *ctx)
{
	if (read_signals(ctx) && reap_all(ctx))
		ctx->all_gone = true;
}

/* How long epoll_wait may sleep: agents owing results, a grace ending. */
static int
timeout(const struct rt_ctx *ctx)
{
	int ms = rt_agent_timeout(ctx);
	uint64_t now, left;

	if (!ctx->term_sig)
		return ms;
	now = rt_now_ns();
	left = ctx->term_at > now ? (ctx->term_at - now) / 1000000 + 1 : 0;
	return ms < 0 || (uint64_t)ms > left ? (int)left : ms;
}

/*
 * One epoll set for the life of the loop: the signalfd, the listener, and
 * (agent.c adds them) the agents' sockets for hang-up only.  Unlike poll,
 * nothing is registered and unregistered per wait, which a 20 us call
 * notices.
 */
int
rt_loop_run(struct rt_ctx *ctx)
{
	struct epoll_event ev[8], add = { .events = EPOLLIN };
	uint64_t tick_at = 0;
	int r, i, n;

	if (reap_all(ctx))
		return 0;
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx->epfd < 0)
		return -errno;
	add.data.fd = ctx->sigfd;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->sigfd, &add) < 0)
		return -errno;
	add.data.fd = ctx->listener;
	if (ctx->listener >= 0 &&
	    epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->listener, &add) < 0)
		return -errno;
	for (;;) {
		/* Kept while a job or an agent ran: first serve those. */
		if (ctx->nstash && !rt_job_busy(ctx)) {
			r = rt_notify_handle(ctx);
			if (r < 0)
				return r;
			continue;
		}
		if (ctx->all_gone)
			return 0;
		if (ctx->term_sig && rt_now_ns() >= ctx->term_at)
			return -ECANCELED;
		/* Agents that owe results are the program's: never waited
		 * for without a bound (agent.c). */
		n = epoll_wait(ctx->epfd, ev, 8, timeout(ctx));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == ctx->sigfd) {
				loop_service(ctx);
			} else if (fd == ctx->listener) {
				if (ev[i].events & EPOLLIN) {
					r = rt_notify_handle(ctx);
					if (r < 0)
						return r;
				} else {
					/* no filtered task is left */
					epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, fd,
						  NULL);
				}
			} else {
				/* An agent's results, or its end. */
				rt_agent_event(ctx, fd);
			}
			if (ctx->all_gone)
				return 0;
		}
		/* Agents that keep results too long are dropped, even while
		 * events keep coming. */
		if (n == 0 || rt_now_ns() >= tick_at) {
			rt_agent_tick(ctx);
			tick_at = rt_now_ns() + RT_TICK_NS;
		}
		/* A job waiting for an agent looks again at what changed. */
		if (rt_job_busy(ctx) && ctx->job->wait == RT_JOB_AGENT)
			rt_job_run(ctx);
		rt_inherit_release(ctx);
		if (!rt_job_busy(ctx) && rt_procs_sweep_due(&ctx->tr.procs))
			sweep_untraced(ctx);
	}
}
