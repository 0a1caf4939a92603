/* follow.c - the calls the filter sends besides remap_file_pages:
 * shared mmaps and mremap duplicates (which open file backs which range,
 * ident.c), calls that can hide VM flags or change SIGTRAP's disposition
 * (how vmas.c and inject.c must work), and PTRACE_TRACEME.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/kcmp.h>

#include "rt_compat.h"
#include "rt_tracer.h"
#include "rt_util.h"

/* mmap flags that give a shared mapping no VM flag PROCMAP_QUERY hides */
#define RT_PLAIN_MAP_FLAGS (MAP_SHARED | MAP_SHARED_VALIDATE | MAP_FIXED | \
			    MAP_FIXED_NOREPLACE | MAP_POPULATE | \
			    MAP_NONBLOCK | MAP_ANONYMOUS | MAP_DENYWRITE | \
			    MAP_EXECUTABLE | MAP_FILE)

static void
mark_hidden_flags(struct rt_ctx *ctx, pid_t tgid)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, tgid);

	if (proc)
		proc->hidden_flags = true;
}

/*
 * Let the kernel run the call of the current notification, catching the
 * thread on its way out: the interrupt is pending before the answer, so
 * the thread stops before any of its own code runs.  Returns 0 with the
 * thread stopped in @in and *ret the call's result (the caller resumes it
 * with rt_inject_end(ctx, in, *ret)), or -1 when the call could only be
 * let through or the thread is gone.
 */
static int
continue_caught(struct rt_ctx *ctx, pid_t tid, struct rt_inject *in,
		long *ret)
{
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		rt_notify_respond(ctx, 0, 0, true);
		return -1;
	}
	if (rt_notify_respond(ctx, 0, 0, true) < 0)
		return -1;
	if (rt_inject_begin(ctx, tid, in, false) < 0) {
		rt_inject_end(ctx, in, rt_arch_retreg(&in->saved));
		return -1;
	}
	*ret = rt_arch_retreg(&in->saved);
	return 0;
}

/*
 * A shared mmap of a file by the tracee (tracer/ident.c): take its open
 * file with pidfd_getfd, let the kernel run the mmap with the thread
 * interrupted, and in the stop that follows read the address it returned.
 * The descriptor number could be swapped by another thread between our
 * pidfd_getfd and the kernel's fget (the notification's known TOCTOU);
 * that only mislabels the tracee's own mapping and is checked against
 * the inode when used.
 */
void
rt_follow_mmap(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	_cleanup_close_ int pidfd = -1, kfd = -1;
	struct rt_inject in;
	struct stat st;
	pid_t tgid;
	long ret;
	int64_t key;

	tgid = rt_procs_tgid(&ctx->procs, tid);
	if ((d->args[3] & ~RT_PLAIN_MAP_FLAGS) && tgid > 0)
		mark_hidden_flags(ctx, tgid);
	/* Shared anonymous memory has no descriptor to follow. */
	if (!ctx->ptrace_ok || (d->args[3] & MAP_ANONYMOUS))
		goto plain;
	pidfd = rt_notify_pidfd(tid);
	if (pidfd < 0 || tgid < 0 || rt_notify_id_valid(ctx) < 0)
		goto plain;
	kfd = syscall(SYS_pidfd_getfd, pidfd, (int)d->args[4], 0);
	/* /dev/zero is replaced by a new shmem file: nothing to follow. */
	if (kfd < 0 || fstat(kfd, &st) < 0 ||
	    (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5)))
		goto plain;
	if (continue_caught(ctx, tid, &in, &ret) < 0)
		return;
	if (ret >= 0 || ret < -4095) {
		key = rt_ident_adopt(&ctx->ident, kfd);
		if (key > 0) {
			kfd = -1;	/* owned by ident now */
			rt_ident_set_fd_hint(&ctx->ident, tgid, key,
					     (int)d->args[4]);
			if (rt_ident_record(&ctx->ident, tgid, (uint64_t)ret,
					    (d->args[1] + ctx->page_size - 1) &
					    ~(uint64_t)(ctx->page_size - 1),
					    d->args[5], key) == 0)
				ctx->stats.mmaps_followed++;
			else
				rt_ident_put_unused(&ctx->ident, key);
		}
	}
	rt_inject_end(ctx, &in, ret);
	return;
plain:
	rt_notify_respond(ctx, 0, 0, true);
}

/*
 * mremap(old, 0, len, MAYMOVE...) duplicates a shared mapping: the new
 * range maps the same open file.  Run it with the thread interrupted and
 * record where it landed.
 */
void
rt_follow_mremap(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	struct rt_inject in;
	pid_t tgid;
	long ret;

	tgid = rt_procs_tgid(&ctx->procs, tid);
	if (!ctx->ptrace_ok || tgid < 0) {
		rt_notify_respond(ctx, 0, 0, true);
		return;
	}
	if (continue_caught(ctx, tid, &in, &ret) < 0)
		return;
	if (ret >= 0 || ret < -4095)
		rt_ident_dup_range(&ctx->ident, tgid, d->args[0],
				   (uint64_t)ret, d->args[2]);
	rt_inject_end(ctx, &in, ret);
}

#define ERESTARTNOINTR 513	/* include/linux/errno.h, not in uapi */

/* Stop tracing the stopped thread of @in, and say so in the log. */
static void
let_go(struct rt_ctx *ctx, struct rt_inject *in, const char *why)
{
	char line[320];
	int n;

	if (rt_inject_detach(ctx, in) < 0)
		return;
	rt_procs_del(&ctx->procs, in->tid);
	if (ctx->ntracees)
		ctx->ntracees--;
	n = snprintf(line, sizeof(line), "[pid %d] %s: remaptrace lets go "
		     "of this thread so that it can be traced; its "
		     "remap_file_pages calls now go to the kernel\n",
		     in->tid, why);
	if (!ctx->opt.quiet && n > 0 && write(fileno(ctx->log), line, n) < 0)
		return;
}

/*
 * One tracer per task: a thread remaptrace traces cannot be traced by
 * anyone else (EPERM), so strace or gdb run under remaptrace, or a program
 * that traces its own children, could not work.  remaptrace lets go of
 * the thread to be traced instead, then lets the call proceed.
 *
 * PTRACE_TRACEME: the caller itself.  It is answered -ERESTARTNOINTR with
 * an interrupt pending, detached in the stop that follows, and the kernel
 * restarts the call, which now succeeds.
 * PTRACE_ATTACH/PTRACE_SEIZE of a thread of ours: that thread is stopped
 * (an interrupt aborts a notification it may be waiting in, which then
 * restarts), detached, and the caller's request runs.
 */
void
rt_follow_traceme(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	pid_t target = (pid_t)d->args[1];
	struct rt_inject in;

	if (d->args[0] != PTRACE_TRACEME) {
		if (ptrace(PTRACE_INTERRUPT, target, NULL, NULL) == 0 &&
		    (rt_inject_begin(ctx, target, &in, false) == 0 ||
		     in.stopped))
			let_go(ctx, &in, d->args[0] == PTRACE_SEIZE ?
			       "the target of PTRACE_SEIZE" :
			       "the target of PTRACE_ATTACH");
		rt_notify_respond(ctx, 0, 0, true);
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		rt_notify_respond(ctx, 0, 0, true);	/* not ours (any more) */
		return;
	}
	if (rt_notify_respond(ctx, 0, ERESTARTNOINTR, false) < 0)
		return;
	if (rt_inject_begin(ctx, tid, &in, false) < 0 && !in.stopped)
		return;
	let_go(ctx, &in, "ptrace(PTRACE_TRACEME)");
}


void
rt_follow_note(struct rt_ctx *ctx, pid_t tid, long nr)
{
	pid_t tgid = rt_procs_tgid(&ctx->procs, tid);
	struct rt_proc *proc = tgid > 0 ? rt_procs_proc(&ctx->procs, tgid) :
					   NULL;

	if (proc && nr == rt_arch_native.nr_rt_sigaction)
		proc->step_ok = -1;	/* read SigIgn again when needed */
	else if (proc)
		proc->hidden_flags = true;
	rt_notify_respond(ctx, 0, 0, true);
}
