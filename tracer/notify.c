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
#include "rt_job.h"
#include "rt_call.h"
#include "rt_emulate.h"
#include "rt_fault.h"
#include "rt_follow.h"
#include "rt_inject.h"
#include "rt_layout.h"
#include "rt_notify.h"
#include "rt_privilege.h"
#include "rt_report.h"
#include "rt_seccomp.h"
#include "rt_stack.h"
#include "rt_vmas.h"
#include "rt_util.h"



static void
judge(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_pending *pd = &cj->pd;
	struct rt_vma_lookup inner, lk;
	struct rt_span_rec rec;
	struct rt_vmas vs;
	struct rt_proc *proc;
	int r;

	/* (Without ptrace, remaptrace under strace or gdb, no thread is
	 * traced: that mode keeps its descriptors, README, Differences.) */
	if (ctx->ptrace_ok)
		rt_procs_unseen(&ctx->tr.procs, c->tid, c->tgid);
	for (;;) {
		proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
		if (!proc) {
			c->outcome = RT_OUT_FAILED;
			c->why = "out of memory";
			c->result = -ENOMEM;
			rt_call_decide(pd, ENOMEM, false);
			return;
		}
		rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc,
			     &ctx->tr.ident);
		rt_vmas_lookup(&vs, &inner);
		rt_span_lookup(&rec, &inner, &lk);
		if (ctx->tr.retry.active && ctx->tr.retry.tid == c->tid &&
		    !memcmp(&ctx->tr.retry.args, &c->args, sizeof(c->args))) {
			/* The same call again after a disturbed attempt
			 * (emulate.c) */
			c->v = ctx->tr.retry.v;
			c->retried = true;
			r = 0;
			break;
		}
		r = rt_remap_validate(&c->args, ctx->page_size, &lk, &c->v);
		if (r == 0)
			r = rt_sysvshm_judge(&ctx->tr.shm, c->tgid, &lk, &c->v);
		c->span = rec.span;
		break;
	}
	if (r == 0 && !cj->again && c->pipelined &&
	    rt_agent_conflict(ctx, c->tgid, &rec.span)) {
		/* It read what an mmap of its agent may still be changing:
		 * judge it again once that has run. */
		cj->fresh = vs.fresh_maps;
		rt_vmas_close(&vs);
		cj->again = true;
		cj->job.step = RT_CALL_REJUDGE;
		cj->job.wait = RT_JOB_AGENT;
		return;
	}
	vs.fresh_maps |= cj->fresh;
	c->smaps_reads += vs.smaps_reads;
	ctx->tr.retry.active = false;
	/* What was read by pid describes the caller only if its
	 * notification is still alive now (no recycled pid). */
	if (rt_seccomp_valid(ctx) < 0) {
		if (vs.fresh_maps)
			rt_procs_drop_proc(&ctx->tr.procs, c->tgid);
		c->outcome = RT_OUT_GONE;
		goto out;
	}
	if (r < 0) {
		c->outcome = RT_OUT_FAILED;
		c->why = "cannot read the caller's mappings";
		c->result = r == -ESRCH ? -EINVAL : r;
		rt_call_decide(pd, (int)-c->result, false);
		goto out;
	}
	if (c->v.action == RT_ACT_NONE) {
		c->outcome = RT_OUT_REJECTED;
		c->result = -c->v.err;
		rt_call_decide(pd, c->v.err, false);
	} else if (ctx->opt.mode == RT_MODE_CHECK || !ctx->ptrace_ok) {
		c->outcome = RT_OUT_PASSED;
		rt_call_decide(pd, 0, true);
		/* The kernel maps the first VMA's file there; should the call
		 * fail, the record is stale (wrong offset) and ignored. */
		if (c->v.first.file_id)
			rt_ident_record(&ctx->tr.ident, c->tgid, c->v.plan.addr,
					c->v.plan.len, c->v.plan.offset,
					c->v.first.file_id);
	} else {
		rt_emulate(ctx, cj);
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
stop_answered(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_pending *pd = &cj->pd;

	cj->job.step = RT_CALL_REPORT;
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0)
		return;
	pd->what = RT_PEND_NONE;
	if (rt_seccomp_answer(ctx, 0, pd->error, pd->cont) == -ENOENT) {
		c->outcome = RT_OUT_GONE;
		return;
	}
	cj->job.step = RT_CALL_KSTOP;
	rt_job_catch(&cj->job, c->tid, false);
}

/* -k: the answered caller is caught (or gone). */
static void
stopped_answered(struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_pending *pd = &cj->pd;
	struct rt_inject *in = &cj->job.in;

	cj->job.step = RT_CALL_REPORT;
	if (cj->job.err) {
		if (in->stopped)
			rt_inject_release(in);
		return;
	}
	pd->what = RT_PEND_RESUME;
	/* The answer came too late (before 5.19): the call runs again and is
	 * decided again; this one did not happen. */
	if (rt_inject_aborted(in)) {
		pd->restart = true;
		c->outcome = RT_OUT_RESTARTED;
		c->why = "a signal interrupted the call";
		return;
	}
	pd->resume_val = rt_arch_retreg(&in->saved);
	if (c->outcome == RT_OUT_PASSED)
		c->result = pd->resume_val;
	if (rt_call_stack(c, in, &pd->stack) == 0)
		c->stack = pd->stack;
}

/* The verdict is in: the line, then the caller goes on. */
static void
report(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_pending *pd = &cj->pd;
	unsigned int i;

	if ((pd->what == RT_PEND_RESUME || c->by_agent) && ctx->opt.layout &&
	    c->outcome == RT_OUT_EMULATED) {
		cj->layout = rt_layout_describe(c->tid, &c->v, ctx->page_size);
		c->layout = cj->layout;
	}
	if (c->timed) {
		c->ns = rt_now_ns() - cj->t0;
		c->ph_t = rt_now_ns();
	}
	rt_report_call(ctx, c);
	rt_call_phase(c, RT_PH_REPORT);
	ctx->stats.smaps_reads += c->smaps_reads;

	/* Only now does the caller go on. */
	if (pd->what == RT_PEND_RESPOND &&
	    rt_seccomp_answer(ctx, 0, pd->error, pd->cont) == -ENOENT)
		ctx->stats.gone++;
	else if (pd->what == RT_PEND_RESUME && pd->restart &&
		 rt_inject_restart(&cj->job.in) == -ESRCH)
		ctx->stats.gone++;
	else if (pd->what == RT_PEND_RESUME && !pd->restart &&
		 rt_inject_end(&cj->job.in, pd->resume_val) == -ESRCH)
		ctx->stats.gone++;
	rt_call_phase(c, RT_PH_RESUME);
	if (c->outcome == RT_OUT_EMULATED) {
		ctx->stats.bd.calls++;
		ctx->stats.bd.stops += c->stops;
		for (i = 0; i < RT_PH__COUNT; i++)
			ctx->stats.bd.ns[i] += c->ph[i];
	}
}

/* Fault injection, deny, or the rule book. */
static void
decide(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	int err;

	cj->job.step = RT_CALL_ANSWERED;
	if (rt_fault_match(ctx, c->nth, &err)) {
		c->outcome = RT_OUT_FAULT;
		c->result = -err;
		rt_call_decide(&cj->pd, err, false);
	} else if (ctx->opt.mode == RT_MODE_DENY) {
		c->outcome = RT_OUT_DENIED;
		c->result = -ctx->opt.deny_errno;
		rt_call_decide(&cj->pd, ctx->opt.deny_errno, false);
	} else {
		judge(ctx, cj);
	}
}

static void
call_resume(struct rt_ctx *ctx, struct rt_job *job)
{
	struct rt_call_job *cj = (struct rt_call_job *)job;

	switch (job->step) {
	case RT_CALL_JUDGE:
		decide(ctx, cj);
		return;
	case RT_CALL_REJUDGE:
		if (!rt_agent_idle(ctx, cj->c.tgid)) {
			job->wait = RT_JOB_AGENT;
			return;
		}
		job->step = RT_CALL_ANSWERED;
		judge(ctx, cj);
		return;
	case RT_CALL_ANSWERED:
		if (cj->pd.what == RT_PEND_RESPOND && ctx->opt.stack_trace &&
		    ctx->ptrace_ok)
			stop_answered(ctx, cj);
		else
			job->step = RT_CALL_REPORT;
		return;
	case RT_CALL_KSTOP:
		stopped_answered(cj);
		return;
	case RT_CALL_REPORT:
		report(ctx, cj);
		job->wait = RT_JOB_END;
		return;
	default:
		rt_emulate_resume(ctx, cj);
		return;
	}
}

static void
call_release(struct rt_job *job)
{
	free(((struct rt_call_job *)job)->layout);
	free(((struct rt_call_job *)job)->pd.stack);
}

static const struct rt_job_kind call_kind = {
	.name = "remap_file_pages",
	.resume = call_resume,
	.release = call_release,
};

/* Receive the next notification into ctx->req, or take the oldest kept
 * one.  Returns 1, 0 (nothing to serve), or -errno (fatal). */
static int
next_request(struct rt_ctx *ctx)
{
	struct seccomp_notif req;
	int r;

	if (ctx->nstash && !rt_job_busy(ctx)) {
		/* Kept while a job ran: oldest first.  An agent's first wait
		 * may be among them: one started by that job can make it
		 * before the job has seen its clone return and registered
		 * it (agent.c). */
		*ctx->req = ctx->stash[0];
		memmove(ctx->stash, ctx->stash + 1,
			--ctx->nstash * sizeof(*ctx->stash));
		return rt_agent_notify(ctx, ctx->req) ? 0 : 1;
	}
	memset(&req, 0, sizeof(req));
	r = rt_seccomp_recv(ctx->listener, &req);
	if (r < 0) {
		/* The caller died before we read it, or a signal hit us. */
		return r == -ENOENT || r == -EINTR ? 0 : r;
	}
	/* A thread that calls again is past any change it made. */
	if (ctx->tr.procs.nchanges)
		rt_procs_change_seen(&ctx->tr.procs, (pid_t)req.pid);
	if (rt_agent_notify(ctx, &req))
		return 0;
	/* A job is in flight: this one waits its turn (rt_job.h). */
	if (rt_job_busy(ctx) || ctx->nstash) {
		if (rt_agent_stash(ctx, &req, ctx->nstash) < 0)
			rt_seccomp_answer_id(ctx, req.id, 0, ENOMEM, false);
		return 0;
	}
	*ctx->req = req;
	return 1;
}

/*
 * Calls are judged against memory the agents have finished changing
 * (but those of process @keep): else the request is kept, and served
 * again once they have (rt_agent_hold()).  Was it?
 */
static bool
held(struct rt_ctx *ctx, pid_t keep)
{
	if (rt_agent_settled(ctx, (pid_t)ctx->req->pid, keep))
		return false;
	if (rt_agent_hold(ctx, ctx->req, 0, keep) < 0)
		rt_seccomp_answer(ctx, 0, ENOMEM, false);
	return true;
}

int
rt_notify_handle(struct rt_ctx *ctx)
{
	struct seccomp_data *d = &ctx->req->data;
	const struct rt_arch *abi;
	struct rt_call_job *cj;
	struct rt_call *c;
	bool remap;
	pid_t keep;
	uint64_t t0;
	bool timed;
	int r;

	/* Times are printed, summed or broken down; else not taken (a
	 * clock read is a measurable part of a 20 us call). */
	timed = !ctx->opt.quiet || ctx->opt.summary || ctx->stats.bd.on;
	t0 = timed ? rt_now_ns() : 0;
	r = next_request(ctx);
	if (r <= 0)
		return r;
	if (rt_privilege_foreign(ctx))
		return 0;
	/* The native ABI, or one rt_privilege_foreign() let through (an
	 * i386 remap_file_pages): its own numbers and register width. */
	abi = rt_arch_abi_call(d->arch, (int)d->nr);
	if (!abi)
		abi = &rt_arch_native;
	remap = d->nr == abi->nr_remap_file_pages;
	/* A followed call (mmap, mremap, ...) needs no job of its own: the
	 * one below is 20 KiB to clear, a tenth of a followed mmap. */
	if (!remap) {
		if (!held(ctx, 0))
			rt_follow_call(ctx, (pid_t)ctx->req->pid);
		return 0;
	}
	cj = calloc(1, sizeof(*cj));
	if (!cj) {
		rt_seccomp_answer(ctx, 0, ENOMEM, false);
		return 0;
	}
	c = &cj->c;
	c->abi = abi;
	/*
	 * Judge nothing against memory an agent is still changing; but a
	 * call its agent will answer may be judged while earlier ones of its
	 * process still run, if it reads nothing they change (judge()).
	 */
	if (abi->native && rt_agent_direct(ctx) &&
	    !(ctx->tr.retry.active && ctx->tr.retry.tid == (pid_t)ctx->req->pid)) {
		c->tgid = rt_procs_tgid(&ctx->tr.procs, (pid_t)ctx->req->pid);
		c->pipelined = c->tgid > 0;
	}
	keep = c->pipelined ? c->tgid : 0;
	if (held(ctx, keep)) {
		free(cj);
		return 0;
	}
	c->timed = timed;
	if (timed) {
		c->ph_t = rt_now_ns();
		c->ph[RT_PH_RECEIVE] = c->ph_t - t0;
		t0 = c->ph_t;
	}
	cj->t0 = t0;
	c->tid = ctx->req->pid;
	/* As the kernel's entry code passes them on: a compat call's are
	 * cut to 32 bits, though seccomp_data shows whole registers. */
	rt_remap_args_from_raw((const uint64_t *)d->args, abi->word_bits,
			       &c->args);
	c->nth = ++ctx->stats.calls;
	if (!c->pipelined)	/* else known already */
		c->tgid = rt_procs_tgid(&ctx->tr.procs, c->tid);
	if (timed)
		clock_gettime(CLOCK_REALTIME, &c->when);
	cj->job.kind = &call_kind;
	cj->job.tid = c->tid;
	/* Calls injected in its thread are of its ABI (inject.c). */
	cj->job.in.abi = abi->native ? NULL : abi;
	cj->job.tgid = c->tgid;
	rt_job_start(ctx, &cj->job);
	return 0;
}
