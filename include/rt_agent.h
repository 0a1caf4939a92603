/* rt_agent.h - the agent: a helper process that shares a tracee's memory.
 *
 * An emulated call's mmap must run in the caller's address space.  ptrace
 * can run it in the calling thread itself, at two ptrace stops per call;
 * on small VMs each stop is a cross-CPU wake-up of tens of microseconds.
 * The agent runs it instead: a process cloned once per address space by
 * an injected clone(CLONE_VM), with a descriptor table of its own, which
 * takes requests on a pipe from the supervisor.  The caller is
 * never stopped.  The agent shares the program's memory, so for security
 * it IS the program: it runs with the credentials of the thread it was
 * cloned from, is killed before the program changes any of them
 * (privilege.c), and holds nothing of the supervisor's (no listener: the
 * supervisor answers every caller itself, from the loop, when the result
 * arrives).  When no per-call line is to be written (-q), calls of other
 * threads that touch other VMAs are judged and sent meanwhile.
 */
#ifndef RT_AGENT_H
#define RT_AGENT_H

/*
 * The numbers up to struct rt_agent_req are shared with the agent's code
 * (agent-x86_64.S includes this header); the rest is C only.
 */
#ifdef __ASSEMBLER__
#define RT_AGENT_U64(x)		x
#else
#define RT_AGENT_U64(x)		x##ULL
#endif

/* remap_file_pages(RT_AGENT_MAGIC, token): the agent's first wait. */
#define RT_AGENT_MAGIC		RT_AGENT_U64(0x7274616765ab0000)
/* Its descriptors. */
#define RT_AGENT_SOCK		3	/* descriptors come this way */
#define RT_AGENT_REQ		4	/* requests: read end of a pipe */
#define RT_AGENT_RES		7	/* results: write end of a pipe */
#define RT_AGENT_FILE0		8	/* first of RT_AGENT_FILES slots */
#define RT_AGENT_FILES		8
/* Data page offsets. */
#define RT_AGENT_D_TOKEN	0
#define RT_AGENT_D_MASK		8
#define RT_AGENT_D_ROOT		16
#define RT_AGENT_D_NAME		24	/* 16 bytes */
#define RT_AGENT_D_MSG		64	/* struct msghdr */
#define RT_AGENT_D_IOV		128	/* struct iovec */
#define RT_AGENT_D_CTL		160	/* control data */
#define RT_AGENT_D_CTL_SIZE	32
#define RT_AGENT_D_REQ		192	/* struct rt_agent_req */
#define RT_AGENT_D_SIZE		288	/* what spawn writes */
#define RT_AGENT_D_RESULT	320	/* the raw result, for the pipe */
#define RT_AGENT_D_BASE		328	/* a kept result (RT_AGENT_F_SAVE) */
#define RT_AGENT_D_BYTE		336	/* the 1-byte payload of SCM_RIGHTS */
/* Offsets in struct rt_agent_req (checked in agent.c). */
#define RT_AGENT_R_NR		0
#define RT_AGENT_R_ARGS		8
#define RT_AGENT_R_SLOT		56
#define RT_AGENT_R_FLAGS	64
#define RT_AGENT_R_SIZE		72
/* Request flags: skip after a failed request (repeating its -errno);
 * keep the result as the base; add the base to the first argument. */
#define RT_AGENT_F_CHAIN	1
#define RT_AGENT_F_SAVE		2
#define RT_AGENT_F_ARG0_BASE	4
#define RT_AGENT_F_CHAIN_BASE	8	/* skip while the base is an -errno */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/seccomp.h>

#include "rt_ring.h"
#include "rt_span.h"

struct rt_ctx;
struct rt_inject;
struct seccomp_notif;

#define RT_AGENT_NAME		"rt-agent"

/* One request on the pipe: 72 bytes, as the agent's code reads it. */
struct rt_agent_req {
	uint64_t nr;
	uint64_t args[6];
	uint64_t slot;		/* where the descriptor sent along goes, or 0 */
	uint64_t flags;		/* RT_AGENT_F_* */
};

enum rt_agent_state {
	RT_AGENT_STARTING,	/* cloned; its first wait not seen */
	RT_AGENT_READY,
};

/* Results read at once, at most, and so requests whose result is unread. */


struct rt_agent {
	pid_t tgid;		/* the process whose memory it shares */
	pid_t pid;		/* the agent, in our pid namespace */
	int pidfd;
	int sock;		/* our end of the socket pair, or -1 */
	int req;		/* write end of its request pipe, or -1 */
	int res;		/* read end of its result pipe, or -1 */
	uint64_t base;		/* its code page in the tracee; data next */
	uint64_t token;
	uint64_t first_id;	/* its first wait (STARTING, once seen) */
	bool seen;		/* first_id is valid */
	struct rt_ring ring;	/* requests sent, results unread */
	/*
	 * The newest request whose result was read: it is written before
	 * the answer, so that caller may still wait when the agent is lost.
	 * Every caller still waiting then is judged again.
	 */
	struct seccomp_notif last;
	bool have_last;
	uint64_t scratch;	/* where the last second mapping landed */
	long last_move;		/* the result of the last move after it */
	long last_result;	/* the result read last */
	uint64_t spawned_ns;	/* when it was cloned (CLOCK_MONOTONIC) */
	uint64_t garbage, garbage_len;	/* one not moved: to unmap */
	uint64_t slot_key[RT_AGENT_FILES];	/* ident key per slot, 0 */
	unsigned int next_slot;
	enum rt_agent_state state;
};

/* An agent being started from a stopped thread (rt_agent_spawn_step()). */
struct rt_agent_spawn {
	int step;
	uint64_t token;
	uint64_t base;
	long ret;
};

/* An agent killed, until its pidfd says it has exited. */
struct rt_dying {
	int pidfd;
	pid_t pid;		/* the agent */
	pid_t tgid;
	pid_t hold;		/* resumed when it has exited, or 0 */
};

struct rt_agents {
	struct rt_agent *a;
	size_t n, cap;
	struct rt_dying *dying;
	size_t ndying, cap_dying;
	bool final;		/* shutting down: agents are waited for */
	unsigned int spawned, lost;
	unsigned long requests;
	unsigned long kill_at;	/* tests: kill after that request (0: no) */
};

/* Has @tgid an agent (ready, or about to be)? */
bool rt_agent_ready(struct rt_ctx *ctx, pid_t tgid);

/* Is a call answered from the loop when its result arrives (no per-call
 * output to write first), so that others may be judged meanwhile? */
bool rt_agent_direct(const struct rt_ctx *ctx);

/**
 * rt_agent_run() - make @tgid's agent run system call @nr(@args).
 * @key_id: when not 0, the identity key (ident.c) of the open file the
 *	   call maps; our descriptor of it is sent to the agent unless a slot
 *	   holds it already, and args[4] becomes that slot.
 * @answer_id: the caller's notification, answered from the loop when the
 *	   result arrives (rt_agent_direct()); 0: the result is read with
 *	   rt_agent_result().
 * @answer_err: with @answer_id, the -errno to answer whatever the call
 *	   returns (0: its outcome).
 * @span: with @answer_id, what the call may change (NULL: anything), for
 *	   later calls of the process judged while it may still run.
 * Never waits.  Returns 0 (sent), -EAGAIN when there is no agent,
 * -EINPROGRESS when it cannot take the request yet (starting, or busy when
 * it must run alone: the job waits for a change in it, RT_JOB_AGENT, and
 * asks again), or -ESRCH when the agent is gone (the call may or may not
 * have run; the caller is not answered).
 */
int rt_agent_run(struct rt_ctx *ctx, pid_t tgid, long nr, uint64_t args[6],
		 uint64_t key_id, uint64_t answer_id,
		 int64_t answer_err, const struct rt_span_job *span);

/**
 * rt_agent_run_dup() - make @tgid's agent map [@start, @start + @len) from
 * the very open file mapped at @src, at @lead bytes past @src's file
 * offset: a second mapping of it (mremap(@src, 0, @lead + @len,
 * MREMAP_MAYMOVE)), whose part at @lead is moved over the range
 * (MREMAP_FIXED), the rest unmapped.  With @fresh, the madvise hints the
 * kernel's own remap would not carry over are cleared first (rt_arch
 * rt_arch_fresh_advice).  With @prot >= 0, that part is narrowed to it
 * (mprotect: the source has more of rwx, c->dup_narrow).  With @lock_nr
 * (mlock or munlock), that part is given its lock before the move
 * (c->dup_lock in emulate.c).  No
 * descriptor is involved: the new piece has the same struct file and VM
 * flags as the mapping at @src, as the kernel's own remap would.
 * @answer_id, @span and the return as for rt_agent_run() (the move's
 * result is the call's).
 */
int rt_agent_run_dup(struct rt_ctx *ctx, pid_t tgid, uint64_t src,
		     uint64_t lead, uint64_t len, uint64_t start, bool fresh,
		     int prot, long lock_nr, uint64_t answer_id,
		     const struct rt_span_job *span);

/*
 * rt_agent_result() - the result of the request sent last to @tgid's agent
 * @pid (with @dup, of rt_agent_run_dup()'s move), once every request has
 * run.  Returns 0 (*ret), -EINPROGRESS (not yet: wait, RT_JOB_AGENT), or
 * -ESRCH (the agent is gone).
 */
int rt_agent_result(struct rt_ctx *ctx, pid_t tgid, pid_t pid, bool dup,
		    long *ret);

/* The pid of @tgid's agent, or 0. */
pid_t rt_agent_pid(struct rt_ctx *ctx, pid_t tgid);

/*
 * rt_agent_settled() - may a notification of thread @tid be judged now?
 * Only once no agent has a request that may still run, so that it is
 * judged against the memory as the agents left it; except the agent of
 * process @keep (0: none), whose requests the caller checks against what
 * its judgement read (rt_agent_conflict()).  Results that arrived are
 * read, and their callers answered, here.  Never waits: false means wait
 * for a change in the agents (RT_JOB_AGENT) and ask again.
 */
bool rt_agent_settled(struct rt_ctx *ctx, pid_t tid, pid_t keep);

/* May a request of @tgid's agent that may still run change what a
 * judgement that read @read saw? */
bool rt_agent_conflict(struct rt_ctx *ctx, pid_t tgid,
		       const struct rt_span *read);

/* Has every request of @tgid's agent run (or has it none, or is it
 * gone)?  Reads the results there; never waits. */
bool rt_agent_idle(struct rt_ctx *ctx, pid_t tgid);

/*
 * rt_agent_spawn_step() - give the process of the stopped thread @in an
 * agent, unless it has one or may not: its code and data pages mapped,
 * written and protected, then a clone(CLONE_VM) run at the code.  Asked
 * for each next call to inject with the last one's result @ret (@sp zeroed
 * at first).  Returns RT_SYS_CALL (*next filled) or RT_SYS_DONE.
 */
struct rt_sys;
int rt_agent_spawn_step(struct rt_ctx *ctx, struct rt_agent_spawn *sp,
			const struct rt_inject *in, long ret,
			struct rt_sys *next);

/* Keep @req for the loop, at place @pos of ctx->stash: 0 or -ENOMEM. */
int rt_agent_stash(struct rt_ctx *ctx, const struct seccomp_notif *req,
		   size_t pos);

/*
 * rt_agent_hold() - serve notification @req again (first, from ctx->stash)
 * once the agents allow it: with @tgid, when its agent has run every
 * request (rt_agent_idle()) and none of its agents is dying; else when
 * rt_agent_settled(ctx, @req's thread, @keep).  A job that waits for the agents.  Returns 0 or -ENOMEM.
 */
int rt_agent_hold(struct rt_ctx *ctx, const struct seccomp_notif *req,
		  pid_t tgid, pid_t keep);

/* Has an agent of @tgid (0: any) been killed and not yet exited? */
bool rt_agent_dying(const struct rt_ctx *ctx, pid_t tgid);

/* Any notification: if it is an agent's first wait, consume it (true). */
bool rt_agent_notify(struct rt_ctx *ctx, const struct seccomp_notif *req);

/* The loop saw an event on agent result pipe @fd: answer the callers whose
 * results arrived; if the agent is gone, see to the others. */
void rt_agent_event(struct rt_ctx *ctx, int fd);

/*
 * rt_agent_drop() - kill @tgid's agent (it exec'd or exited, or changes
 * its rights).  With @hold, a thread of @tgid in a ptrace-stop: when this
 * returns true, it is resumed (PTRACE_CONT) only once the agent has
 * exited, so that the agent's end cannot reach the new program: a child
 * whose parent exec'd since it was cloned reports its exit with SIGCHLD,
 * whatever its exit signal (do_notify_parent()).
 */
bool rt_agent_drop(struct rt_ctx *ctx, pid_t tgid, pid_t hold);

/*
 * rt_agent_timeout() - how long the loop may wait, in milliseconds, before
 * rt_agent_tick() must look at agents that owe results (-1: forever).
 */
int rt_agent_timeout(const struct rt_ctx *ctx);

/* Drop every agent that owes results and is stopped, gone, or has taken
 * longer than its patience: its callers are judged again. */
void rt_agent_tick(struct rt_ctx *ctx);

/* Kill and wait for every agent; free the table. */
void rt_agent_fini(struct rt_ctx *ctx);

#endif /* !__ASSEMBLER__ */
#endif
