/* job.c - the engine under every job: what it waits for, and going on
 * when the loop brings it (rt_job.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "rt_job.h"
#include "rt_freeze.h"
#include "rt_procs.h"

static void
advance(struct rt_ctx *ctx, struct rt_job *job)
{
	while (job->wait == RT_JOB_RUN)
		job->kind->resume(ctx, job);
	if (job->wait != RT_JOB_END)
		return;
	if (job->kind->release)
		job->kind->release(job);
	rt_freeze_thaw(&job->freeze);
	if (ctx->job == job)
		ctx->job = NULL;
	free(job);
}

void
rt_job_start(struct rt_ctx *ctx, struct rt_job *job)
{
	ctx->job = job;
	advance(ctx, job);
}

void
rt_job_catch(struct rt_job *job, pid_t tid, bool step_calls)
{
	job->tid = tid;
	job->step_calls = step_calls;
	job->in.stopped = false;
	job->calling = false;
	job->err = 0;
	job->wait = RT_JOB_STOP;
}

void
rt_job_here(struct rt_job *job, pid_t tid)
{
	job->tid = tid;
	job->calling = false;
	job->err = rt_inject_take(&job->in, tid, job->tgid, -1, false);
	job->wait = RT_JOB_RUN;
}

void
rt_job_call(struct rt_job *job, const struct rt_sys *s)
{
	job->err = rt_inject_arm(&job->in, s);
	job->calling = job->err == 0;
	job->wait = job->calling ? RT_JOB_STOP : RT_JOB_RUN;
}

/*
 * A signal caught in its delivery stop is queued again by the thread
 * itself (inject.c: requeue()), which calls rt_tgsigqueueinfo() with ids
 * of remaptrace's pid namespace and under the program's own filters: not
 * in another pid namespace, nor where the program has filters of its own
 * that would judge that call.  The signal is then given back as before,
 * without its siginfo.
 */
static bool
may_requeue(const struct rt_ctx *ctx, pid_t tid)
{
	unsigned long long ns = rt_procs_ns(tid, "pid");

	return ns && ns == rt_procs_ns(0, "pid") &&
	       rt_procs_filters(tid) == ctx->base_filters;
}

/* A stop of the thread the job waits for. */
static void
stopped(const struct rt_ctx *ctx, struct rt_job *job, int status)
{
	int r;

	if (!job->in.stopped) {
		job->err = rt_inject_take(&job->in, job->tid, job->tgid,
					  status, job->step_calls);
		if (job->in.have_info && !may_requeue(ctx, job->tid))
			job->in.have_info = false;
		job->wait = RT_JOB_RUN;
		return;
	}
	r = rt_inject_on_stop(&job->in, status, &job->ret);
	if (r == RT_INJECT_MORE)
		return;
	job->calling = false;
	job->err = r < 0 ? r : 0;
	job->wait = RT_JOB_RUN;
}

enum rt_job_route
rt_job_status(struct rt_ctx *ctx, pid_t pid, int status)
{
	struct rt_job *job = ctx->job;

	if (!job)
		return RT_JOB_NOT_MINE;
	if (job->freeze.n && rt_freeze_take(&job->freeze, pid, status)) {
		if (job->wait == RT_JOB_FROZEN && rt_freeze_done(&job->freeze)) {
			job->wait = RT_JOB_RUN;
			advance(ctx, job);
		}
		return RT_JOB_TOOK;
	}
	if (job->wait == RT_JOB_FROZEN && rt_freeze_done(&job->freeze)) {
		/* The last frozen thread exited: its status is the loop's. */
		job->wait = RT_JOB_RUN;
		return RT_JOB_LOST;
	}
	if (job->wait != RT_JOB_STOP || pid != job->tid)
		return RT_JOB_NOT_MINE;
	if (rt_inject_gone(status)) {
		job->in.stopped = false;
		job->calling = false;
		job->err = -ESRCH;
		job->wait = RT_JOB_RUN;
		return RT_JOB_LOST;
	}
	stopped(ctx, job, status);
	advance(ctx, job);
	return RT_JOB_TOOK;
}

void
rt_job_run(struct rt_ctx *ctx)
{
	struct rt_job *job = ctx->job;

	if (!job)
		return;
	if (job->wait == RT_JOB_AGENT)
		job->wait = RT_JOB_RUN;
	advance(ctx, job);
}
