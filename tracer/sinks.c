/* ctx->out.c - where the log goes: standard error, -o FILE, -o '|COMMAND'
 * (strace's pipe; '!COMMAND' too), and with -ff -o FILE one file per
 * process, FILE.PID, as strace -ff writes them.
 *
 * The state below is the log's ctx->out.  It sits here rather than in
 * struct rt_ctx only because that header is being redesigned; it is set
 * once by rt_sinks_open() and read by report.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_ctx.h"
#include "rt_report.h"
#include "rt_util.h"

/* Per-process files kept open at once; the least recently used one is
 * closed beyond this (and appended to when its process writes again), so
 * that a program forking thousands of processes cannot exhaust ours. */
#define RT_PIDFILES_OPEN	32

struct rt_pidfile {
	pid_t pid;
	int fd;			/* -1: closed, reopened to append */
	unsigned long used;	/* when last written, for the LRU */
};


bool
rt_sinks_per_process(const struct rt_ctx *ctx)
{
	return ctx->out.per_process;
}

bool
rt_sinks_signals(const struct rt_ctx *ctx)
{
	return !ctx->out.no_signals;
}

/*
 * sh -c COMMAND reading the pipe, as a grandchild: the loop's
 * waitpid(-1) would otherwise reap it as if it were a tracee, and wait
 * for it before the log is closed.  The middle child stays until we hold
 * a pidfd of the command (its zombie keeps the pid from being reused);
 * the pidfd lets us wait for the command at the end.
 */
static int
start_command(struct rt_ctx *ctx, const char *cmd, int *wfd)
{
	_cleanup_close_ int rd = -1, wr = -1, prd = -1, pwr = -1, ard = -1,
			    awr = -1;
	int p[2], pidfd;
	pid_t mid, pid = -1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_neg_errno();
	rd = p[0], wr = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_neg_errno();
	prd = p[0], pwr = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_neg_errno();
	ard = p[0], awr = p[1];
	mid = fork();
	if (mid < 0)
		return rt_neg_errno();
	if (mid == 0) {
		char c;

		pid = fork();
		if (pid == 0) {
			if (dup2(rd, 0) < 0)
				_exit(126);
			fcntl(0, F_SETFD, 0);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			fprintf(stderr, "remaptrace: cannot run /bin/sh for "
				"-o '|%s': %s\n", cmd, strerror(errno));
			_exit(127);
		}
		if (write(pwr, &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		close(awr);
		/* until the supervisor has its pidfd: EOF */
		while (read(ard, &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(take_fd(pwr));
	if (read(prd, &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	pidfd = pid > 0 ? syscall(SYS_pidfd_open, pid, 0) : -1;
	close(take_fd(awr));
	waitpid(mid, NULL, 0);
	if (pid <= 0)
		return -ECHILD;
	if (pidfd < 0)
		return rt_neg_errno();
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	ctx->out.cmd_pidfd = pidfd;
	*wfd = take_fd(wr);
	return 0;
}

int
rt_sinks_open(struct rt_ctx *ctx, const struct rt_sink_opts *o)
{
	const char *spec = o->spec;
	bool pipe = spec && (spec[0] == '|' || spec[0] == '!');
	int fd = -1, r;

	ctx->out.log = stderr;
	ctx->out.no_signals = o->no_signals;
	if (!spec)
		return 0;	/* -ff without -o is -f, as in strace */
	if (o->per_process && pipe) {
		fprintf(stderr, "remaptrace: -ff needs -o FILE, not a pipe "
			"('%s'): each process's log goes to FILE.PID\n", spec);
		return -EINVAL;
	}
	if (o->per_process) {
		ctx->out.per_process = true;
		ctx->out.base = spec;
		return 0;
	}
	if (pipe) {
		r = start_command(ctx, spec + 1, &fd);
		if (r < 0) {
			fprintf(stderr, "remaptrace: cannot start the log "
				"command '%s': %s\n", spec + 1, strerror(-r));
			return r;
		}
	} else {
		fd = open(spec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0666);
		if (fd < 0) {
			r = -errno;
			fprintf(stderr, "remaptrace: cannot open '%s': %s\n",
				spec, strerror(errno));
			return r;
		}
	}
	ctx->out.log = fdopen(fd, "w");
	if (!ctx->out.log) {
		r = -errno;
		close(fd);
		ctx->out.log = stderr;
		fprintf(stderr, "remaptrace: cannot open '%s': %s\n", spec,
			strerror(-r));
		return r;
	}
	return 0;
}

static struct rt_pidfile *
lookup(struct rt_ctx *ctx, pid_t pid)
{
	for (size_t i = 0; i < ctx->out.nf; i++)
		if (ctx->out.f[i].pid == pid)
			return &ctx->out.f[i];
	return NULL;
}

static void
close_lru(struct rt_ctx *ctx)
{
	struct rt_pidfile *old = NULL;

	for (size_t i = 0; i < ctx->out.nf; i++)
		if (ctx->out.f[i].fd >= 0 &&
		    (!old || ctx->out.f[i].used < old->used))
			old = &ctx->out.f[i];
	if (old) {
		close(old->fd);
		old->fd = -1;
		ctx->out.nopen--;
	}
}

static int
open_pidfile(struct rt_ctx *ctx, struct rt_pidfile *pf, bool first)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s.%d", ctx->out.base,
			     pf->pid) >= sizeof(path))
		return -ENAMETOOLONG;
	if (ctx->out.nopen >= RT_PIDFILES_OPEN)
		close_lru(ctx);
	pf->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		      (first ? O_TRUNC : O_APPEND), 0666);
	if (pf->fd < 0)
		return rt_neg_errno();
	ctx->out.nopen++;
	return 0;
}

int
rt_sinks_fd(struct rt_ctx *ctx, pid_t pid)
{
	struct rt_pidfile *pf, *nf;
	bool first = false;
	int r;

	if (!ctx->out.per_process)
		return fileno(ctx->out.log);
	pf = lookup(ctx, pid);
	if (!pf) {
		if (ctx->out.nf == ctx->out.cap_f) {
			size_t cap = ctx->out.cap_f ? ctx->out.cap_f * 2 : 16;

			nf = realloc(ctx->out.f, cap * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			ctx->out.f = nf;
			ctx->out.cap_f = cap;
		}
		pf = &ctx->out.f[ctx->out.nf++];
		*pf = (struct rt_pidfile){ .pid = pid, .fd = -1 };
		first = true;
	}
	if (pf->fd < 0) {
		r = open_pidfile(ctx, pf, first);
		if (r < 0)
			return r;
	}
	pf->used = ++ctx->out.tick;
	return pf->fd;
}

static void
close_failed(struct rt_ctx *ctx, int err)
{
	if (ctx->out.log_err)
		return;
	ctx->out.log_err = err;
	fprintf(stderr, "remaptrace: writing the log: %s\n", strerror(err));
}

void
rt_sinks_close(struct rt_ctx *ctx)
{
	struct pollfd p = { .fd = ctx->out.cmd_pidfd, .events = POLLIN };

	for (size_t i = 0; i < ctx->out.nf; i++)
		if (ctx->out.f[i].fd >= 0 && close(ctx->out.f[i].fd) < 0 &&
		    errno != EINTR)
			close_failed(ctx, errno);
	free(ctx->out.f);
	ctx->out.f = NULL;
	ctx->out.nf = ctx->out.cap_f = ctx->out.nopen = 0;
	/* The last of a -o FILE's data leaves here (NFS reports a failed
	 * write only on close). */
	if (ctx->out.log && ctx->out.log != stderr && fclose(ctx->out.log) == EOF)
		close_failed(ctx, errno);
	ctx->out.log = NULL;
	if (ctx->out.cmd_pidfd < 0)
		return;
	/* The command read the end of the log: wait until it is done. */
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	close(ctx->out.cmd_pidfd);
	ctx->out.cmd_pidfd = -1;
}
