/* rt_launch.h - start the program under the filter (tracer/launch.c,
 * tracer/filter.c).
 */
#ifndef RT_LAUNCH_H
#define RT_LAUNCH_H

#include <sys/types.h>

#include "rt_ctx.h"

/**
 * rt_filter_install() - in the child: set no_new_privs and load the filter
 * that sends remap_file_pages to user space, and with @follow_mmap also
 * mmap(MAP_SHARED) of a file (for open-file identity, tracer/ident.c).
 * @listener: out: the notification fd.
 * @killable: out: whether SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19) is
 *	in effect.
 * Returns 0 or -errno (-ENOSYS/-EINVAL: no user notification in the kernel).
 */
int rt_filter_install(int *listener, bool *killable, bool follow_mmap);

/* -u USER: whom the program runs as. */
struct rt_launch_user {
	uid_t uid;
	gid_t gid;
	char name[64];		/* for initgroups(3) */
};

/**
 * rt_launch() - fork, filter, seize and exec ctx->opt.argv.
 * @user: NULL, or the user the program runs as (-u): the child takes its
 *	supplementary groups (initgroups), gid and uid, real, effective and
 *	saved, before the filter is installed; remaptrace keeps its own.
 * Sets ctx->tr.child, ctx->listener, ctx->ptrace_ok, ctx->killable_recv.
 * @exec_err: out: the errno of the child's failed execve, 0 when it ran.
 * Returns 0 (the child runs, or exec failed: see @exec_err), or -errno
 * when remaptrace itself could not set up.
 */
int rt_launch(struct rt_ctx *ctx, const struct rt_launch_user *user,
	      int *exec_err);

/*
 * rt_launch_keeper() - for --kill-on-exit: a process that keeps the
 * listener open until the supervisor has died (see launch.c).  Sets
 * ctx->tr.keeper.  Returns 0 or -errno.
 */
int rt_launch_keeper(struct rt_ctx *ctx);

/*
 * The hidden first argument of a remaptrace re-executed by its own child
 * when seccomp(2) is unknown to whatever runs it (valgrind): the child's
 * part of rt_launch() is done by that fresh image instead.
 */
#define RT_LAUNCH_HELPER	"--rt-launch-helper"
int rt_launch_helper_main(int argc, char **argv);

#endif
