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
#include "rt_tracer.h"

#define RECENT_NS	100000000ULL	/* how long a finished window counts */

static bool
recent(const struct rt_install *r, uint64_t t)
{
	return r->keyfd >= 0 && (!r->t_end || t - r->t_end < RECENT_NS);
}

int
rt_inherit_installed(struct rt_ctx *ctx, pid_t tgid, int tfd, int keyfd)
{
	struct rt_inherit *ih = &ctx->inherit;
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
		ctx->inherit.rec[slot].t_end = rt_notify_now_ns();
}

bool
rt_inherit_hold(struct rt_ctx *ctx, pid_t pid)
{
	struct rt_inherit *ih = &ctx->inherit;
	unsigned long long ppid;
	uint64_t t = rt_notify_now_ns();
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

/* Close in @pid (stopped) the descriptors it inherited from our windows. */
static void
fix_child(struct rt_ctx *ctx, pid_t pid, pid_t ppid)
{
	struct rt_inherit *ih = &ctx->inherit;
	struct rt_inject in;
	uint64_t args[6] = { 0 };
	unsigned int i;
	long ret;

	if (rt_inject_here(ctx, pid, &in) < 0) {
		rt_inject_end(ctx, &in, rt_arch_retreg(&in.saved));
		return;
	}
	/* A child sharing the table (CLONE_FILES) shares our close too. */
	if (syscall(SYS_kcmp, pid, ppid, KCMP_FILES, 0, 0) != 0 &&
	    rt_arch_check_syscall_insn(pid, &in.saved) == 0) {
		for (i = 0; i < RT_INSTALL_RECS; i++) {
			const struct rt_install *r = &ih->rec[i];

			if (r->keyfd < 0 || r->tgid != ppid ||
			    !same_file(pid, r->tfd, ctx->self, r->keyfd))
				continue;
			/* The parent's own descriptor of that file, made after
			 * our window closed, is the child's to keep. */
			if (r->t_end &&
			    same_file(ppid, r->tfd, ctx->self, r->keyfd))
				continue;
			args[0] = (uint64_t)r->tfd;
			if (rt_inject_call(ctx, &in, rt_arch_native.nr_close,
					   args, &ret) < 0)
				break;
		}
	}
	rt_inject_end(ctx, &in, rt_arch_retreg(&in.saved));
}

void
rt_inherit_release(struct rt_ctx *ctx)
{
	struct rt_inherit *ih = &ctx->inherit;

	while (ih->nheld) {
		struct rt_held h = ih->held[--ih->nheld];

		fix_child(ctx, h.pid, h.ppid);
	}
}

void
rt_inherit_free(struct rt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < RT_INSTALL_RECS; i++)
		if (ctx->inherit.rec[i].keyfd >= 0)
			close(ctx->inherit.rec[i].keyfd);
}
