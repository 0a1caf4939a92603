/* rt_job.h - one piece of work that may have to wait: a notification
 * being served (notify.c, emulate.c, follow.c), or a held child being
 * fixed (inherit.c).
 *
 * A job never waits.  A step that needs a ptrace stop, the stops of the
 * threads it froze, or a change in an agent records what it waits for in
 * job->wait and returns; the loop (loop.c), the only place that waits,
 * resumes it when that arrives.  One job is in flight at a time:
 * notifications that come meanwhile are kept (ctx->stash) and served in
 * order after it, as before any job existed, so that the verdicts of one
 * process come in the order the kernel could give them.
 */
#ifndef RT_JOB_H
#define RT_JOB_H

#include <stdbool.h>
#include <sys/types.h>

#include "rt_ctx.h"
#include "rt_call.h"
#include "rt_emulate.h"
#include "rt_inject.h"

enum rt_job_wait {
	RT_JOB_RUN,		/* go on now */
	RT_JOB_STOP,		/* the next ptrace stop of job->tid */
	RT_JOB_FROZEN,		/* the stops of the threads in job->freeze */
	RT_JOB_AGENT,		/* a change in an agent (agent.c) */
	RT_JOB_END,		/* finished: the engine frees it */
};

struct rt_job;

struct rt_job_kind {
	const char *name;
	/* Go on from job->step; set job->wait before returning. */
	void (*resume)(struct rt_ctx *ctx, struct rt_job *job);
	/* Release what the job holds besides itself (may be NULL). */
	void (*release)(struct rt_job *job);
};

/*
 * The engine's part of a job.  A kind embeds it first in a structure of
 * its own (its per-call state) and allocates that; the engine frees it.
 */
struct rt_job {
	const struct rt_job_kind *kind;
	enum rt_job_wait wait;
	int step;		/* the kind's own state */
	pid_t tid;		/* RT_JOB_STOP: whose stop */
	pid_t tgid;
	struct rt_inject in;	/* the thread, once caught */
	bool step_calls;	/* single-step injected calls (inject.c) */
	bool calling;		/* an injected call runs */
	long ret;		/* the last injected call's raw result */
	int err;		/* 0, or why the last wait failed (-ESRCH) */
	struct rt_freeze freeze;
};

/* One notification of remap_file_pages being served. */
struct rt_call_job {
	struct rt_job job;
	struct rt_call c;
	struct rt_pending pd;
	struct rt_emu e;
	char *layout;		/* --layout's picture */
	uint64_t t0;
	bool again;		/* judged once more after its agent ran */
	bool fresh;		/* the first judgement opened maps afresh */
};

/*
 * rt_job_start() - make @job the job in flight and run it until it waits
 * or ends.  @job was allocated by its kind, with wait RT_JOB_RUN.
 */
void rt_job_start(struct rt_ctx *ctx, struct rt_job *job);

/*
 * rt_job_catch() - @tid has been interrupted (PTRACE_INTERRUPT) and
 * answered: the job resumes at its next stop, with the thread taken
 * (job->in) or job->err set.
 */
void rt_job_catch(struct rt_job *job, pid_t tid, bool step_calls);

/* rt_job_here() - the same for a thread in a stop already reaped. */
void rt_job_here(struct rt_job *job, pid_t tid);

/*
 * rt_job_call() - the caught thread runs @s; the job resumes with its
 * result in job->ret, or job->err set.
 */
void rt_job_call(struct rt_job *job, const struct rt_sys *s);

/*
 * How the loop's wait status for @pid concerned the job in flight:
 * RT_JOB_TOOK: consumed (the job went on); RT_JOB_NOT_MINE: the loop
 * handles it; RT_JOB_LOST: the job's thread is gone: the loop handles
 * the status, then calls rt_job_run().
 */
enum rt_job_route { RT_JOB_NOT_MINE, RT_JOB_TOOK, RT_JOB_LOST };
enum rt_job_route rt_job_status(struct rt_ctx *ctx, pid_t pid, int status);

/* Run the job in flight if it can go on (after RT_JOB_LOST, or a change
 * in an agent that it waits for). */
void rt_job_run(struct rt_ctx *ctx);

/* Is a job in flight? */
static inline bool
rt_job_busy(const struct rt_ctx *ctx)
{
	return ctx->job != NULL;
}

#endif
