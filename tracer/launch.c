/* launch.c - fork the program, put it under the filter, hand the listener
 * to the supervisor, seize it with ptrace and exec.
 *
 * Child and supervisor talk over one SOCK_SEQPACKET pair: the child sends
 * the listener (SCM_RIGHTS), waits for "go" (the supervisor has seized it),
 * and execs; the close-on-exec socket then reads as EOF, or the child sends
 * the errno of its failed execve, as env(1) and strace report it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_launch.h"
#include "rt_util.h"

enum stage { ST_READY = 1, ST_FILTER_FAILED, ST_EXEC_FAILED,
	     ST_USER_FAILED };

struct msg {
	int stage;
	int err;
	int killable;
	int nested;	/* another listener serves this tree already */
};

static int
send_msg(int sock, const struct msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Returns bytes read (0: EOF), *fd set when a descriptor came along. */
static ssize_t
recv_msg(int sock, struct msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* Run child_run() again in a fresh remaptrace (same process). */
static void
reexec(int sock, bool follow_mmap, char **argv)
{
	char self[PATH_MAX], num[16];
	ssize_t n;
	int i, argc;
	char **av;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	for (argc = 0; argv[argc]; argc++)
		;
	av = calloc(argc + 6, sizeof(*av));
	if (!av)
		return;
	snprintf(num, sizeof(num), "%d", sock);
	av[0] = self;
	av[1] = (char *)RT_LAUNCH_HELPER;
	av[2] = num;
	av[3] = (char *)(follow_mmap ? "follow" : "nofollow");
	av[4] = (char *)"--";
	for (i = 0; i < argc; i++)
		av[5 + i] = argv[i];
	fcntl(sock, F_SETFD, 0);
	execv(self, av);
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	free(av);
}

/*
 * The child's part, after fork (or in a re-executed remaptrace, see
 * below): filter, hand over the listener, wait to be seized, exec @argv.
 * Never returns.  Only async-signal-safe calls after fork would be the
 * rule in a threaded parent; the supervisor has no threads.
 */
static void __attribute__((noreturn))
child_run(int sock, bool follow_mmap, bool may_reexec, char **argv)
{
	struct msg m = { .stage = ST_READY };
	int listener, r;
	bool killable;
	char go;

	r = rt_filter_install(&listener, &killable, follow_mmap);
	/*
	 * seccomp(2) may be unknown not to the kernel but to a tool that
	 * runs this process (valgrind 3.19 runs remaptrace, and so this
	 * child until it execs; libseccomp then falls back to prctl, which
	 * cannot ask for a listener: EINVAL).  A fresh remaptrace, which
	 * such a tool does not follow into, tries once more in the same
	 * process; on a kernel that truly lacks it, it fails the same way
	 * and reports that.
	 */
	if (r < 0 && r != -EBUSY && may_reexec)
		reexec(sock, follow_mmap, argv);
	/*
	 * EBUSY: a filter with a listener is already in this task's chain
	 * (kernel/seccomp.c: has_duplicate_listener()), e.g. remaptrace
	 * inside remaptrace.  That supervisor already serves the calls:
	 * run the program without a filter of our own.
	 */
	if (r == -EBUSY) {
		m.nested = 1;
		r = 0;
	}
	if (r < 0) {
		m.stage = ST_FILTER_FAILED;
		m.err = -r;
		send_msg(sock, &m, -1);
		_exit(125);
	}
	m.killable = killable;
	if (send_msg(sock, &m, listener) < 0)
		_exit(125);
	if (listener >= 0)
		close(listener);
	/* Wait until the supervisor has seized us (or gave up doing so). */
	if (read(sock, &go, 1) != 1)
		_exit(125);
	execvp(argv[0], argv);
	m.stage = ST_EXEC_FAILED;
	m.err = errno;
	send_msg(sock, &m, -1);
	_exit(m.err == ENOENT ? 127 : 126);
}

/*
 * -u: become @u before the filter goes in.  After it, setgroups and
 * setuid would be calls our own filter sends to the supervisor, which is
 * still waiting for the listener.  Groups first, then the gid, then the
 * uid, which drops the right to change the others.  No setuid program can
 * regain anything: no_new_privs follows with the filter.
 */
static int
become(const struct rt_launch_user *u)
{
	if (initgroups(u->name, u->gid) < 0)
		return -errno;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return -errno;
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	return 0;
}

static void __attribute__((noreturn))
child(struct rt_ctx *ctx, const struct rt_launch_user *user, int sock)
{
	struct msg m = { .stage = ST_USER_FAILED };
	int r;

	sigprocmask(SIG_SETMASK, &ctx->saved_mask, NULL);
	/* The program sees the descriptor limit it would see natively. */
	if (ctx->nofile_known)
		setrlimit(RLIMIT_NOFILE, &ctx->nofile);
	if (user && (r = become(user)) < 0) {
		m.err = -r;
		send_msg(sock, &m, -1);
		_exit(125);
	}
	child_run(sock, ctx->opt.mode != RT_MODE_DENY, true, ctx->opt.argv);
}

int
rt_launch_helper_main(int argc, char **argv)
{
	char *end;
	long sock;

	/* remaptrace RT_LAUNCH_HELPER SOCK follow|nofollow -- PROGRAM... */
	if (argc < 6 || strcmp(argv[4], "--"))
		return 125;
	sock = strtol(argv[2], &end, 10);
	if (*end || sock < 0 || sock > 1 << 20)
		return 125;
	fcntl((int)sock, F_SETFD, FD_CLOEXEC);
	child_run((int)sock, !strcmp(argv[3], "follow"), false, argv + 5);
}

static int
seize(struct rt_ctx *ctx)
{
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
		    PTRACE_O_TRACEEXEC;
	int r;

	if (ctx->opt.kill_on_exit)
		opts |= PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SEIZE, ctx->tr.child, NULL, opts) < 0)
		return -errno;
	ctx->tr.ntracees = 1;
	r = rt_procs_add(&ctx->tr.procs, ctx->tr.child, ctx->tr.child);
	/* Seized, not auto-attached: it makes no first stop of its own. */
	if (r == 0)
		rt_procs_first_stop(&ctx->tr.procs, ctx->tr.child);
	return r;
}

int
rt_launch(struct rt_ctx *ctx, const struct rt_launch_user *user,
	  int *exec_err)
{
	_cleanup_close_ int parent_sock = -1, child_sock = -1;
	int sv[2], fd, r;
	struct msg m = { 0 };
	ssize_t n;

	*exec_err = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return rt_neg_errno();
	parent_sock = sv[0];
	child_sock = sv[1];

	ctx->tr.child = fork();
	if (ctx->tr.child < 0)
		return rt_neg_errno();
	if (ctx->tr.child == 0) {
		close(parent_sock);
		child(ctx, user, child_sock);
	}
	close(take_fd(child_sock));

	n = recv_msg(parent_sock, &m, &fd);
	if (n != sizeof(m) || m.stage != ST_READY) {
		if (fd >= 0)
			close(fd);
		waitpid(ctx->tr.child, NULL, 0);
		ctx->tr.child = -1;
		if (n == sizeof(m) && m.stage == ST_USER_FAILED) {
			fprintf(stderr, "remaptrace: -u %s: cannot take the "
				"user's credentials: %s\n", user->name,
				strerror(m.err));
			return -ECANCELED;
		}
		return n == sizeof(m) && m.err ? -m.err : -EPROTO;
	}
	if (fd < 0 && !m.nested)
		return -EPROTO;
	if (m.nested)
		fprintf(ctx->out.log ? ctx->out.log : stderr,
			"remaptrace: another seccomp listener (an outer "
			"remaptrace?) already serves this process tree; the "
			"kernel allows only one, so '%s' runs without a filter "
			"of ours and that supervisor answers its "
			"remap_file_pages calls\n", ctx->opt.argv[0]);
	ctx->listener = fd;
	ctx->killable_recv = m.killable;
	/* Filters above this count are the program's own (fileobj.c). */
	ctx->base_filters = rt_procs_filters(ctx->tr.child);
	/* The listener's features (SYNC_WAKE_UP set on it if there), and
	 * -v says them all before the program's first line. */
	rt_features_listener(fd, m.killable);
	if (ctx->opt.verbose && !ctx->opt.quiet && ctx->out.log) {
		rt_features_log(ctx->out.log);
		fflush(ctx->out.log);
	}
	if (fd >= 0 && !rt_features_has(RT_FEAT_NOTIF_CONTINUE))
		return -ENOSYS;	/* the caller says why, kills the child */

	/* Nested: without a listener there is nothing to inject for, and
	 * the outer supervisor, which serves the calls, must keep it. */
	r = m.nested ? -EPERM : seize(ctx);
	ctx->ptrace_ok = r == 0;
	if (r < 0 && r != -EPERM)
		return r;	/* the caller kills the child */
	if (r == -EPERM && !m.nested)
		fprintf(ctx->out.log ? ctx->out.log : stderr,
			"remaptrace: cannot ptrace '%s': %s (another tracer, "
			"such as strace -f or gdb, holds it?); valid calls "
			"go to the kernel as with --mode=check, and a signal "
			"that arrives while a call waits for remaptrace can "
			"make it fail with EINTR (the kernel's own call never "
			"does)\n",
			ctx->opt.argv[0], strerror(EPERM));

	if (write(parent_sock, "g", 1) != 1)
		return rt_neg_errno();
	n = recv_msg(parent_sock, &m, &fd);
	if (fd >= 0)
		close(fd);
	if (n == sizeof(m) && m.stage == ST_EXEC_FAILED)
		*exec_err = m.err;
	return 0;
}

/*
 * --kill-on-exit: when the supervisor dies, do_exit() closes its files
 * (the listener: waiting calls fail with ENOSYS and the program runs on)
 * before exit_notify() delivers PTRACE_O_EXITKILL's SIGKILL.  A keeper
 * process, not our child (double fork), holds a copy of the listener
 * until a pidfd of the supervisor says it is gone, which is after the
 * SIGKILL: meanwhile waiting calls just wait.
 */
int
rt_launch_keeper(struct rt_ctx *ctx)
{
	int pfd[2], me, fd;
	pid_t mid, keeper = -1;

	if (!rt_features_has(RT_FEAT_PIDFD_OPEN))
		return -ENOSYS;
	me = syscall(SYS_pidfd_open, getpid(), 0);
	if (me < 0)
		return rt_neg_errno();
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close(me);
		return rt_neg_errno();
	}
	mid = fork();
	if (mid == 0) {
		keeper = fork();
		if (keeper == 0) {
			struct pollfd p = { .fd = me, .events = POLLIN };

			/* Keep only the listener and the pidfd. */
			for (fd = 0; fd < 1024; fd++)
				if (fd != me && fd != ctx->listener)
					close(fd);
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		if (write(pfd[1], &keeper, sizeof(keeper)) < 0)
			_exit(1);
		_exit(0);
	}
	close(me);
	close(pfd[1]);
	if (mid < 0) {
		close(pfd[0]);
		return rt_neg_errno();
	}
	if (read(pfd[0], &keeper, sizeof(keeper)) != sizeof(keeper))
		keeper = -1;
	close(pfd[0]);
	waitpid(mid, NULL, 0);
	ctx->tr.keeper = keeper;
	return keeper > 0 ? 0 : -ECHILD;
}
