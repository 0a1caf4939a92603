/* inherit.c - a child forked while a descriptor was installed for an
 * emulation must not keep it.
 *
 * In a multi-threaded program the descriptor NOTIF_ADDFD installs exists
 * for a few microseconds; a child that another thread forks meanwhile
 * inherits it, which the kernel's remap_file_pages never causes.  Every
 * new task stops once before it runs (PTRACE_SEIZE auto-attach).  If its
 * parent had such a descriptor lately, the child is held in that first
 * stop; once no injection is in flight, its copy is closed (if kcmp says
 * it is ours, and the table is its own) and it goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "rt_features.h"
#include "rt_job.h"
#include "rt_inherit.h"
#include "rt_inject.h"
#include "rt_util.h"

#define RECENT_NS	100000000ULL	/* how long a finished window counts */

static bool
recent(const struct rt_install *r, uint64_t t)
{
	return r->keyfd >= 0 && (!r->t_end || t - r->t_end < RECENT_NS);
}

int
rt_inherit_installed(struct rt_ctx *ctx, pid_t tgid, int tfd, int keyfd)
{
	struct rt_inherit *ih = &ctx->tr.inherit;
	struct rt_install *r = &ih->rec[ih->next++ % RT_INSTALL_RECS];

	if (r->keyfd >= 0)
		close(r->keyfd);
	*r = (struct rt_install){
		.tgid = tgid, .tfd = tfd,
		.keyfd = fcntl(keyfd, F_DUPFD_CLOEXEC, 3),
	};
	return (int)(r - ih->rec);
}

void
rt_inherit_closed(struct rt_ctx *ctx, int slot)
{
	if (slot >= 0 && slot < RT_INSTALL_RECS)
		ctx->tr.inherit.rec[slot].t_end = rt_now_ns();
}

bool
rt_inherit_hold(struct rt_ctx *ctx, pid_t pid)
{
	struct rt_inherit *ih = &ctx->tr.inherit;
	unsigned long long ppid;
	uint64_t t = rt_now_ns();
	unsigned int i;

	if (!rt_features_has(RT_FEAT_KCMP))
		return false;	/* nothing could tell its copy is ours */
	for (i = 0; i < RT_INSTALL_RECS; i++)
		if (recent(&ih->rec[i], t))
			break;
	if (i == RT_INSTALL_RECS || ih->nheld == RT_HELD_MAX)
		return false;
	if (rt_procs_status(pid, "PPid", 10, &ppid) < 0)
		return false;
	for (i = 0; i < RT_INSTALL_RECS; i++) {
		if (recent(&ih->rec[i], t) && ih->rec[i].tgid == (pid_t)ppid) {
			ih->held[ih->nheld].pid = pid;
			ih->held[ih->nheld++].ppid = (pid_t)ppid;
			return true;
		}
	}
	return false;
}

static bool
same_file(pid_t a, int fa, pid_t b, int fb)
{
	return syscall(SYS_kcmp, a, b, KCMP_FILE, fa, fb) == 0;
}

/* A held child whose inherited descriptors are being closed. */
struct inherit_job {
	struct rt_job job;
	pid_t ppid;
	unsigned int next;	/* the record to look at next */
	bool checked;		/* its own table, a native syscall insn */
};

/* The next descriptor @ij's child inherited from our windows, or -1. */
static int
next_inherited(struct rt_ctx *ctx, struct inherit_job *ij)
{
	struct rt_inherit *ih = &ctx->tr.inherit;
	pid_t pid = ij->job.tid;

	while (ij->next < RT_INSTALL_RECS) {
		const struct rt_install *r = &ih->rec[ij->next++];

		if (r->keyfd < 0 || r->tgid != ij->ppid ||
		    !same_file(pid, r->tfd, ctx->self, r->keyfd))
			continue;
		/* The parent's own descriptor of that file, made after our
		 * window closed, is the child's to keep. */
		if (r->t_end && same_file(ij->ppid, r->tfd, ctx->self, r->keyfd))
			continue;
		return r->tfd;
	}
	return -1;
}

/* Close in the held child (stopped) what it inherited, then resume it. */
static void
inherit_resume(struct rt_ctx *ctx, struct rt_job *job)
{
	struct inherit_job *ij = (struct inherit_job *)job;
	struct rt_inject *in = &job->in;
	struct rt_sys close_it = { .nr = rt_arch_native.nr_close };
	int tfd;

	if (!job->err && !ij->checked) {
		/* A child sharing the table (CLONE_FILES) shares our close
		 * too. */
		ij->checked = true;
		if (syscall(SYS_kcmp, job->tid, ij->ppid, KCMP_FILES, 0, 0) == 0 ||
		    rt_arch_check_syscall_insn(job->tid, &in->saved) != 0)
			ij->next = RT_INSTALL_RECS;
	}
	tfd = job->err ? -1 : next_inherited(ctx, ij);
	if (tfd >= 0) {
		close_it.args[0] = (uint64_t)tfd;
		rt_job_call(job, &close_it);
		return;
	}
	if (in->stopped)
		rt_inject_release(in);
	job->wait = RT_JOB_END;
}

static const struct rt_job_kind inherit_kind = {
	.name = "inherit",
	.resume = inherit_resume,
};

void
rt_inherit_release(struct rt_ctx *ctx)
{
	struct rt_inherit *ih = &ctx->tr.inherit;

	while (ih->nheld && !rt_job_busy(ctx)) {
		struct rt_held h = ih->held[--ih->nheld];
		struct inherit_job *ij = calloc(1, sizeof(*ij));

		if (!ij) {
			ptrace(PTRACE_CONT, h.pid, NULL, NULL);
			continue;
		}
		ij->job.kind = &inherit_kind;
		ij->job.tgid = h.pid;
		ij->ppid = h.ppid;
		rt_job_here(&ij->job, h.pid);
		rt_job_start(ctx, &ij->job);
	}
}

void
rt_inherit_free(struct rt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < RT_INSTALL_RECS; i++)
		if (ctx->tr.inherit.rec[i].keyfd >= 0)
			close(ctx->tr.inherit.rec[i].keyfd);
}
