/* rt_emulate.h - emulating a valid call, the agent's way or the ptrace way
 * (tracer/emulate.c).
 */
#ifndef RT_EMULATE_H
#define RT_EMULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "rt_agent.h"
#include "rt_ctx.h"
#include "rt_fileobj.h"

/* What one emulation by ptrace has set up in the tracee, to use and undo
 * (emulate.c). */
struct rt_emu {
	int pstep;		/* the plan's step (emulate.c) */
	bool frozen;		/* the other threads are held (freeze.c) */
	bool disturbed;		/* the installed descriptor was replaced */
	int slot;		/* its inherit.c record, or -1 */
	bool restart;		/* make the thread issue the call again */
	int64_t key;		/* identity key of the open file, or 0 */
	int tfd;		/* the descriptor the mmap uses, or -1 */
	bool installed;		/* tfd is ours to close afterwards */
	bool open_later;	/* the tracee must open the file itself */
	bool dup_preferred;	/* ... unless a second mapping serves, which
				 * prepare() preferred (prefer_dup()) */
	bool probe_lock;	/* VM_LOCKED is asked in the tracee first */
	bool probed;		/* and was */
	bool prepared;		/* prepare() ran before the interrupt */
	bool raised;		/* RLIMIT_NOFILE raised: put saved back */
	struct rlimit saved;
	bool have_file;		/* get_file() ran already: file_r, key */
	int file_r;
	uint64_t src, lead;	/* a second mapping's source and lead */
	uint64_t key_id;	/* the agent maps this open file (ident.c) */
	bool answered;		/* the agent's result answers the caller */
	pid_t agent_pid;	/* the agent that runs it */
	uint64_t scratch;	/* where the second mapping landed */
	unsigned int hint;	/* madvise hints cleared so far; then
				 * RT_FRESH_ADVICE_N + 1: narrowed, + 2:
				 * the lock given too */
	long mmap_ret;
	long result;		/* what the call returns */
	struct rt_open_seq open;
	struct rt_agent_spawn spawn;
};

/*
 * The steps of a call's job (rt_job.h).  notify.c judges and reports;
 * emulate.c runs the agent's way and the ptrace way, RT_CALL_AGENT to
 * RT_CALL_SPAWN.
 */
enum rt_call_step {
	RT_CALL_JUDGE,		/* fault injection, deny, or judge */
	RT_CALL_REJUDGE,	/* judged again once its agent has run */
	RT_CALL_AGENT,		/* emulate.c: the agent's way (send) */
	RT_CALL_AGENT_PROBE,	/* the agent asked for VM_LOCKED */
	RT_CALL_AGENT_RESULT,	/* the agent's result, to report first */
	RT_CALL_PTRACE,		/* the ptrace way begins */
	RT_CALL_FROZEN,		/* the other threads are held: prepare */
	RT_CALL_CAUGHT,		/* the caller is caught in its stop */
	RT_CALL_PLAN,		/* the plan's calls run */
	RT_CALL_SPAWN,		/* an agent is started for next time */
	RT_CALL_ANSWERED,	/* decided: -k catches an answered caller */
	RT_CALL_KSTOP,		/* -k: the answered caller is caught */
	RT_CALL_REPORT,		/* the line, then the caller goes on */
};

struct rt_call_job;
/*
 * rt_emulate() - emulate the valid call of @cj: by its process's agent, in
 * which case the verdict is in on return, or by ptrace, which
 * rt_emulate_resume() then runs step by step (rt_job.h).
 */
void rt_emulate(struct rt_ctx *ctx, struct rt_call_job *cj);
void rt_emulate_resume(struct rt_ctx *ctx, struct rt_call_job *cj);

#endif
