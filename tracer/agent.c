/* agent.c - a helper process in the tracee's address space (rt_agent.h).
 *
 * Life of an agent:
 *  - spawn: in a ptrace-stop of a thread of the process (after a call
 *    emulated by injection), two pages are mapped (code, data), the code
 *    of agent-<arch>.S is copied in, made read+exec, and clone(CLONE_VM|
 *    CLONE_FILES|CLONE_UNTRACED) is injected at its first instruction.
 *    The child drops the shared descriptor table for an empty one, blocks
 *    every signal, leaves the terminal's session and waits in a marked
 *    remap_file_pages(RT_AGENT_MAGIC, token).
 *  - set-up, at the first call that needs it: its ends of a request pipe,
 *    a result pipe and a socket pair go in at fixed numbers (NOTIF_ADDFD)
 *    and its wait is answered.  From then on it only ever waits on the
 *    request pipe: when remaptrace dies, it reads end of file and exits.
 *  - run: a request names one system call; a file to map travels on the
 *    socket (SCM_RIGHTS) into one of RT_AGENT_FILES slots of the agent's
 *    own table, where no thread of the program can close or replace it.
 *    The raw result comes back on the result pipe; the loop reads it and
 *    answers the caller (rt_agent_event()).  Requests run in
 *    the order sent; with -q, a call may be sent while earlier ones of the
 *    process still wait to run, when its judgement read nothing they can
 *    change (rt_span.h): the kernel would give the same in either order.
 *    Otherwise it is judged again once they have run.
 *  - drop: on exec or exit of the process, and before the program changes
 *    its credentials or confinement (privilege.c), SIGKILL, waited for by
 *    pidfd.  One that stops answering (stopped, spinning, killed) is
 *    dropped after RT_AGENT_PATIENCE_MS: the program controls it.
 *
 * Security: it shares the program's memory, so it is the program.  It is
 * cloned from the calling thread (its credentials, root, namespaces,
 * filters and limits), is killed before any of those change, and holds
 * only descriptors the program had: the pipes to us, and the program's
 * own open files (pidfd_getfd copies).  Nothing it reports is trusted
 * beyond its own process's answers.
 *
 * It is not a thread of the program (not in /proc/PID/task, not a target
 * of the program's signals, not counted by wait(2) without __WCLONE: its
 * exit signal is 0) and holds no descriptor of the program's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <seccomp.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_job.h"
#include "rt_fileobj.h"
#include "rt_inject.h"
#include "rt_seccomp.h"
#include "rt_util.h"

#define AGENT_CLONE_FLAGS	(CLONE_VM | CLONE_FILES | CLONE_UNTRACED)

/* The agent's code reads requests by these offsets (rt_agent.h). */
_Static_assert(offsetof(struct rt_agent_req, nr) == RT_AGENT_R_NR, "nr");
_Static_assert(offsetof(struct rt_agent_req, args) == RT_AGENT_R_ARGS, "args");
_Static_assert(offsetof(struct rt_agent_req, slot) == RT_AGENT_R_SLOT, "slot");
_Static_assert(offsetof(struct rt_agent_req, flags) == RT_AGENT_R_FLAGS,
	       "flags");
_Static_assert(sizeof(struct rt_agent_req) == RT_AGENT_R_SIZE, "size");
_Static_assert(RT_AGENT_D_REQ + RT_AGENT_R_SIZE <= RT_AGENT_D_RESULT,
	       "data page layout");
#define AGENT_MAX_TRIES		2
/*
 * The program controls its agent (it may stop it, kill it, or patch its
 * code to spin): waits for it are polled in ticks, and one that is
 * stopped, or that has not answered within RT_AGENT_PATIENCE_MS, is
 * dropped and its callers judged again by ptrace.  An mmap that populates
 * gigabytes may take that long; it is then simply run again.
 */
#define AGENT_TICK_MS		100
#define RT_AGENT_PATIENCE_MS	1500

/* May we go on waiting for agent @pid, first waited for at @t0? */
static bool
patient(pid_t pid, uint64_t t0)
{
	char st = rt_procs_state(pid);

	if (!st || st == 'T' || st == 't' || st == 'Z' || st == 'X')
		return false;
	return rt_now_ns() - t0 < RT_AGENT_PATIENCE_MS * 1000000ULL;
}

static struct rt_agent *
find(struct rt_ctx *ctx, pid_t tgid)
{
	size_t i;

	for (i = 0; i < ctx->tr.agents.n; i++)
		if (ctx->tr.agents.a[i].tgid == tgid)
			return &ctx->tr.agents.a[i];
	return NULL;
}

/*
 * Kill agent @pidfd of @tgid.  SIGKILL takes effect when it leaves the
 * kernel: until its pidfd says it has exited (the loop watches it,
 * rt_agent_event()), it is dying, and nothing that needs it gone
 * (rt_agent_dying()) goes on.  Without the loop (start-up, shut-down)
 * it is waited for here, a bounded wait.
 */
static bool
bury(struct rt_ctx *ctx, int pidfd, pid_t pid, pid_t tgid, pid_t hold)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pidfd };
	struct rt_dying *d;

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	d = ctx->epfd >= 0 && !ctx->tr.agents.final ? rt_grow(ctx->tr.agents.dying, ctx->tr.agents.ndying,
				     &ctx->tr.agents.cap_dying, sizeof(*d), 4) :
			     NULL;
	if (!d || epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		if (d)
			ctx->tr.agents.dying = d;
		rt_pidfd_kill_wait(pidfd);
		return false;
	}
	ctx->tr.agents.dying = d;
	d[ctx->tr.agents.ndying++] = (struct rt_dying){ .pidfd = pidfd,
							.pid = pid,
							.tgid = tgid,
							.hold = hold };
	return hold > 0;
}

/* @pidfd is readable: if it is a dying agent's, it has exited. */
static bool
buried(struct rt_ctx *ctx, int pidfd)
{
	size_t i;

	for (i = 0; i < ctx->tr.agents.ndying; i++) {
		if (ctx->tr.agents.dying[i].pidfd != pidfd)
			continue;
		close(pidfd);	/* leaves the epoll set too */
		if (ctx->tr.agents.dying[i].hold > 0)
			ptrace(PTRACE_CONT, ctx->tr.agents.dying[i].hold, NULL,
			       NULL);
		ctx->tr.agents.dying[i] =
			ctx->tr.agents.dying[--ctx->tr.agents.ndying];
		return true;
	}
	return false;
}

bool
rt_agent_dying(const struct rt_ctx *ctx, pid_t tgid)
{
	size_t i;

	for (i = 0; i < ctx->tr.agents.ndying; i++)
		if (!tgid || ctx->tr.agents.dying[i].tgid == tgid)
			return true;
	return false;
}

static bool
forget_hold(struct rt_ctx *ctx, struct rt_agent *ag, pid_t hold)
{
	bool held = false;

	if (ag->sock >= 0)
		close(ag->sock);
	if (ag->req >= 0)
		close(ag->req);
	if (ag->res >= 0)
		close(ag->res);
	if (ag->pidfd >= 0)
		held = bury(ctx, ag->pidfd, ag->pid, ag->tgid, hold);
	*ag = ctx->tr.agents.a[--ctx->tr.agents.n];
	return held;
}

static void
forget(struct rt_ctx *ctx, struct rt_agent *ag)
{
	forget_hold(ctx, ag, 0);
}



/* Judge @req again, after those put back before it (*n of them). */
static void
requeue(struct rt_ctx *ctx, const struct seccomp_notif *req, size_t *n)
{
	if (rt_seccomp_valid_id(ctx->listener, req->id) < 0)
		return;		/* answered, or its caller gone */
	if (rt_agent_stash(ctx, req, *n) < 0) {
		/* Never left waiting: an error the kernel's call can give. */
		rt_seccomp_answer_id(ctx, req->id, 0, ENOMEM, false);
		return;
	}
	(*n)++;
}

/*
 * @ag is gone.  A caller it was to answer may wait still (its answer
 * comes after its result, and it may have died in between): each such
 * notification, still pending, is judged again, in order, ahead of the
 * others.
 */
static void
lose(struct rt_ctx *ctx, struct rt_agent *ag)
{
	unsigned int i;
	size_t n = 0;

	if (ag->have_last)
		requeue(ctx, &ag->last, &n);
	for (i = ag->ring.done; i < ag->ring.unread; i++)
		if (rt_ring_at(&ag->ring, i)->caller)
			requeue(ctx, &rt_ring_at(&ag->ring, i)->notif, &n);
	ctx->tr.agents.lost++;
	forget(ctx, ag);
}

static int
lose_r(struct rt_ctx *ctx, struct rt_agent *ag)
{
	lose(ctx, ag);
	return -ESRCH;
}

bool
rt_agent_ready(struct rt_ctx *ctx, pid_t tgid)
{
	return find(ctx, tgid) != NULL;
}

bool
rt_agent_direct(const struct rt_ctx *ctx)
{
	/* Only with no per-call line: one is written before its caller
	 * goes on, which needs the result first.  The answer then comes
	 * from the loop, when the result arrives (retire()). */
	return ctx->opt.quiet && !ctx->opt.summary && !ctx->opt.layout &&
	       !ctx->opt.stack_trace && !ctx->stats.bd.on;
}

bool
rt_agent_notify(struct rt_ctx *ctx, const struct seccomp_notif *req)
{
	size_t i;

	if (req->data.nr != rt_arch_native.nr_remap_file_pages ||
	    req->data.args[0] != RT_AGENT_MAGIC)
		return false;
	for (i = 0; i < ctx->tr.agents.n; i++) {
		struct rt_agent *ag = &ctx->tr.agents.a[i];

		if (ag->pid != (pid_t)req->pid ||
		    req->data.args[1] != ag->token || ag->seen)
			continue;
		ag->first_id = req->id;
		ag->seen = true;
		return true;
	}
	/* An agent killed before its first wait was served (its process
	 * exited or exec'd): never the program's call. */
	for (i = 0; i < ctx->tr.agents.ndying; i++) {
		if (ctx->tr.agents.dying[i].pid == (pid_t)req->pid) {
			rt_seccomp_answer_id(ctx, req->id, 0, ESRCH, false);
			return true;
		}
	}
	/* One that has exited since, its notification dead with it. */
	return req->data.nr == rt_arch_native.nr_remap_file_pages &&
	       rt_seccomp_valid_id(ctx->listener, req->id) < 0 &&
	       !rt_procs_known(&ctx->tr.procs, (pid_t)req->pid);
}

/* Keep @req for the loop (notify.c), at place @pos of the stash. */
int
rt_agent_stash(struct rt_ctx *ctx, const struct seccomp_notif *req, size_t pos)
{
	struct seccomp_notif *s = rt_grow(ctx->stash, ctx->nstash,
					  &ctx->cap_stash, sizeof(*s), 8);

	if (!s)
		return -ENOMEM;
	ctx->stash = s;
	memmove(s + pos + 1, s + pos, (ctx->nstash - pos) * sizeof(*s));
	s[pos] = *req;
	ctx->nstash++;
	return 0;
}

/* Send @req; @fd, when >= 0, goes first on the socket, for req->slot. */
static int
send_req(struct rt_agent *ag, const struct rt_agent_req *req, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char one = 0;
	struct iovec iov = { &one, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(ag->sock, &msg, MSG_NOSIGNAL) != 1)
			return -ESRCH;
	}
	/* SIGPIPE is blocked in the supervisor: a gone reader is EPIPE. */
	if (write(ag->req, req, sizeof(*req)) != (ssize_t)sizeof(*req))
		return -ESRCH;
	return 0;
}

/*
 * The answer for job @j whose call returned @r, as the ptrace way gives
 * it: the job's error if it names one (a huge-page range unmapped, then
 * EINVAL), else 0 when mmap returned the planned address, its errno, or
 * EIO for anything else (an agent the program made lie).
 */
static int
answer_of(const struct rt_agent_sent *j, long r)
{
	if (j->answer_err)
		return (int)-j->answer_err;
	if ((uint64_t)r == j->want)
		return 0;
	return r < 0 && r > -4096 ? (int)-r : EIO;
}

/* The result @r of the oldest request has been read: answer its caller. */
static void
retire(struct rt_ctx *ctx, struct rt_agent *ag, long r)
{
	struct rt_agent_sent *j = rt_ring_at(&ag->ring, 0);
	int err;

	if (j->dup_first)
		ag->scratch = r < 0 && r > -4096 ? 0 : (uint64_t)r;
	if (j->dup_len)
		ag->last_move = r;
	ag->last_result = r;
	/* A second mapping that could not be moved is ours to remove. */
	if (j->dup_len && (uint64_t)r != j->want && ag->scratch) {
		ag->garbage = ag->scratch;
		ag->garbage_len = j->dup_len;
	}
	if (j->caller) {
		err = answer_of(j, r);
		/* It was counted as emulated when it was sent. */
		if (err && !j->answer_err) {
			ctx->stats.emulated--;
			ctx->stats.failed++;
		}
		if (rt_seccomp_answer_id(ctx, j->notif.id, 0, err, false) ==
		    -ENOENT)
			ctx->stats.gone++;
		j->caller = 0;
	}
	ag->have_last = j->caller != 0;
	ag->last = j->notif;
	if (rt_ring_pop(&ag->ring))
		ag->have_last = false;	/* answered: its caller called again */
}

/* Started, and its first wait not seen yet? */
static bool
starting(const struct rt_agent *ag)
{
	return ag->state == RT_AGENT_STARTING && !ag->seen;
}

/* Requests that may still run? */
static bool
busy(const struct rt_agent *ag)
{
	return rt_ring_busy(&ag->ring);
}

/*
 * Read the agent's results that are there (its result pipe is
 * O_NONBLOCK), answering their callers.  A failed call among those the
 * agent answered itself was counted as emulated: count it failed.  Never
 * waits: the loop comes back when more arrive (rt_agent_event()), and
 * rt_agent_tick() drops an agent that keeps them too long.  Returns 0, or
 * -ESRCH: it is gone (lost).
 */
static int
drain(struct rt_ctx *ctx, struct rt_agent *ag)
{
	long r[RT_RING_SIZE];
	unsigned int i;
	ssize_t n;

	while (ag->ring.unread) {
		n = read(ag->res, r, ag->ring.unread * sizeof(r[0]));
		if (n > 0 && n % sizeof(r[0]) == 0) {
			for (i = 0; i < n / sizeof(r[0]); i++)
				retire(ctx, ag, r[i]);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		lose(ctx, ag);	/* end of file: it is gone */
		return -ESRCH;
	}
	return 0;
}

/*
 * A request was sent: answering @notif (or none) with @answer_err or by
 * its result against @want, changing @span.
 */
static void
push(struct rt_agent *ag, const struct seccomp_notif *notif, uint64_t want,
     int64_t answer_err, const struct rt_span_job *span)
{
	struct rt_agent_sent *j = rt_ring_push(&ag->ring);

	if (span)
		j->span = *span;
	j->opaque = notif && !span;
	j->sent_ns = rt_now_ns();
	if (notif) {
		j->caller = (pid_t)notif->pid;
		j->notif = *notif;
		j->want = want;
		j->answer_err = answer_err;
	}
}

/* Install @fd in the agent's table at @slot, during its first wait. */
static int
give(struct rt_ctx *ctx, struct rt_agent *ag, int fd, int slot)
{
	int r = rt_seccomp_addfd_id(ctx, ag->first_id, fd, slot);

	close(fd);
	return r < 0 ? r : 0;
}

/*
 * The agent's first wait has been seen: install its ends of a socket pair
 * and two pipes, and answer it.  Nothing else of ours goes in: the
 * program can take whatever the agent holds (pidfd_getfd, or its code
 * patched in the memory they share).
 */
static int
set_up(struct rt_ctx *ctx, struct rt_agent *ag)
{
	int sv[2] = { -1, -1 }, rq[2] = { -1, -1 }, rs[2] = { -1, -1 };
	int r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(rq, O_CLOEXEC) < 0 || pipe2(rs, O_CLOEXEC) < 0) {
		close(sv[0]); close(sv[1]); close(rq[0]); close(rq[1]);
		return -ENOMEM;
	}
	ag->sock = sv[0];
	ag->req = rq[1];
	ag->res = rs[0];
	fcntl(ag->res, F_SETFL, O_NONBLOCK);
	/* Each give() closes our copy of its end, failed or not. */
	r = give(ctx, ag, sv[1], RT_AGENT_SOCK);
	r = give(ctx, ag, rq[0], RT_AGENT_REQ) ?: r;
	r = give(ctx, ag, rs[1], RT_AGENT_RES) ?: r;
	if (r < 0 || rt_seccomp_answer_id(ctx, ag->first_id, 1, 0, false) < 0)
		return -ESRCH;
	/* The loop reads results as they come, and learns of its loss by
	 * hang-up. */
	if (ctx->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = ag->res };

		epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ag->res, &ev);
	}
	ag->state = RT_AGENT_READY;
	/* Where its answers wake their callers: on our CPU. */
	if (ctx->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(ctx->cpu, &one);
		sched_setaffinity(ag->pid, sizeof(one), &one);
	}
	return 0;
}

/* The slot holding @key_id, or a free (else the oldest) one in *send. */
static unsigned int
slot_for(struct rt_agent *ag, uint64_t key_id, bool *send)
{
	unsigned int i;

	for (i = 0; i < RT_AGENT_FILES; i++) {
		if (ag->slot_key[i] == key_id) {
			*send = false;
			return i;
		}
	}
	*send = true;
	i = ag->next_slot++ % RT_AGENT_FILES;
	ag->slot_key[i] = key_id;
	return i;
}

/* Unmap a second mapping that could not be moved (rt_agent_run_dup()). */
static int
flush_garbage(struct rt_agent *ag)
{
	struct rt_agent_req req = {
		.nr = (uint64_t)rt_arch_native.nr_munmap,
		.args = { ag->garbage, ag->garbage_len },
	};

	if (!ag->garbage || !rt_ring_room(&ag->ring, 0))
		return 0;
	ag->garbage = 0;
	if (send_req(ag, &req, -1) < 0)
		return -ESRCH;
	push(ag, NULL, 0, 0, NULL);
	return 0;
}

/*
 * @tgid's agent, set up, with room for @room requests; with @alone, once
 * every earlier request has run.  Returns 0 (*agp), -EAGAIN (no agent),
 * -EINPROGRESS (not yet: the caller's job waits for a change in it,
 * RT_JOB_AGENT) or -ESRCH (lost).
 */
static int
ready(struct rt_ctx *ctx, pid_t tgid, bool alone, unsigned int room,
      struct rt_agent **agp)
{
	struct rt_agent *ag = find(ctx, tgid);

	if (!ag)
		return -EAGAIN;
	if (ag->state == RT_AGENT_STARTING) {
		/* Just started: its first wait is a few system calls away,
		 * and the loop sees it come (rt_agent_notify()). */
		if (!ag->seen)
			return patient(ag->pid, ag->spawned_ns) ? -EINPROGRESS :
								  lose_r(ctx, ag);
		if (set_up(ctx, ag) < 0)
			return lose_r(ctx, ag);
	}
	/*
	 * A call that waits for its result reads it alone.  Others may be
	 * sent while earlier ones still run: the judgement of this one
	 * read nothing they change (rt_agent_conflict()).
	 */
	if (alone || !rt_ring_room(&ag->ring, room)) {
		if (drain(ctx, ag) < 0)
			return -ESRCH;
		if (ag->ring.unread)
			return -EINPROGRESS;
	}
	if (flush_garbage(ag) < 0)
		return lose_r(ctx, ag);
	*agp = ag;
	return 0;
}

int
rt_agent_run(struct rt_ctx *ctx, pid_t tgid, long nr, uint64_t args[6],
	     uint64_t key_id, uint64_t answer_id,
	     int64_t answer_err, const struct rt_span_job *span)
{
	struct rt_agent_req req = { .nr = (uint64_t)nr };
	struct rt_agent *ag;
	bool send_fd = false;
	unsigned int slot;
	int r, keyfd = -1;

	r = ready(ctx, tgid, !answer_id, 1, &ag);
	if (r < 0)
		return r;
	if (key_id) {
		keyfd = rt_ident_key_fd(&ctx->tr.ident, key_id);
		if (keyfd < 0)
			return -EAGAIN;
	}
	if (keyfd >= 0) {
		slot = slot_for(ag, key_id, &send_fd);
		args[4] = RT_AGENT_FILE0 + slot;
		if (send_fd)
			req.slot = RT_AGENT_FILE0 + slot;
	}
	memcpy(req.args, args, sizeof(req.args));
	if (send_req(ag, &req, send_fd ? keyfd : -1) < 0) {
		memset(ag->slot_key, 0, sizeof(ag->slot_key));
		goto lost;
	}
	push(ag, answer_id ? ctx->req : NULL, args[0],
	     answer_id ? answer_err : 0, span);
	if (++ctx->tr.agents.requests == ctx->tr.agents.kill_at)
		syscall(SYS_pidfd_send_signal, ag->pidfd, SIGKILL, NULL, 0);
	return 0;
lost:
	lose(ctx, ag);
	return -ESRCH;
}

int
rt_agent_run_dup(struct rt_ctx *ctx, pid_t tgid, uint64_t src, uint64_t lead,
		 uint64_t len, uint64_t start, bool fresh, int prot,
		 long lock_nr, uint64_t answer_id,
		 const struct rt_span_job *span)
{
	static const int advice[RT_FRESH_ADVICE_N] = RT_FRESH_ADVICE;
	const struct rt_arch *a = &rt_arch_native;
	/* A second mapping of the very open file from @src's offset, where
	 * the kernel finds room (kept as the base); the mark keeps our
	 * filter quiet. */
	struct rt_agent_req dup = {
		.nr = (uint64_t)a->nr_mremap,
		.args = { src, 0, lead + len, MREMAP_MAYMOVE, a->mremap_mark },
		.flags = RT_AGENT_F_SAVE,
	};
	/* Its part at @lead moved over the range, unless that failed... */
	struct rt_agent_req move = {
		.nr = (uint64_t)a->nr_mremap,
		.args = { lead, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, start },
		.flags = RT_AGENT_F_CHAIN_BASE | RT_AGENT_F_ARG0_BASE,
	};
	/* (after, with @fresh, madvise hints cleared there: marked) */
	struct rt_agent_req hint = {
		.nr = (uint64_t)a->nr_madvise,
		.args = { lead, len, 0, a->mremap_mark },
		.flags = RT_AGENT_F_CHAIN_BASE | RT_AGENT_F_ARG0_BASE,
	};
	/* (with @prot, narrowed to it) */
	struct rt_agent_req narrow = {
		.nr = (uint64_t)a->nr_mprotect,
		.args = { lead, len, (uint64_t)prot },
		.flags = RT_AGENT_F_CHAIN_BASE | RT_AGENT_F_ARG0_BASE,
	};
	/* (and, with @lock_nr, mlock or munlock there: its result is
	 * not the call's, as MAP_LOCKED's populating is not) */
	struct rt_agent_req lock = {
		.nr = (uint64_t)lock_nr,
		.args = { lead, len, a->mremap_mark },
		.flags = RT_AGENT_F_CHAIN_BASE | RT_AGENT_F_ARG0_BASE,
	};
	unsigned int i;
	/* ... and the part before it unmapped, unless the move failed. */
	struct rt_agent_req head = {
		.nr = (uint64_t)a->nr_munmap,
		.args = { 0, lead },
		.flags = RT_AGENT_F_CHAIN | RT_AGENT_F_ARG0_BASE,
	};
	struct rt_agent *ag;
	int r;

	r = ready(ctx, tgid, !answer_id, 5 + RT_FRESH_ADVICE_N, &ag);
	if (r < 0)
		return r;
	if (send_req(ag, &dup, -1) < 0)
		goto lost;
	push(ag, NULL, 0, 0, span);
	rt_ring_at(&ag->ring, ag->ring.unread - 1)->dup_first = true;
	for (i = 0; fresh && i < RT_FRESH_ADVICE_N; i++) {
		hint.args[2] = (uint64_t)advice[i];
		if (send_req(ag, &hint, -1) < 0)
			goto lost;
		push(ag, NULL, 0, 0, span);
	}
	if (prot >= 0) {
		if (send_req(ag, &narrow, -1) < 0)
			goto lost;
		push(ag, NULL, 0, 0, span);
	}
	if (lock_nr) {
		if (send_req(ag, &lock, -1) < 0)
			goto lost;
		push(ag, NULL, 0, 0, span);
	}
	if (send_req(ag, &move, -1) < 0)
		goto lost;
	push(ag, answer_id ? ctx->req : NULL, start, 0, span);
	rt_ring_at(&ag->ring, ag->ring.unread - 1)->dup_len = lead + len;
	if (lead) {
		if (send_req(ag, &head, -1) < 0)
			goto lost;
		push(ag, NULL, 0, 0, span);
	}
	return 0;
lost:
	lose(ctx, ag);
	return -ESRCH;
}

/*
 * Thread @tid calls again: a request that answered it has run, and every
 * request before it.  Only with WAIT_KILLABLE_RECV: else a signal could
 * have aborted its wait and this be the same call again, still running.
 */
static void
called_again(struct rt_ctx *ctx, struct rt_agent *ag, pid_t tid)
{
	if (!ctx->killable_recv)
		return;
	if (rt_ring_called_again(&ag->ring, tid))
		ag->have_last = false;	/* older: answered too */
}

bool
rt_agent_settled(struct rt_ctx *ctx, pid_t tid, pid_t keep)
{
	bool settled = true;
	size_t i = 0;

	while (i < ctx->tr.agents.n) {
		struct rt_agent *ag = &ctx->tr.agents.a[i];

		called_again(ctx, ag, tid);
		/* Read the results there: what may still run must have run,
		 * except @keep's; and they must not pile up. */
		if (busy(ag) && drain(ctx, ag) < 0)
			continue;	/* a loss reorders the table: slot i again */
		if (ag->tgid != keep && busy(ag))
			settled = false;
		i++;
	}
	/* A lost agent may still be running what its callers, judged
	 * again now, asked of it. */
	return settled && !rt_agent_dying(ctx, 0);
}

bool
rt_agent_conflict(struct rt_ctx *ctx, pid_t tgid, const struct rt_span *read)
{
	struct rt_agent *ag = find(ctx, tgid);

	return ag && rt_ring_conflict(&ag->ring, read);
}

bool
rt_agent_idle(struct rt_ctx *ctx, pid_t tgid)
{
	struct rt_agent *ag = find(ctx, tgid);

	if (!ag || !busy(ag))
		return true;
	return drain(ctx, ag) < 0 || !busy(ag);
}

int
rt_agent_result(struct rt_ctx *ctx, pid_t tgid, pid_t pid, bool dup,
		long *ret)
{
	struct rt_agent *ag = find(ctx, tgid);

	if (!ag || ag->pid != pid)
		return -ESRCH;
	if (drain(ctx, ag) < 0)
		return -ESRCH;
	if (ag->ring.unread)
		return -EINPROGRESS;
	*ret = dup ? ag->last_move : ag->last_result;
	return 0;
}

pid_t
rt_agent_pid(struct rt_ctx *ctx, pid_t tgid)
{
	struct rt_agent *ag = find(ctx, tgid);

	return ag ? ag->pid : 0;
}

/* A notification held until the agents allow it (rt_agent_hold()). */
struct hold_job {
	struct rt_job job;
	pid_t tid;
	pid_t keep;
};

static void
hold_resume(struct rt_ctx *ctx, struct rt_job *job)
{
	struct hold_job *h = (struct hold_job *)job;
	bool ok = job->tgid ? rt_agent_idle(ctx, job->tgid) &&
			      !rt_agent_dying(ctx, job->tgid) :
			      rt_agent_settled(ctx, h->tid, h->keep);

	job->wait = ok ? RT_JOB_END : RT_JOB_AGENT;
}

static const struct rt_job_kind hold_kind = {
	.name = "hold",
	.resume = hold_resume,
};

int
rt_agent_hold(struct rt_ctx *ctx, const struct seccomp_notif *req,
	      pid_t tgid, pid_t keep)
{
	struct hold_job *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	if (rt_agent_stash(ctx, req, 0) < 0) {
		free(h);
		return -ENOMEM;
	}
	h->job.kind = &hold_kind;
	h->job.tgid = tgid;
	h->job.wait = RT_JOB_AGENT;
	h->tid = (pid_t)req->pid;
	h->keep = keep;
	rt_job_start(ctx, &h->job);
	return 0;
}

void
rt_agent_event(struct rt_ctx *ctx, int fd)
{
	struct rt_agent *ag;
	unsigned int owed;
	pid_t tgid, pid;
	long extra;
	size_t i;

	if (buried(ctx, fd))
		return;
	for (i = 0; i < ctx->tr.agents.n; i++) {
		if (ctx->tr.agents.a[i].res == fd)
			break;
	}
	if (i == ctx->tr.agents.n)
		return;
	tgid = ctx->tr.agents.a[i].tgid;
	pid = ctx->tr.agents.a[i].pid;
	owed = ctx->tr.agents.a[i].ring.unread;
	/* Results owed: read them, answer their callers. */
	if (drain(ctx, &ctx->tr.agents.a[i]) < 0)
		return;
	ag = find(ctx, tgid);
	if (ag && ag->pid == pid && flush_garbage(ag) < 0) {
		lose(ctx, ag);
		return;
	}
	if (!ag || ag->pid != pid || ag->ring.unread || owed)
		return;
	/* Nothing owed: end of file is its end, and a result nobody asked
	 * for is a lie (the program patched it).  Either way it goes.
	 * Only asked when the pipe woke us with nothing owed: after the
	 * results owed, anything more wakes the loop again (the epoll set
	 * is level-triggered), which saves a read per call. */
	if (read(fd, &extra, sizeof(extra)) >= 0)
		lose(ctx, ag);
}

/* The stopped thread's process, if it may have an agent, else NULL. */
static struct rt_proc *
may_spawn(struct rt_ctx *ctx, pid_t tid, pid_t tgid)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, tgid);
	unsigned long long ours, theirs;
	int filters;

	if (ctx->opt.no_agent || !rt_features_has(RT_FEAT_PIDFD_OPEN) ||
	    !proc || find(ctx, tgid) ||
	    proc->agent_tries >= AGENT_MAX_TRIES)
		return NULL;
	/* Not while a change of its rights may still be running: it would
	 * start with the old ones (privilege.c).  Asked again next time. */
	if (rt_procs_change_pending(&ctx->tr.procs, tgid))
		return NULL;
	/* Filters of its own would judge the agent's calls too. */
	filters = rt_procs_filters(tid);
	if (filters < 0)
		return NULL;
	/* clone() returns the pid in the tracee's namespace. */
	ours = rt_procs_ns(0, "pid");
	theirs = rt_procs_ns(tgid, "pid");
	if (!ours || !theirs)
		return NULL;
	if (filters != ctx->base_filters || ours != theirs) {
		/* Filters are never removed, nor a pid namespace left: no
		 * need to ask again at each emulated call. */
		proc->agent_tries = AGENT_MAX_TRIES;
		return NULL;
	}
	return proc;
}

/* Fill the two pages at @base: code, then data. */
static int
write_pages(struct rt_ctx *ctx, pid_t tid, uint64_t base, uint64_t token)
{
	size_t len = (size_t)(rt_agent_code_end - rt_agent_code);
	uint64_t data_at = base + ctx->page_size;
	unsigned char data[RT_AGENT_D_SIZE] = { 0 };
	struct msghdr msg = {
		.msg_iov = (struct iovec *)(uintptr_t)(data_at +
						       RT_AGENT_D_IOV),
		.msg_iovlen = 1,
		.msg_control = (void *)(uintptr_t)(data_at + RT_AGENT_D_CTL),
	};
	struct iovec iov = {
		(void *)(uintptr_t)(data_at + RT_AGENT_D_BYTE), 1,
	};
	uint64_t all = ~0ULL;
	struct iovec local[2] = {
		{ (void *)rt_agent_code, len },
		{ data, sizeof(data) },
	};
	struct iovec remote[2] = {
		{ (void *)(uintptr_t)base, len },
		{ (void *)(uintptr_t)data_at, sizeof(data) },
	};

	memcpy(data + RT_AGENT_D_TOKEN, &token, sizeof(token));
	memcpy(data + RT_AGENT_D_MASK, &all, sizeof(all));
	data[RT_AGENT_D_ROOT] = '/';
	memcpy(data + RT_AGENT_D_NAME, RT_AGENT_NAME, sizeof(RT_AGENT_NAME));
	memcpy(data + RT_AGENT_D_MSG, &msg, sizeof(msg));
	memcpy(data + RT_AGENT_D_IOV, &iov, sizeof(iov));
	if (process_vm_writev(tid, local, 2, remote, 2, 0) !=
	    (ssize_t)(len + sizeof(data)))
		return -EIO;
	return 0;
}

/* The steps of rt_agent_spawn_step(): what the last call was. */
enum {
	SPAWN_START,
	SPAWN_MAPPED,		/* mmap of the two pages */
	SPAWN_PROTECTED,	/* mprotect of the code page */
	SPAWN_CLONED,		/* clone at the code */
	SPAWN_END,		/* done, or the pages unmapped again */
};

/* Something failed after the pages were mapped: unmap them. */
static int
spawn_undo(struct rt_ctx *ctx, struct rt_agent_spawn *sp, struct rt_sys *next)
{
	*next = (struct rt_sys){ .nr = rt_arch_native.nr_munmap,
				 .args = { sp->base, 2 * ctx->page_size } };
	sp->step = SPAWN_END;
	return RT_SYS_CALL;
}

/* The clone ran: watch the new agent, or kill it. */
static int
spawn_watch(struct rt_ctx *ctx, struct rt_agent_spawn *sp,
	    const struct rt_inject *in, long ret, struct rt_sys *next)
{
	struct rt_agent ag = { .tgid = in->tgid, .pidfd = -1, .sock = -1,
			       .req = -1, .res = -1, .base = sp->base,
			       .token = sp->token };
	struct rt_agent *table;

	if (ret <= 0)
		return spawn_undo(ctx, sp, next);
	ag.pid = (pid_t)ret;
	ag.pidfd = syscall(SYS_pidfd_open, ag.pid, 0);
	if (ag.pidfd < 0) {
		/* Cannot watch it: it must not run unwatched. */
		kill(ag.pid, SIGKILL);
		return spawn_undo(ctx, sp, next);
	}
	ag.state = RT_AGENT_STARTING;
	ag.spawned_ns = rt_now_ns();
	table = rt_grow(ctx->tr.agents.a, ctx->tr.agents.n, &ctx->tr.agents.cap,
			sizeof(*table), 4);
	if (!table) {
		bury(ctx, ag.pidfd, ag.pid, ag.tgid, 0);
		return spawn_undo(ctx, sp, next);
	}
	ctx->tr.agents.a = table;
	ctx->tr.agents.a[ctx->tr.agents.n++] = ag;
	ctx->tr.agents.spawned++;
	sp->step = SPAWN_END;
	return RT_SYS_DONE;
}

int
rt_agent_spawn_step(struct rt_ctx *ctx, struct rt_agent_spawn *sp,
		    const struct rt_inject *in, long ret, struct rt_sys *next)
{
	const struct rt_arch *a = &rt_arch_native;
	uint64_t len = 2 * ctx->page_size;
	struct rt_proc *proc;

	switch (sp->step) {
	case SPAWN_START:
		if (!in->stopped || !(proc = may_spawn(ctx, in->tid, in->tgid)))
			return RT_SYS_DONE;
		proc->agent_tries++;
		if (getrandom(&sp->token, sizeof(sp->token), 0) !=
		    sizeof(sp->token))
			return RT_SYS_DONE;
		*next = (struct rt_sys){ .nr = a->nr_mmap,
					 .args = { 0, len,
						   PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS,
						   (uint64_t)-1, 0 } };
		sp->step = SPAWN_MAPPED;
		return RT_SYS_CALL;
	case SPAWN_MAPPED:
		if (ret < 0)
			return RT_SYS_DONE;
		sp->base = (uint64_t)ret;
		if (write_pages(ctx, in->tid, sp->base, sp->token) < 0)
			return spawn_undo(ctx, sp, next);
		*next = (struct rt_sys){ .nr = a->nr_mprotect,
					 .args = { sp->base, ctx->page_size,
						   PROT_READ | PROT_EXEC } };
		sp->step = SPAWN_PROTECTED;
		return RT_SYS_CALL;
	case SPAWN_PROTECTED:
		if (ret != 0)
			return spawn_undo(ctx, sp, next);
		/* No stack is used; any push would land in the data page. */
		*next = (struct rt_sys){ .nr = a->nr_clone,
					 .args = { AGENT_CLONE_FLAGS,
						   sp->base + len - 64 },
					 .pc = sp->base };
		sp->step = SPAWN_CLONED;
		return RT_SYS_CALL;
	case SPAWN_CLONED:
		return spawn_watch(ctx, sp, in, ret, next);
	default:
		return RT_SYS_DONE;
	}
}

int
rt_agent_timeout(const struct rt_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->tr.agents.n; i++)
		if (busy(&ctx->tr.agents.a[i]) || starting(&ctx->tr.agents.a[i]))
			return AGENT_TICK_MS;
	return -1;
}

void
rt_agent_tick(struct rt_ctx *ctx)
{
	size_t i = 0;

	while (i < ctx->tr.agents.n) {
		struct rt_agent *ag = &ctx->tr.agents.a[i];

		if ((busy(ag) &&
		     !patient(ag->pid,
			      rt_ring_at(&ag->ring, ag->ring.done)->sent_ns)) ||
		    (starting(ag) && !patient(ag->pid, ag->spawned_ns))) {
			lose(ctx, ag);	/* the table shrinks: slot i again */
			continue;
		}
		i++;
	}
}

bool
rt_agent_drop(struct rt_ctx *ctx, pid_t tgid, pid_t hold)
{
	struct rt_agent *ag = find(ctx, tgid);

	return ag ? forget_hold(ctx, ag, hold) : false;
}

void
rt_agent_fini(struct rt_ctx *ctx)
{
	ctx->tr.agents.final = true;	/* no loop any more: wait here */
	while (ctx->tr.agents.n)
		forget(ctx, &ctx->tr.agents.a[0]);
	while (ctx->tr.agents.ndying)
		rt_pidfd_kill_wait(ctx->tr.agents.dying[--ctx->tr.agents.ndying].pidfd);
	free(ctx->tr.agents.dying);
	free(ctx->tr.agents.a);
	memset(&ctx->tr.agents, 0, sizeof(ctx->tr.agents));
	free(ctx->stash);
	ctx->stash = NULL;
	ctx->nstash = ctx->cap_stash = 0;
}
