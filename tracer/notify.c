/* notify.c - one notification: receive, re-check, decide, act, answer.
 *
 * Valid calls are emulated: the file is installed in the tracee with
 * SECCOMP_IOCTL_NOTIF_ADDFD, the thread is answered 0 with a
 * PTRACE_INTERRUPT pending, and in the stop that follows it runs the
 * planned mmap and close (inject.c); the call then returns the mmap's
 * verdict.  The kernel's remap_file_pages never runs in this mode.
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

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Close phase @p of @c's breakdown at now; the next phase begins. */
static void
phase(struct rt_call *c, enum rt_phase p)
{
	uint64_t t = now_ns();

	c->ph[p] += t - c->ph_t;
	c->ph_t = t;
}

/* libseccomp maps ioctl failures to -ECANCELED; errno keeps the cause. */
static int
scmp_err(int r)
{
	return r == -ECANCELED && errno > 0 ? -errno : r;
}

static int
id_valid(struct rt_ctx *ctx)
{
	return seccomp_notify_id_valid(ctx->listener, ctx->req->id) < 0 ?
		-ENOENT : 0;
}

static int
respond(struct rt_ctx *ctx, long val, int error, bool cont)
{
	struct seccomp_notif_resp *resp = ctx->resp;
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->id = ctx->req->id;
	resp->val = val;
	resp->error = error ? -error : 0;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	r = seccomp_notify_respond(ctx->listener, resp);
	return r < 0 ? scmp_err(r) : 0;
}

/* A pidfd for the thread (6.9 PIDFD_THREAD), else for its process. */
static int
open_pidfd(pid_t tid)
{
	char path[64], buf[512], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int pidfd;

	pidfd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pidfd >= 0)
		return pidfd;
	pidfd = syscall(SYS_pidfd_open, tid, 0);
	if (pidfd >= 0 || errno != EINVAL)
		return pidfd >= 0 ? pidfd : rt_neg_errno();
	/* A non-leader thread on a kernel without PIDFD_THREAD. */
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -ESRCH;
	pidfd = syscall(SYS_pidfd_open, atoi(p + 6), 0);
	return pidfd >= 0 ? pidfd : rt_neg_errno();
}

static int
addfd(struct rt_ctx *ctx, int fd)
{
	struct seccomp_notif_addfd a = {
		.id = ctx->req->id,
		.srcfd = fd,
		.newfd_flags = O_CLOEXEC,
	};
	int r;

	/* libseccomp 2.5.4 has no ADDFD: the raw ioctl (Linux 5.9). */
	r = ioctl(ctx->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	return r < 0 ? -errno : r;
}

/*
 * What is left to do once the call is reported: the tracee learns its
 * result only after the log line is out, as strace prints a call before
 * the program goes on.
 */
struct pending {
	enum { PEND_NONE, PEND_RESPOND, PEND_RESUME } what;
	int error;		/* PEND_RESPOND: positive errno or 0 */
	bool cont;		/* PEND_RESPOND: let the kernel run it */
	struct rt_inject in;	/* PEND_RESUME */
	long resume_val;	/* PEND_RESUME: what the call returns */
	struct rt_stack stack;	/* -k */
};

static void
answer(struct pending *pd, int error, bool cont)
{
	pd->what = PEND_RESPOND;
	pd->error = error;
	pd->cont = cont;
}

/*
 * The open file to map: the one the tracee's mmap was seen with (the
 * kernel's vma->vm_file itself), else one reached by fileobj.c, which
 * becomes known from now on.  *key: its identity key.
 */
static int
get_file(struct rt_ctx *ctx, struct rt_call *c, int64_t *key)
{
	const struct rt_ident_key *k;
	_cleanup_close_ int pidfd = -1;
	int r, fd, tfd;

	k = rt_ident_find(&ctx->ident, c->tgid, &c->v.first);
	if (k) {
		c->how = RT_FILE_FOLLOWED;
		*key = (int64_t)k->id;
		return 0;
	}
	pidfd = open_pidfd(c->tid);
	if (pidfd < 0 || id_valid(ctx) < 0)
		return -ESRCH;
	r = rt_fileobj_get(c->tid, pidfd, &c->v.first, &fd, &c->how, &tfd);
	if (r < 0)
		return r;
	*key = rt_ident_adopt(&ctx->ident, fd);
	if (*key < 0) {
		close(fd);
		return (int)*key;
	}
	if (c->how == RT_FILE_TRACEE_FD)
		rt_ident_set_fd_hint(&ctx->ident, c->tgid, *key, tfd);
	return 0;
}

/*
 * The tracee's own descriptor for the open file of @key, if it still has
 * the one its mmap used (kcmp(2) across processes says so): mapping from
 * it saves installing one and the injected close, two ptrace stops.
 * Only in a single-threaded process, where no other thread can close or
 * replace that descriptor before the injected mmap uses it.
 */
static int
own_fd(struct rt_ctx *ctx, const struct rt_call *c, int64_t key)
{
	int hint = rt_ident_fd_hint(&ctx->ident, c->tgid, key);

	if (hint < 0 || rt_procs_nthreads(&ctx->procs, c->tgid) != 1)
		return -1;
	if (syscall(SYS_kcmp, c->tid, ctx->self, KCMP_FILE, hint,
		    rt_ident_key_fd(&ctx->ident, key)) != 0)
		return -1;
	return hint;
}

/* May injected calls be single-stepped?  Not if SIGTRAP is ignored. */
static bool
step_ok(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
	char path[64], buf[2048], *s;
	_cleanup_close_ int fd = -1;
	unsigned long long ign;
	ssize_t n;

	if (!proc)
		return false;
	if (proc->step_ok >= 0)
		return proc->step_ok;
	snprintf(path, sizeof(path), "/proc/%d/status", c->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	s = strstr(buf, "\nSigIgn:");
	if (!s)
		return false;
	ign = strtoull(s + 8, NULL, 16);
	proc->step_ok = !(ign & (1ULL << (SIGTRAP - 1)));
	return proc->step_ok;
}

/*
 * Emulate a valid call in the tracee: on return c->result and c->outcome
 * are set, and the thread waits in a ptrace-stop (PEND_RESUME) or for its
 * answer (PEND_RESPOND), unless it vanished.
 */
static void
emulate(struct rt_ctx *ctx, struct rt_call *c, struct pending *pd)
{
	const struct rt_plan *p = &c->v.plan;
	struct rt_inject *in = &pd->in;
	long ret = 0, result = -ENOSYS;
	int r = 0, tfd = -1, kfd;
	bool installed = false, open_later = false;
	int64_t key = 0;

	/*
	 * First make sure the thread is ours to stop: one that another
	 * tracer took over (a debugger attached to it after we let go) can
	 * only have its valid call run by the kernel.  An interrupt left
	 * pending by a failure below only makes the thread stop once more
	 * on its way out, which the loop resumes.
	 */
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0) {
		c->outcome = RT_OUT_PASSED;
		c->why = "not traced by remaptrace";
		answer(pd, 0, true);
		return;
	}
	if (c->v.action == RT_ACT_MMAP) {
		phase(c, RT_PH_LOOKUP);
		r = get_file(ctx, c, &key);
		if (r == -EPERM) {
			/* map_files refused: the tracee opens it itself. */
			open_later = true;
			r = 0;
		} else if (r == 0) {
			tfd = own_fd(ctx, c, key);
			phase(c, RT_PH_FILE);
			if (tfd < 0) {
				tfd = addfd(ctx,
					    rt_ident_key_fd(&ctx->ident, key));
				installed = tfd >= 0;
				r = tfd < 0 ? tfd : 0;
			}
		}
		if (r < 0) {
			c->outcome = r == -ENOENT ? RT_OUT_GONE : RT_OUT_FAILED;
			c->why = "cannot reach the mapped file";
			c->result = r == -ESTALE ? -EINVAL : r;
			answer(pd, (int)-c->result, false);
			return;
		}
	}

	/* Provisional answer; the stop that follows gets the real one.
	 * ENOENT means the wait was aborted: the stop shows that too. */
	respond(ctx, 0, 0, false);

	phase(c, RT_PH_INSTALL);
	r = rt_inject_begin(ctx, c->tid, in, step_ok(ctx, c));
	phase(c, RT_PH_STOP);
	if (r == 0 && ctx->opt.stack_trace &&
	    rt_stack_capture(c->tid, &pd->stack) == 0)
		c->stack = &pd->stack;
	if (r == 0 && open_later) {
		r = rt_fileobj_open_in_tracee(ctx, in, &c->v.first, &tfd, &kfd);
		if (r == 0) {
			c->how = RT_FILE_TRACEE_OPEN;
			installed = true;
			key = rt_ident_adopt(&ctx->ident, kfd);
			if (key < 0)
				close(kfd);
		} else if (r != -ESRCH) {
			/* Nothing safe reaches the file: refuse (issue 4). */
			c->why = r == -ESTALE ?
				"its path names another file now" :
				"no descriptor, map_files refused, and the "
				"program cannot open it by path";
			result = -EACCES;
			r = 1;	/* answered, no mmap */
		}
	}
	if (r == 0 && c->v.action == RT_ACT_MMAP) {
		uint64_t a[6] = { p->addr, p->len, p->prot,
				  (uint64_t)p->flags | rt_arch_native.mmap_mark,
				  tfd, p->offset };
		uint64_t ca[6] = { tfd };

		r = rt_inject_call(ctx, in, rt_arch_native.nr_mmap, a, &ret);
		if (r == 0 && installed) {
			long cr;

			r = rt_inject_call(ctx, in, rt_arch_native.nr_close,
					   ca, &cr);
		}
		result = ret < 0 && ret > -4096 ? ret :
			 (uint64_t)ret == p->addr ? 0 : -EIO;
		if (result == 0 && key > 0)
			rt_ident_record(&ctx->ident, c->tgid, p->addr, p->len,
					p->offset, key);
		else if (key > 0)
			rt_ident_put_unused(&ctx->ident, key);
	} else if (r == 0) {
		uint64_t a[6] = { p->addr, p->len };

		r = rt_inject_call(ctx, in, rt_arch_native.nr_munmap, a,
				   &ret);
		result = -c->v.err;
	}
	phase(c, RT_PH_INJECT);
	c->mmap_ns = c->ph[RT_PH_INJECT];
	c->stops = in->stops;
	if (r == -ESRCH || !in->stopped) {
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		return;
	}
	if (r < 0) {
		result = -ENOSYS;
		c->why = "injection failed";
	} else if (result < 0 && c->v.action == RT_ACT_MMAP && !c->why) {
		c->why = "mmap failed";
	}
	pd->what = PEND_RESUME;
	pd->resume_val = result;
	c->result = result;
	c->outcome = result == 0 ? RT_OUT_EMULATED :
		     c->v.action == RT_ACT_MUNMAP ? RT_OUT_REJECTED :
		     RT_OUT_FAILED;
}

static void
judge(struct rt_ctx *ctx, struct rt_call *c, struct pending *pd)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
	struct rt_vma_lookup lk;
	struct rt_vmas vs;
	int r;

	if (!proc) {
		c->outcome = RT_OUT_FAILED;
		c->why = "out of memory";
		c->result = -ENOMEM;
		answer(pd, ENOMEM, false);
		return;
	}
	rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc,
		     &ctx->ident);
	rt_vmas_lookup(&vs, &lk);
	r = rt_remap_validate(&c->args, ctx->page_size, &lk, &c->v);
	/* What was read by pid describes the caller only if its
	 * notification is still alive now (no recycled pid). */
	if (id_valid(ctx) < 0) {
		if (vs.fresh_maps)
			rt_procs_drop_proc(&ctx->procs, c->tgid);
		c->outcome = RT_OUT_GONE;
		goto out;
	}
	if (r < 0) {
		c->outcome = RT_OUT_FAILED;
		c->why = "cannot read the caller's mappings";
		c->result = r == -ESRCH ? -EINVAL : r;
		answer(pd, (int)-c->result, false);
		goto out;
	}
	if (c->v.action == RT_ACT_NONE) {
		c->outcome = RT_OUT_REJECTED;
		c->result = -c->v.err;
		answer(pd, c->v.err, false);
	} else if (ctx->opt.mode == RT_MODE_CHECK || !ctx->ptrace_ok) {
		const struct rt_ident_key *k;

		c->outcome = RT_OUT_PASSED;
		answer(pd, 0, true);
		/* The kernel maps the first VMA's file there; should the call
		 * fail, the record is stale (wrong offset) and ignored. */
		k = rt_ident_find(&ctx->ident, c->tgid, &c->v.first);
		if (k)
			rt_ident_record(&ctx->ident, c->tgid, c->v.plan.addr,
					c->v.plan.len, c->v.plan.offset,
					k->id);
	} else {
		emulate(ctx, c, pd);
	}
out:
	rt_vmas_close(&vs);
}

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
 * A shared mmap of a file by the tracee (tracer/ident.c): take its open
 * file with pidfd_getfd, let the kernel run the mmap with the thread
 * interrupted, and in the stop that follows read the address it returned.
 * The descriptor number could be swapped by another thread between our
 * pidfd_getfd and the kernel's fget (the notification's known TOCTOU);
 * that only mislabels the tracee's own mapping and is checked against
 * the inode when used.
 */
static void
follow_mmap(struct rt_ctx *ctx, pid_t tid)
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
	pidfd = open_pidfd(tid);
	if (pidfd < 0 || tgid < 0 || id_valid(ctx) < 0)
		goto plain;
	kfd = syscall(SYS_pidfd_getfd, pidfd, (int)d->args[4], 0);
	/* /dev/zero is replaced by a new shmem file: nothing to follow. */
	if (kfd < 0 || fstat(kfd, &st) < 0 ||
	    (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5)))
		goto plain;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
		goto plain;
	if (respond(ctx, 0, 0, true) < 0)
		return;
	if (rt_inject_begin(ctx, tid, &in, false) < 0) {
		rt_inject_end(ctx, &in, rt_arch_retreg(&in.saved));
		return;
	}
	ret = rt_arch_retreg(&in.saved);
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
	respond(ctx, 0, 0, true);
}

/*
 * mremap(old, 0, len, MAYMOVE...) duplicates a shared mapping: the new
 * range maps the same open file.  Run it with the thread interrupted and
 * record where it landed.
 */
static void
follow_mremap(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	struct rt_inject in;
	pid_t tgid;
	long ret;

	tgid = rt_procs_tgid(&ctx->procs, tid);
	if (!ctx->ptrace_ok || tgid < 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		respond(ctx, 0, 0, true);
		return;
	}
	if (respond(ctx, 0, 0, true) < 0)
		return;
	if (rt_inject_begin(ctx, tid, &in, false) < 0) {
		rt_inject_end(ctx, &in, rt_arch_retreg(&in.saved));
		return;
	}
	ret = rt_arch_retreg(&in.saved);
	if (ret >= 0 || ret < -4095)
		rt_ident_dup_range(&ctx->ident, tgid, d->args[0],
				   (uint64_t)ret, d->args[2]);
	rt_inject_end(ctx, &in, ret);
}

#define ERESTARTNOINTR 513	/* include/linux/errno.h, not in uapi */

/*
 * ptrace(PTRACE_TRACEME) by a thread remaptrace traces fails with EPERM
 * (one tracer per task): strace or gdb run under remaptrace could not
 * work.  Let go of the thread instead: answer -ERESTARTNOINTR with an
 * interrupt pending, detach it in the stop that follows, and the kernel
 * restarts the call, which now reaches the kernel (the thread is no
 * longer ours) and succeeds.  Its later remap_file_pages calls go to the
 * kernel, since only a traced thread can be injected into.
 */
static void
release(struct rt_ctx *ctx, pid_t tid)
{
	struct rt_inject in;
	char line[256];
	int n;

	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		respond(ctx, 0, 0, true);	/* not ours (any more) */
		return;
	}
	if (respond(ctx, 0, ERESTARTNOINTR, false) < 0)
		return;
	if (rt_inject_begin(ctx, tid, &in, false) < 0 &&
	    !in.stopped)
		return;
	if (rt_inject_detach(ctx, &in) < 0)
		return;
	rt_procs_del(&ctx->procs, tid);
	if (ctx->ntracees)
		ctx->ntracees--;
	n = snprintf(line, sizeof(line), "[pid %d] ptrace(PTRACE_TRACEME): "
		     "remaptrace lets go of this thread so that its parent "
		     "can trace it; its remap_file_pages calls now go to the "
		     "kernel\n", tid);
	if (!ctx->opt.quiet && n > 0 && write(fileno(ctx->log), line, n) < 0)
		return;
}

/*
 * -k on a call that is answered without injection: the thread can only be
 * stopped once answered (its wait is killable), so answer it with an
 * interrupt pending and catch it on its way out, where its registers and
 * stack are those of the call's return.  For a call the kernel ran
 * (check mode), the stop also shows its real result.
 */
static void
stop_answered(struct rt_ctx *ctx, struct rt_call *c, struct pending *pd)
{
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0)
		return;
	if (respond(ctx, 0, pd->error, pd->cont) == -ENOENT) {
		pd->what = PEND_NONE;
		c->outcome = RT_OUT_GONE;
		return;
	}
	pd->what = PEND_NONE;
	if (rt_inject_begin(ctx, c->tid, &pd->in, false) < 0) {
		rt_inject_end(ctx, &pd->in, rt_arch_retreg(&pd->in.saved));
		return;
	}
	pd->what = PEND_RESUME;
	pd->resume_val = rt_arch_retreg(&pd->in.saved);
	if (c->outcome == RT_OUT_PASSED)
		c->result = pd->resume_val;
	if (rt_stack_capture(c->tid, &pd->stack) == 0)
		c->stack = &pd->stack;
}

int
rt_notify_handle(struct rt_ctx *ctx)
{
	struct seccomp_data *d = &ctx->req->data;
	struct pending pd = { .what = PEND_NONE };
	_cleanup_free_ char *layout = NULL;
	struct rt_call c;
	uint64_t t0;
	int r, err;

	t0 = now_ns();
	memset(ctx->req, 0, sizeof(*ctx->req));
	r = seccomp_notify_receive(ctx->listener, ctx->req);
	if (r < 0) {
		r = scmp_err(r);
		/* The caller died before we read it, or a signal hit us. */
		return r == -ENOENT || r == -EINTR ? 0 : r;
	}
	memset(&c, 0, sizeof(c));
	c.ph_t = now_ns();
	c.ph[RT_PH_RECEIVE] = c.ph_t - t0;
	t0 = c.ph_t;
	c.tid = ctx->req->pid;
	c.args = (struct rt_remap_args){
		d->args[0], d->args[1], d->args[2], d->args[3], d->args[4]
	};
	if (d->nr == rt_arch_native.nr_mmap) {
		follow_mmap(ctx, c.tid);
		return 0;
	}
	if (d->nr == rt_arch_native.nr_mremap) {
		follow_mremap(ctx, c.tid);
		return 0;
	}
	if (d->nr == rt_arch_native.nr_ptrace) {
		release(ctx, c.tid);
		return 0;
	}
	if (d->nr != rt_arch_native.nr_remap_file_pages) {
		/* A call that may hide VM flags, or change SIGTRAP's
		 * disposition (filter.c): note it. */
		pid_t tgid = rt_procs_tgid(&ctx->procs, c.tid);
		struct rt_proc *proc = tgid > 0 ?
			rt_procs_proc(&ctx->procs, tgid) : NULL;

		if (proc && d->nr == rt_arch_native.nr_rt_sigaction)
			proc->step_ok = -1;
		else if (proc)
			proc->hidden_flags = true;
		respond(ctx, 0, 0, true);
		return 0;
	}
	c.nth = ++ctx->stats.calls;
	c.tgid = rt_procs_tgid(&ctx->procs, c.tid);
	clock_gettime(CLOCK_REALTIME, &c.when);

	if (rt_fault_match(ctx, c.nth, &err)) {
		c.outcome = RT_OUT_INJECTED;
		c.result = -err;
		answer(&pd, err, false);
	} else if (ctx->opt.mode == RT_MODE_DENY) {
		c.outcome = RT_OUT_DENIED;
		c.result = -ctx->opt.deny_errno;
		answer(&pd, ctx->opt.deny_errno, false);
	} else {
		judge(ctx, &c, &pd);
	}
	if (pd.what == PEND_RESPOND && ctx->opt.stack_trace && ctx->ptrace_ok)
		stop_answered(ctx, &c, &pd);
	if (pd.what == PEND_RESUME && ctx->opt.layout &&
	    c.outcome == RT_OUT_EMULATED) {
		layout = rt_layout_describe(c.tid, &c.v, ctx->page_size);
		c.layout = layout;
	}
	c.ns = now_ns() - t0;
	c.ph_t = now_ns();
	rt_report_call(ctx, &c);
	phase(&c, RT_PH_REPORT);

	/* Only now does the caller go on. */
	if (pd.what == PEND_RESPOND &&
	    respond(ctx, 0, pd.error, pd.cont) == -ENOENT)
		ctx->stats.gone++;
	else if (pd.what == PEND_RESUME &&
		 rt_inject_end(ctx, &pd.in, pd.resume_val) == -ESRCH)
		ctx->stats.gone++;
	phase(&c, RT_PH_RESUME);
	if (c.outcome == RT_OUT_EMULATED) {
		unsigned int i;

		ctx->bd.calls++;
		ctx->bd.stops += c.stops;
		for (i = 0; i < RT_PH__COUNT; i++)
			ctx->bd.ns[i] += c.ph[i];
	}
	return 0;
}
