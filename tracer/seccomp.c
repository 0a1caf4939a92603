/* seccomp.c - the user-notification listener: receive, answer, check
 * that a notification still waits, install a descriptor in its caller.
 * A kernel adapter: nothing here waits or knows about jobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <seccomp.h>

#include "rt_compat.h"
#include "rt_seccomp.h"

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
rt_seccomp_recv(int fd, struct seccomp_notif *req)
{
	return or_ioctl(seccomp_notify_receive(fd, req), fd,
			SECCOMP_IOCTL_NOTIF_RECV, req);
}

int
rt_seccomp_send(int fd, struct seccomp_notif_resp *resp)
{
	return or_ioctl(seccomp_notify_respond(fd, resp), fd,
			SECCOMP_IOCTL_NOTIF_SEND, resp);
}

int
rt_seccomp_valid_id(int fd, uint64_t id)
{
	return or_ioctl(seccomp_notify_id_valid(fd, id), fd,
			SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 ? -ENOENT : 0;
}

int
rt_seccomp_valid(struct rt_ctx *ctx)
{
	return rt_seccomp_valid_id(ctx->listener, ctx->req->id);
}

int
rt_seccomp_answer(struct rt_ctx *ctx, long val, int error, bool cont)
{
	return rt_seccomp_answer_id(ctx, ctx->req->id, val, error, cont);
}

int
rt_seccomp_answer_id(struct rt_ctx *ctx, uint64_t id, long val, int error,
		     bool cont)
{
	struct seccomp_notif_resp *resp = ctx->resp;

	memset(resp, 0, sizeof(*resp));
	resp->id = id;
	resp->val = val;
	resp->error = error ? -error : 0;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	return rt_seccomp_send(ctx->listener, resp);
}

int
rt_seccomp_addfd(struct rt_ctx *ctx, int fd)
{
	return rt_seccomp_addfd_id(ctx, ctx->req->id, fd, -1);
}

int
rt_seccomp_addfd_id(struct rt_ctx *ctx, uint64_t id, int fd, int newfd)
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

