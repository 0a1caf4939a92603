/* notify.c - one notification: receive, re-check, decide, answer.
 *
 * remap_file_pages calls are judged by the pure rule book (emu/) over the
 * caller's VMAs (vmas.c); valid ones are emulated (emulate.c), invalid
 * ones answered with the kernel's errno.  The other calls the filter
 * sends are bookkeeping (follow.c).  A call is logged before its caller
 * goes on, as strace prints a call before the program continues.
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
#include "rt_features.h"
#include "rt_tracer.h"
#include "rt_util.h"

uint64_t
rt_notify_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Close phase @p of @c's breakdown at now; the next phase begins. */
void
rt_notify_phase(struct rt_call *c, enum rt_phase p)
{
	uint64_t t;

	if (!c->timed)
		return;
	t = rt_notify_now_ns();
	c->ph[p] += t - c->ph_t;
	c->ph_t = t;
}

/* libseccomp maps ioctl failures to -ECANCELED; errno keeps the cause. */
static int
scmp_err(int r)
{
	return r == -ECANCELED && errno > 0 ? -errno : r;
}

/*
 * The three notification calls, through libseccomp.  libseccomp first
 * checks that seccomp(2) works and answers EOPNOTSUPP when it does not,
 * which is also what it says when remaptrace runs under a tool that does
 * not know seccomp(2) (valgrind 3.19) while the listener works: then the
 * ioctl itself.  Each returns 0 or -errno.
 */
static int
or_ioctl(int r, int fd, unsigned long req, void *arg)
{
	if (r == -EOPNOTSUPP)
		return ioctl(fd, req, arg) < 0 ? -errno : 0;
	return r < 0 ? scmp_err(r) : 0;
}

int
rt_notify_recv_fd(int fd, struct seccomp_notif *req)
{
	return or_ioctl(seccomp_notify_receive(fd, req), fd,
			SECCOMP_IOCTL_NOTIF_RECV, req);
}

int
rt_notify_send_fd(int fd, struct seccomp_notif_resp *resp)
{
	return or_ioctl(seccomp_notify_respond(fd, resp), fd,
			SECCOMP_IOCTL_NOTIF_SEND, resp);
}

int
rt_notify_valid_fd(int fd, uint64_t id)
{
	return or_ioctl(seccomp_notify_id_valid(fd, id), fd,
			SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -ENOENT : 0;
}

int
rt_notify_id_valid(struct rt_ctx *ctx)
{
	return rt_notify_valid_fd(ctx->listener, ctx->req->id);
}

int
rt_notify_respond(struct rt_ctx *ctx, long val, int error, bool cont)
{
	return rt_notify_respond_id(ctx, ctx->req->id, val, error, cont);
}

int
rt_notify_respond_id(struct rt_ctx *ctx, uint64_t id, long val, int error,
		     bool cont)
{
	struct seccomp_notif_resp *resp = ctx->resp;

	memset(resp, 0, sizeof(*resp));
	resp->id = id;
	resp->val = val;
	resp->error = error ? -error : 0;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	return rt_notify_send_fd(ctx->listener, resp);
}

/* A pidfd for the thread (6.9 PIDFD_THREAD), else for its process. */
int
rt_notify_pidfd(pid_t tid)
{
	unsigned long long tgid;
	int pidfd;

	if (!rt_features_has(RT_FEAT_PIDFD_OPEN))
		return -ENOSYS;
	pidfd = rt_features_has(RT_FEAT_PIDFD_THREAD) ?
		syscall(SYS_pidfd_open, tid, PIDFD_THREAD) : -1;
	if (pidfd >= 0)
		return pidfd;
	pidfd = syscall(SYS_pidfd_open, tid, 0);
	if (pidfd >= 0 || (errno != EINVAL && errno != ENOENT))
		return pidfd >= 0 ? pidfd : rt_neg_errno();
	/* A non-leader thread without PIDFD_THREAD: EINVAL before 6.9,
	 * ENOENT on later kernels (when disabled). */
	if (rt_procs_status(tid, "Tgid", 10, &tgid) < 0)
		return -ESRCH;
	pidfd = syscall(SYS_pidfd_open, (pid_t)tgid, 0);
	return pidfd >= 0 ? pidfd : rt_neg_errno();
}

int
rt_notify_addfd(struct rt_ctx *ctx, int fd)
{
	return rt_notify_addfd_id(ctx, ctx->req->id, fd, -1);
}

int
rt_notify_addfd_id(struct rt_ctx *ctx, uint64_t id, int fd, int newfd)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.srcfd = fd,
		.newfd = newfd >= 0 ? (uint32_t)newfd : 0,
		.flags = newfd >= 0 ? SECCOMP_ADDFD_FLAG_SETFD : 0,
		.newfd_flags = newfd >= 0 ? 0 : O_CLOEXEC,
	};
	int r;

	/* libseccomp 2.5.4 has no ADDFD: the raw ioctl (Linux 5.9). */
	r = ioctl(ctx->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	return r < 0 ? -errno : r;
}

void
rt_notify_answer(struct rt_pending *pd, int error, bool cont)
{
	pd->what = RT_PEND_RESPOND;
	pd->error = error;
	pd->cont = cont;
}


static void
judge(struct rt_ctx *ctx, struct rt_call *c, struct rt_pending *pd)
{
	struct rt_vma_lookup inner, lk;
	struct rt_span_rec rec;
	struct rt_vmas vs;
	bool again = false, fresh = false;
	struct rt_proc *proc;
	int r;

	for (;;) {
		/* Looked up on each pass: waiting serves wait statuses,
		 * which may grow or reorder the table. */
		proc = rt_procs_proc(&ctx->procs, c->tgid);
		if (!proc) {
			c->outcome = RT_OUT_FAILED;
			c->why = "out of memory";
			c->result = -ENOMEM;
			rt_notify_answer(pd, ENOMEM, false);
			return;
		}
		rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc,
			     &ctx->ident);
		rt_vmas_lookup(&vs, &inner);
		rt_span_lookup(&rec, &inner, &lk);
		if (ctx->retry.active && ctx->retry.tid == c->tid &&
		    !memcmp(&ctx->retry.args, &c->args, sizeof(c->args))) {
			/* The same call again after a disturbed attempt
			 * (emulate.c) */
			c->v = ctx->retry.v;
			c->retried = true;
			r = 0;
			break;
		}
		r = rt_remap_validate(&c->args, ctx->page_size, &lk, &c->v);
		c->span = rec.span;
		if (again || !c->pipelined ||
		    !rt_agent_conflict(ctx, c->tgid, &rec.span))
			break;
		/* It read what an mmap of its agent may still be changing:
		 * judge it again once that has run. */
		fresh = vs.fresh_maps;
		rt_vmas_close(&vs);
		rt_agent_wait(ctx, c->tgid);
		again = true;
	}
	vs.fresh_maps |= fresh;
	ctx->stats.smaps_reads += vs.smaps_reads;
	ctx->retry.active = false;
	/* What was read by pid describes the caller only if its
	 * notification is still alive now (no recycled pid). */
	if (rt_notify_id_valid(ctx) < 0) {
		if (vs.fresh_maps)
			rt_procs_drop_proc(&ctx->procs, c->tgid);
		c->outcome = RT_OUT_GONE;
		goto out;
	}
	if (r < 0) {
		c->outcome = RT_OUT_FAILED;
		c->why = "cannot read the caller's mappings";
		c->result = r == -ESRCH ? -EINVAL : r;
		rt_notify_answer(pd, (int)-c->result, false);
		goto out;
	}
	if (c->v.action == RT_ACT_NONE) {
		c->outcome = RT_OUT_REJECTED;
		c->result = -c->v.err;
		rt_notify_answer(pd, c->v.err, false);
	} else if (ctx->opt.mode == RT_MODE_CHECK || !ctx->ptrace_ok) {
		c->outcome = RT_OUT_PASSED;
		rt_notify_answer(pd, 0, true);
		/* The kernel maps the first VMA's file there; should the call
		 * fail, the record is stale (wrong offset) and ignored. */
		if (c->v.first.file_id)
			rt_ident_record(&ctx->ident, c->tgid, c->v.plan.addr,
					c->v.plan.len, c->v.plan.offset,
					c->v.first.file_id);
	} else {
		rt_emulate(ctx, c, pd);
	}
out:
	rt_vmas_close(&vs);
}

/*
 * -k on a call that is answered without injection: the thread can only be
 * stopped once answered (its wait is killable), so answer it with an
 * interrupt pending and catch it on its way out, where its registers and
 * stack are those of the call's return.  For a call the kernel ran
 * (check mode), the stop also shows its real result.
 */
static void
stop_answered(struct rt_ctx *ctx, struct rt_call *c, struct rt_pending *pd)
{
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0)
		return;
	if (rt_notify_respond(ctx, 0, pd->error, pd->cont) == -ENOENT) {
		pd->what = RT_PEND_NONE;
		c->outcome = RT_OUT_GONE;
		return;
	}
	pd->what = RT_PEND_NONE;
	if (rt_inject_begin(ctx, c->tid, &pd->in, false) < 0) {
		rt_inject_end(ctx, &pd->in, rt_arch_retreg(&pd->in.saved));
		return;
	}
	pd->what = RT_PEND_RESUME;
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
	struct rt_pending pd = { .what = RT_PEND_NONE };
	_cleanup_free_ char *layout = NULL;
	struct rt_call c;
	uint64_t t0;
	bool timed;
	int r, err;

	/* Times are printed, summed or broken down; else not taken (a
	 * clock read is a measurable part of a 20 us call). */
	timed = !ctx->opt.quiet || ctx->opt.summary || ctx->bd.on;
	t0 = timed ? rt_notify_now_ns() : 0;
	if (ctx->nstash) {
		/* Received while an agent ran: oldest first. */
		*ctx->req = ctx->stash[0];
		memmove(ctx->stash, ctx->stash + 1,
			--ctx->nstash * sizeof(*ctx->stash));
	} else {
		memset(ctx->req, 0, sizeof(*ctx->req));
		r = rt_notify_recv_fd(ctx->listener, ctx->req);
		if (r < 0) {
			/* The caller died before we read it, or a signal
			 * hit us. */
			return r == -ENOENT || r == -EINTR ? 0 : r;
		}
	}
	if (rt_agent_notify(ctx, ctx->req) || rt_privilege_foreign(ctx))
		return 0;
	memset(&c, 0, sizeof(c));
	/*
	 * Judge nothing against memory an agent is still changing; but a
	 * call its agent will answer may be judged while earlier ones of its
	 * process still run, if it reads nothing they change (judge()).
	 */
	if (d->nr == rt_arch_native.nr_remap_file_pages &&
	    rt_agent_direct(ctx) &&
	    !(ctx->retry.active && ctx->retry.tid == (pid_t)ctx->req->pid)) {
		c.tgid = rt_procs_tgid(&ctx->procs, (pid_t)ctx->req->pid);
		c.pipelined = c.tgid > 0;
	}
	rt_agent_settle(ctx, (pid_t)ctx->req->pid,
			c.pipelined ? c.tgid : 0);
	c.timed = timed;
	if (timed) {
		c.ph_t = rt_notify_now_ns();
		c.ph[RT_PH_RECEIVE] = c.ph_t - t0;
		t0 = c.ph_t;
	}
	c.tid = ctx->req->pid;
	c.args = (struct rt_remap_args){
		d->args[0], d->args[1], d->args[2], d->args[3], d->args[4]
	};
	if (d->nr == rt_arch_native.nr_mmap) {
		rt_follow_mmap(ctx, c.tid);
		return 0;
	}
	if (d->nr == rt_arch_native.nr_mremap) {
		rt_follow_mremap(ctx, c.tid);
		return 0;
	}
	if (d->nr == rt_arch_native.nr_ptrace) {
		rt_follow_traceme(ctx, c.tid);
		return 0;
	}
	if (d->nr != rt_arch_native.nr_remap_file_pages) {
		if (!rt_privilege_handle(ctx))
			rt_follow_note(ctx, c.tid, d->nr);
		return 0;
	}
	c.nth = ++ctx->stats.calls;
	if (!c.pipelined)	/* else known already */
		c.tgid = rt_procs_tgid(&ctx->procs, c.tid);
	if (timed)
		clock_gettime(CLOCK_REALTIME, &c.when);

	if (rt_fault_match(ctx, c.nth, &err)) {
		c.outcome = RT_OUT_INJECTED;
		c.result = -err;
		rt_notify_answer(&pd, err, false);
	} else if (ctx->opt.mode == RT_MODE_DENY) {
		c.outcome = RT_OUT_DENIED;
		c.result = -ctx->opt.deny_errno;
		rt_notify_answer(&pd, ctx->opt.deny_errno, false);
	} else {
		judge(ctx, &c, &pd);
	}
	if (pd.what == RT_PEND_RESPOND && ctx->opt.stack_trace && ctx->ptrace_ok)
		stop_answered(ctx, &c, &pd);
	if ((pd.what == RT_PEND_RESUME || c.by_agent) && ctx->opt.layout &&
	    c.outcome == RT_OUT_EMULATED) {
		layout = rt_layout_describe(c.tid, &c.v, ctx->page_size);
		c.layout = layout;
	}
	if (timed) {
		c.ns = rt_notify_now_ns() - t0;
		c.ph_t = rt_notify_now_ns();
	}
	rt_report_call(ctx, &c);
	rt_notify_phase(&c, RT_PH_REPORT);

	/* Only now does the caller go on. */
	if (pd.what == RT_PEND_RESPOND &&
	    rt_notify_respond(ctx, 0, pd.error, pd.cont) == -ENOENT)
		ctx->stats.gone++;
	else if (pd.what == RT_PEND_RESUME && pd.restart &&
		 rt_inject_restart(ctx, &pd.in) == -ESRCH)
		ctx->stats.gone++;
	else if (pd.what == RT_PEND_RESUME && !pd.restart &&
		 rt_inject_end(ctx, &pd.in, pd.resume_val) == -ESRCH)
		ctx->stats.gone++;
	rt_notify_phase(&c, RT_PH_RESUME);
	rt_inherit_release(ctx);
	if (c.outcome == RT_OUT_EMULATED) {
		unsigned int i;

		ctx->bd.calls++;
		ctx->bd.stops += c.stops;
		for (i = 0; i < RT_PH__COUNT; i++)
			ctx->bd.ns[i] += c.ph[i];
	}
	return 0;
}
