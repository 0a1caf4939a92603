/* follow.c - the calls the filter sends besides remap_file_pages:
 * shared mmaps and mremap duplicates (which open file backs which range,
 * ident.c), calls that can hide VM flags or change SIGTRAP's disposition
 * (how vmas.c and inject.c must work), and PTRACE_TRACEME.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/kcmp.h>

#include "rt_compat.h"
#include "rt_features.h"
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
	if (!rt_features_has(RT_FEAT_PIDFD_GETFD))
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
static int
let_go(struct rt_ctx *ctx, struct rt_inject *in, const char *why)
{
	char line[320];
	int n, r;

	r = rt_inject_detach(ctx, in);
	if (r < 0)
		return r;
	rt_procs_del(&ctx->procs, in->tid);
	if (ctx->ntracees)
		ctx->ntracees--;
	n = snprintf(line, sizeof(line), "[pid %d] %s: remaptrace lets go "
		     "of this thread so that it can be traced; its "
		     "remap_file_pages calls now go to the kernel\n",
		     in->tid, why);
	if (!ctx->opt.quiet && n > 0 && write(fileno(ctx->log), line, n) < 0)
		return 0;
	return 0;
}

/* Is @tid traced by remaptrace now (TracerPid in /proc/TID/status)? */
static bool
ours(const struct rt_ctx *ctx, pid_t tid)
{
	unsigned long long v;

	return rt_procs_status(tid, "TracerPid", 10, &v) == 0 &&
	       (pid_t)v == ctx->self;
}

/* Does @tid see the pid namespace remaptrace sees?  Then a pid it passes
 * to ptrace names the task that pid names for us. */
static bool
same_pid_ns(pid_t tid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", tid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/pid", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* An address in the kernel's half: no process maps it, so reading it
 * fails with EFAULT, after every permission check has passed. */
#define RT_UNMAPPED_ADDR (1ULL << 63)

/*
 * Ask the kernel whether the stopped caller of @in may attach @target: the
 * caller itself runs process_vm_readv(target, 1 byte at RT_UNMAPPED_ADDR).
 * mm_access() checks ptrace_may_access(target,
 * PTRACE_MODE_ATTACH_REALCREDS) before any memory is read: the very check
 * ptrace_attach() makes before it looks at whether the target has a tracer
 * already (__ptrace_may_access(): the caller's real uid and gid against
 * the target's real, effective and saved ones, the target's dumpable
 * flag, CAP_SYS_PTRACE in the target's user namespace, then the LSMs,
 * Yama's ptrace_scope among them, with the caller's ancestry).  Nothing is
 * mirrored from /proc, so nothing can disagree with the kernel.  A refusal
 * is EPERM (mm_access()'s EACCES, made EPERM); a permission, EFAULT.
 * The iovecs go below the red zone of the caller's stack.
 * Returns 0 when permitted, -EPERM when refused, another -errno when the
 * answer is unknown.
 */
static int
probe_attach(struct rt_ctx *ctx, struct rt_inject *in, pid_t target)
{
	struct probe {
		struct iovec local, remote;
		uint64_t byte;
	} p;
	struct iovec l = { .iov_base = &p, .iov_len = sizeof(p) }, r;
	uint64_t at, args[6];
	long ret;
	int e;

	at = (rt_arch_sp(&in->saved) - rt_arch_red_zone - sizeof(p)) & ~15ULL;
	p = (struct probe){
		.local = { (void *)(at + offsetof(struct probe, byte)), 1 },
		.remote = { (void *)RT_UNMAPPED_ADDR, 1 },
	};
	r = (struct iovec){ .iov_base = (void *)at, .iov_len = sizeof(p) };
	if (process_vm_writev(in->tid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(p))
		return errno == ESRCH ? -ESRCH : -EFAULT;
	args[0] = (uint64_t)target;
	args[1] = at + offsetof(struct probe, local);
	args[2] = 1;
	args[3] = at + offsetof(struct probe, remote);
	args[4] = 1;
	args[5] = 0;
	e = rt_inject_call(ctx, in, rt_arch_native.nr_process_vm_readv, args,
			   &ret);
	if (e < 0)
		return e;
	if (ret == -EFAULT)
		return 0;
	return ret < 0 ? (int)ret : -EIO;
}

/*
 * Would the kernel have let the stopped caller of @in attach @target (the
 * request in ctx->req), were @target not traced by remaptrace?  Mirrors
 * ptrace_attach()'s other refusals (kernel/ptrace.c), then asks the
 * kernel (probe_attach()).  When unsure, no: a failed attach must never
 * release its target.  *why: the reason when not.
 */
static bool
attach_permitted(struct rt_ctx *ctx, struct rt_inject *in, pid_t target,
		 const char **why)
{
	const struct seccomp_data *d = &ctx->req->data;
	int r;

	/* check_ptrace_options(): EPERM for any caller under seccomp. */
	if (d->args[0] == PTRACE_SEIZE &&
	    (d->args[3] & PTRACE_O_SUSPEND_SECCOMP)) {
		*why = "PTRACE_O_SUSPEND_SECCOMP is refused under seccomp";
		return false;
	}
	if (!same_pid_ns(in->tid)) {
		*why = "the caller's pid namespace is not remaptrace's";
		return false;
	}
	/* same_thread_group(): EPERM. */
	if (in->tgid <= 0 || rt_procs_tgid(&ctx->procs, target) == in->tgid) {
		*why = "a thread of the caller's own process";
		return false;
	}
	/* mm_access() skips the check for the caller's own memory (a
	 * CLONE_VM child, vfork): the probe would say yes for nothing. */
	if (!rt_features_has(RT_FEAT_KCMP) ||
	    syscall(SYS_kcmp, in->tid, target, KCMP_VM, 0, 0) <= 0) {
		*why = "the caller shares the target's memory";
		return false;
	}
	/* The program's own filters would judge the probe, maybe kill. */
	if (rt_fileobj_filters(in->tid) != ctx->base_filters) {
		*why = "the caller has seccomp filters of its own";
		return false;
	}
	r = probe_attach(ctx, in, target);
	if (r == 0)
		return true;
	*why = r == -EPERM ? "the kernel does not permit it" :
			     "the kernel's permission is unknown";
	return false;
}

/* -v: why the target of a refused attach stays traced. */
static void
log_kept(struct rt_ctx *ctx, pid_t tid, pid_t target, const char *why)
{
	const struct seccomp_data *d = &ctx->req->data;

	if (ctx->opt.quiet || !ctx->opt.verbose)
		return;
	fprintf(ctx->log, "[pid %d] ptrace(%s, %d) = -1 EPERM: remaptrace "
		"keeps tracing %d (%s)\n", tid,
		d->args[0] == PTRACE_SEIZE ? "PTRACE_SEIZE" : "PTRACE_ATTACH",
		target, target, why);
	fflush(ctx->log);
}

/*
 * PTRACE_ATTACH/PTRACE_SEIZE of a thread of ours.  The kernel runs the
 * request first, the caller caught on its way out: it fails (EPERM, as
 * the target is traced) unless the target was not ours after all.  Only
 * an EPERM that would have been a success without us lets go: then the
 * target is stopped (an interrupt aborts a notification it may be
 * waiting in, which then restarts), detached, and the caller made to run
 * its request again, which now reaches the kernel untouched (the target
 * is no longer ours).  Anything else, the caller gets the kernel's own
 * result and the target stays traced.
 *
 * Why not decide before the kernel runs it: the result cannot tell a
 * refused caller from a permitted one while remaptrace traces the target
 * (ptrace_attach() checks __ptrace_may_access() first, then task->ptrace,
 * both EPERM), and letting go first would release the target of a
 * refused attach.  The caller's own probe_attach() answers instead.
 * A window remains between letting go and the repeated request: a target
 * that makes itself unattachable then (setuid, PR_SET_DUMPABLE, a setuid
 * exec) is released and not attached; it could have been attached at the
 * probe, so the caller gains nothing it could not have had.
 */
static void
follow_attach(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	pid_t target = (pid_t)d->args[1];
	struct rt_inject in, tin;
	const char *why = "";
	long ret;

	if (!ours(ctx, target)) {
		rt_notify_respond(ctx, 0, 0, true);
		return;
	}
	if (continue_caught(ctx, tid, &in, &ret) < 0)
		return;
	if (ret == -ERESTARTNOINTR) {	/* the kernel restarts it */
		rt_inject_restart(ctx, &in);
		return;
	}
	if (ret != -EPERM) {
		rt_inject_end(ctx, &in, ret);
		return;
	}
	if (!attach_permitted(ctx, &in, target, &why)) {
		log_kept(ctx, tid, target, why);
		rt_inject_end(ctx, &in, ret);
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, target, NULL, NULL) == 0 &&
	    (rt_inject_begin(ctx, target, &tin, false) == 0 || tin.stopped) &&
	    let_go(ctx, &tin, d->args[0] == PTRACE_SEIZE ?
		   "the target of PTRACE_SEIZE" :
		   "the target of PTRACE_ATTACH") == 0) {
		rt_inject_restart(ctx, &in);
		return;
	}
	rt_inject_end(ctx, &in, ret);
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
 * PTRACE_ATTACH/PTRACE_SEIZE of a thread of ours: only when the kernel
 * permits the caller to trace it (follow_attach()).
 */
void
rt_follow_traceme(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	struct rt_inject in;

	if (d->args[0] != PTRACE_TRACEME) {
		follow_attach(ctx, tid);
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

	if (proc && nr == rt_arch_native.nr_rt_sigaction) {
		proc->step_ok = -1;	/* read SigIgn again when needed */
	} else if (proc) {
		proc->hidden_flags = true;
		/* MADV_HUGEPAGE, MADV_NOHUGEPAGE */
		if (nr == rt_arch_native.nr_madvise &&
		    (ctx->req->data.args[2] == 14 ||
		     ctx->req->data.args[2] == 15))
			proc->thp_hinted = true;
	}
	rt_notify_respond(ctx, 0, 0, true);
}
