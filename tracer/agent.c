/* agent.c - a helper process in the tracee's address space (rt_agent.h).
 *
 * Life of an agent:
 *  - spawn: in a ptrace-stop of a thread of the process (after a call
 *    emulated by injection), two pages are mapped (code, data), the code
 *    of agent-<arch>.S is copied in, made read+exec, and clone(CLONE_VM|
 *    CLONE_FILES|CLONE_UNTRACED) is injected at its first instruction.
 *    The child drops the shared descriptor table for an empty one, blocks
 *    every signal, leaves the terminal's session and waits.
 *  - ready: its waiting remap_file_pages(RT_AGENT_MAGIC, token) reaches
 *    us; we keep the notification unanswered.
 *  - run: the file goes in at RT_AGENT_FD with NOTIF_ADDFD (into the
 *    agent's own table: no thread of the program can see, close or
 *    replace it), the call into the data page, and the answer 1 wakes the
 *    agent; its next wait brings the call's result.
 *  - drop: on exec or exit of the process, SIGKILL, waited for by pidfd.
 *    With remaptrace gone its wait fails (ENOSYS) and it exits by itself.
 *
 * It is not a thread of the program (not in /proc/PID/task, not a target
 * of the program's signals, not counted by wait(2) without __WCLONE: its
 * exit signal is 0) and holds no descriptor of the program's.  What the
 * program can see of it is in the README ("Differences from the kernel").
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sched.h>
#include <seccomp.h>

#include "rt_compat.h"
#include "rt_tracer.h"
#include "rt_util.h"

#define AGENT_CLONE_FLAGS	(CLONE_VM | CLONE_FILES | CLONE_UNTRACED)
#define AGENT_MAX_TRIES		2

static struct rt_agent *
find(struct rt_ctx *ctx, pid_t tgid)
{
	size_t i;

	for (i = 0; i < ctx->agents.n; i++)
		if (ctx->agents.a[i].tgid == tgid)
			return &ctx->agents.a[i];
	return NULL;
}

/* Kill the agent of @pidfd and wait (at most a second) until it is gone:
 * then its hold on the address space is gone too (exit_mm() comes before
 * the pidfd's wake-up in do_exit()).  Closes @pidfd. */
static void
kill_wait(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (poll(&p, 1, 1000) < 0 && errno == EINTR)
		;
	close(pidfd);
}

static void
forget(struct rt_ctx *ctx, struct rt_agent *ag)
{
	if (ag->pidfd >= 0)
		kill_wait(ag->pidfd);
	*ag = ctx->agents.a[--ctx->agents.n];
}

bool
rt_agent_ready(struct rt_ctx *ctx, pid_t tgid)
{
	return find(ctx, tgid) != NULL;
}

bool
rt_agent_notify(struct rt_ctx *ctx, const struct seccomp_notif *req)
{
	size_t i;

	for (i = 0; i < ctx->agents.n; i++) {
		struct rt_agent *ag = &ctx->agents.a[i];

		if (ag->pid != (pid_t)req->pid ||
		    req->data.args[1] != ag->token)
			continue;
		ag->wait_id = req->id;
		ag->state = RT_AGENT_READY;
		return true;
	}
	return false;
}

/* Answer notification @id with @val. */
static int
answer(struct rt_ctx *ctx, uint64_t id, long val)
{
	struct seccomp_notif_resp *resp = ctx->resp;

	memset(resp, 0, sizeof(*resp));
	resp->id = id;
	resp->val = val;
	return seccomp_notify_respond(ctx->listener, resp) < 0 ? -errno : 0;
}

static int
stash(struct rt_ctx *ctx, const struct seccomp_notif *req)
{
	if (ctx->nstash == ctx->cap_stash) {
		size_t cap = ctx->cap_stash ? ctx->cap_stash * 2 : 8;
		struct seccomp_notif *n = realloc(ctx->stash,
						  cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ctx->stash = n;
		ctx->cap_stash = cap;
	}
	ctx->stash[ctx->nstash++] = *req;
	return 0;
}

/*
 * Wait for @pid's next wait: its report.  Other notifications are stashed
 * for the loop, wait statuses served (a tracee held in a stop could be
 * what the agent's mmap waits on).  Returns 0, or -ESRCH: agent gone.
 */
static int
wait_report(struct rt_ctx *ctx, pid_t tgid, pid_t pid, long *ret)
{
	struct seccomp_notif req;
	struct rt_agent *ag;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = ctx->listener, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
			{ .fd = ctx->sigfd, .events = POLLIN },
		};

		ag = find(ctx, tgid);
		if (!ag || ag->pid != pid)
			return -ESRCH;	/* dropped while we served a status */
		p[1].fd = ag->pidfd;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents & POLLIN) {
			memset(&req, 0, sizeof(req));
			if (seccomp_notify_receive(ctx->listener, &req) < 0)
				continue;	/* ENOENT: its caller died */
			if ((pid_t)req.pid == pid &&
			    req.data.args[0] == RT_AGENT_MAGIC &&
			    req.data.args[1] == ag->token) {
				ag->wait_id = req.id;
				ag->state = RT_AGENT_READY;
				*ret = (long)req.data.args[2];
				return 0;
			}
			if (stash(ctx, &req) < 0) {
				/* Cannot keep it: let the kernel decide. */
				answer(ctx, req.id, 0);
			}
			continue;
		}
		if (p[1].revents & POLLIN) {
			ctx->agents.lost++;
			forget(ctx, ag);
			return -ESRCH;
		}
		if (p[2].revents & POLLIN)
			rt_loop_service(ctx);
	}
}

int
rt_agent_run(struct rt_ctx *ctx, pid_t tgid, long nr, const uint64_t args[6],
	     int keyfd, uint64_t key_id, long *ret)
{
	struct rt_agent *ag = find(ctx, tgid);
	uint64_t call[7] = { (uint64_t)nr, args[0], args[1], args[2],
			     args[3], args[4], args[5] };
	struct iovec local = { call, sizeof(call) }, remote;
	pid_t pid;
	int r;

	if (!ag)
		return -EAGAIN;
	pid = ag->pid;
	/* Just started: its first wait is a few system calls away. */
	if (ag->state == RT_AGENT_STARTING) {
		r = wait_report(ctx, tgid, pid, ret);
		if (r < 0)
			return r;
		ag = find(ctx, tgid);
	}
	if (keyfd >= 0 && ag->fd_key != key_id) {
		struct seccomp_notif_addfd a = {
			.id = ag->wait_id,
			.flags = SECCOMP_ADDFD_FLAG_SETFD,
			.srcfd = keyfd,
			.newfd = RT_AGENT_FD,
			.newfd_flags = O_CLOEXEC,
		};

		/* Replaces (closes) the agent's previous file, if any. */
		if (ioctl(ctx->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0)
			goto lost;
		ag->fd_key = key_id;
	}
	remote.iov_base = (void *)(uintptr_t)(ag->base + ctx->page_size +
					      RT_AGENT_D_CALL);
	remote.iov_len = sizeof(call);
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(call))
		goto lost;
	r = answer(ctx, ag->wait_id, 1);
	if (r < 0)
		goto lost;
	return wait_report(ctx, tgid, pid, ret);
lost:
	ctx->agents.lost++;
	forget(ctx, ag);
	return -ESRCH;
}

/* May the stopped thread's process have an agent? */
static bool
may_spawn(struct rt_ctx *ctx, pid_t tid, pid_t tgid)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, tgid);
	char path[64];
	struct stat ours, theirs;

	if (ctx->opt.no_agent || !proc || find(ctx, tgid) ||
	    proc->agent_tries >= AGENT_MAX_TRIES)
		return false;
	/* Filters of its own would judge the agent's calls too. */
	if (rt_fileobj_filters(tid) != ctx->base_filters)
		return false;
	/* clone() returns the pid in the tracee's namespace. */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)tgid);
	if (stat("/proc/self/ns/pid", &ours) < 0 || stat(path, &theirs) < 0)
		return false;
	return ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
}

/* Fill the two pages at @base: code, then data. */
static int
write_pages(struct rt_ctx *ctx, pid_t tid, uint64_t base, uint64_t token)
{
	size_t len = (size_t)(rt_agent_code_end - rt_agent_code);
	unsigned char data[RT_AGENT_D_SIZE] = { 0 };
	uint64_t all = ~0ULL;
	struct iovec local[2] = {
		{ (void *)rt_agent_code, len },
		{ data, sizeof(data) },
	};
	struct iovec remote[2] = {
		{ (void *)(uintptr_t)base, len },
		{ (void *)(uintptr_t)(base + ctx->page_size), sizeof(data) },
	};

	memcpy(data + RT_AGENT_D_TOKEN, &token, sizeof(token));
	memcpy(data + RT_AGENT_D_MASK, &all, sizeof(all));
	data[RT_AGENT_D_ROOT] = '/';
	memcpy(data + RT_AGENT_D_NAME, RT_AGENT_NAME, sizeof(RT_AGENT_NAME));
	if (process_vm_writev(tid, local, 2, remote, 2, 0) !=
	    (ssize_t)(len + sizeof(data)))
		return -EIO;
	return 0;
}

void
rt_agent_spawn(struct rt_ctx *ctx, struct rt_inject *in)
{
	const struct rt_arch *a = &rt_arch_native;
	uint64_t len = 2 * ctx->page_size;
	uint64_t map[6] = { 0, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0 };
	uint64_t prot[6] = { 0, ctx->page_size, PROT_READ | PROT_EXEC };
	uint64_t clone[6] = { AGENT_CLONE_FLAGS, 0, 0, 0, 0, 0 };
	uint64_t unmap[6] = { 0, len };
	struct rt_proc *proc;
	struct rt_agent ag = { .tgid = in->tgid, .pidfd = -1 };
	long base = -1, ret;

	if (!in->stopped || !may_spawn(ctx, in->tid, in->tgid))
		return;
	proc = rt_procs_proc(&ctx->procs, in->tgid);
	proc->agent_tries++;
	if (getrandom(&ag.token, sizeof(ag.token), 0) != sizeof(ag.token))
		return;
	if (rt_inject_call(ctx, in, a->nr_mmap, map, &base) < 0 ||
	    base < 0)
		return;
	ag.base = (uint64_t)base;
	prot[0] = ag.base;
	/* No stack is used; any push would land in the data page. */
	clone[1] = ag.base + len - 64;
	if (write_pages(ctx, in->tid, ag.base, ag.token) < 0 ||
	    rt_inject_call(ctx, in, a->nr_mprotect, prot, &ret) < 0 ||
	    ret != 0 ||
	    rt_inject_call_at(ctx, in, ag.base, a->nr_clone, clone,
			      &ret) < 0 || ret <= 0)
		goto undo;
	ag.pid = (pid_t)ret;
	ag.pidfd = syscall(SYS_pidfd_open, ag.pid, 0);
	if (ag.pidfd < 0) {
		/* Cannot watch it: it must not run unwatched. */
		kill(ag.pid, SIGKILL);
		goto undo;
	}
	ag.state = RT_AGENT_STARTING;
	if (ctx->agents.n == ctx->agents.cap) {
		size_t cap = ctx->agents.cap ? ctx->agents.cap * 2 : 4;
		struct rt_agent *n = realloc(ctx->agents.a, cap * sizeof(*n));

		if (!n) {
			kill_wait(ag.pidfd);
			goto undo;
		}
		ctx->agents.a = n;
		ctx->agents.cap = cap;
	}
	ctx->agents.a[ctx->agents.n++] = ag;
	ctx->agents.spawned++;
	return;
undo:
	unmap[0] = ag.base;
	rt_inject_call(ctx, in, a->nr_munmap, unmap, &ret);
}

void
rt_agent_drop(struct rt_ctx *ctx, pid_t tgid)
{
	struct rt_agent *ag = find(ctx, tgid);

	if (ag)
		forget(ctx, ag);
}

void
rt_agent_fini(struct rt_ctx *ctx)
{
	while (ctx->agents.n)
		forget(ctx, &ctx->agents.a[0]);
	free(ctx->agents.a);
	memset(&ctx->agents, 0, sizeof(ctx->agents));
	free(ctx->stash);
	ctx->stash = NULL;
	ctx->nstash = ctx->cap_stash = 0;
}
