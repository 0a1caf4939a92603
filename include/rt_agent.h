/* rt_agent.h - the agent: a helper process that shares a tracee's memory.
 *
 * An emulated call's mmap must run in the caller's address space.  ptrace
 * can run it in the calling thread itself, at two ptrace stops per call;
 * on small VMs each stop is a cross-CPU wake-up of tens of microseconds.
 * The agent runs it instead: a process cloned once per address space from
 * an injected clone(CLONE_VM), with a descriptor table of its own, that
 * waits in a notification of ours (a marked remap_file_pages) and runs
 * whatever system call the supervisor's answer asks for.  Every wake-up
 * in an emulated call is then a seccomp one, kept on one CPU by
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, and the caller is never stopped.
 */
#ifndef RT_AGENT_H
#define RT_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_ctx;
struct rt_inject;
struct seccomp_notif;

/* remap_file_pages(RT_AGENT_MAGIC, token, result): an agent waiting. */
#define RT_AGENT_MAGIC		0x7274616765ab0000ULL
/* The agent's descriptor for the file it maps (its own table). */
#define RT_AGENT_FD		3
/* Data page offsets (agent-x86_64.S). */
#define RT_AGENT_D_TOKEN	0
#define RT_AGENT_D_CALL		8	/* nr, then args[0..5] */
#define RT_AGENT_D_MASK		64
#define RT_AGENT_D_ROOT		72
#define RT_AGENT_D_NAME		80	/* 16 bytes */
#define RT_AGENT_D_SIZE		96
#define RT_AGENT_NAME		"rt-agent"

enum rt_agent_state {
	RT_AGENT_STARTING,	/* cloned; its first notification not seen */
	RT_AGENT_READY,		/* waiting in notification wait_id */
};

struct rt_agent {
	pid_t tgid;		/* the process whose memory it shares */
	pid_t pid;		/* the agent, in our pid namespace */
	int pidfd;
	uint64_t base;		/* its code page in the tracee; data next */
	uint64_t token;
	uint64_t wait_id;
	uint64_t fd_key;	/* ident key installed at RT_AGENT_FD, or 0 */
	enum rt_agent_state state;
};

struct rt_agents {
	struct rt_agent *a;
	size_t n, cap;
	unsigned int spawned, lost;
};

/* Has @tgid an agent (waiting for work, or about to)? */
bool rt_agent_ready(struct rt_ctx *ctx, pid_t tgid);

/**
 * rt_agent_run() - make @tgid's agent run system call @nr(@args).
 * @keyfd: when >= 0, our descriptor of the open file the call uses as
 *	   RT_AGENT_FD, installed (NOTIF_ADDFD) unless it is there already;
 *	   @key_id names it.
 * Other notifications that arrive meanwhile are kept for the loop; wait
 * statuses of tracees are served.  Returns 0 with *ret the call's return,
 * -EAGAIN when no agent is ready, or -ESRCH when the agent is gone (the
 * call may or may not have run).
 */
int rt_agent_run(struct rt_ctx *ctx, pid_t tgid, long nr,
		 const uint64_t args[6], int keyfd, uint64_t key_id,
		 long *ret);

/**
 * rt_agent_spawn() - give the process of the stopped thread @in an agent,
 * if it has none and may have one (no seccomp filters of its own, our pid
 * namespace, fewer than two failed or lost agents).  Best effort: on any
 * failure the process keeps using ptrace injection.
 */
void rt_agent_spawn(struct rt_ctx *ctx, struct rt_inject *in);

/* A notification from an agent: consume it (true), else false. */
bool rt_agent_notify(struct rt_ctx *ctx, const struct seccomp_notif *req);

/* @tgid exec'd or exited: its agent (if any) is killed and waited for. */
void rt_agent_drop(struct rt_ctx *ctx, pid_t tgid);

/* Kill and wait for every agent; free the table. */
void rt_agent_fini(struct rt_ctx *ctx);

#endif
