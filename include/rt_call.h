/* rt_call.h - the record of one remap_file_pages call being served: what was
 * decided, and the answer still to give (tracer/call.c).
 */
#ifndef RT_CALL_H
#define RT_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rt_arch.h"
#include "rt_ctx.h"
#include "rt_fileobj.h"
#include "rt_remap.h"
#include "rt_span.h"
#include "rt_stack.h"

enum rt_outcome {
	RT_OUT_EMULATED,	/* valid, emulated by mmap: result 0 */
	RT_OUT_REJECTED,	/* invalid: the kernel's errno */
	RT_OUT_PASSED,		/* valid, given to the kernel (check mode) */
	RT_OUT_DENIED,		/* --mode=deny */
	RT_OUT_FAILED,		/* valid, but the mmap failed: its errno */
	RT_OUT_GONE,		/* the caller vanished */
	RT_OUT_FAULT,	/* --inject=ERRNO@N: failed on purpose */
	RT_OUT_RESTARTED,	/* disturbed; the thread makes the call again */
};

enum { RT_DUP_MLOCK = 1, RT_DUP_MUNLOCK = 2 };

struct rt_call {
	pid_t tid;
	pid_t tgid;		/* its process */
	/* The ABI it was made in: the native one, or i386's int 0x80. */
	const struct rt_arch *abi;
	/* VmLck of its process, read once per call (emulate.c): 0 not read
	 * yet, 1 nothing locked, 2 something locked or unknown. */
	unsigned char locked;
	/* A second mapping from another VMA (a donor) carries that VMA's
	 * VM_LOCKED: after its move it is given the first VMA's, with
	 * mlock (RT_DUP_MLOCK) or munlock (RT_DUP_MUNLOCK); 0: no fix. */
	unsigned char dup_lock;
	/* The donor has protections the first VMA lacks (rw- where it is
	 * r--): the piece is given the plan's with mprotect, which only
	 * takes rights away, before its move. */
	bool dup_narrow;
	struct rt_remap_args args;
	struct rt_verdict v;
	struct rt_span span;	/* what the judgement read (rt_span.h) */
	bool pipelined;		/* judged while its agent may still run */
	enum rt_outcome outcome;
	long result;		/* what the caller sees: 0 or -errno */
	const char *why;	/* for FAILED: what failed */
	enum rt_fileobj_how how;
	uint64_t ns;		/* supervisor time for the call */
	uint64_t mmap_ns;	/* time of the injected calls */
	uint64_t ph[RT_PH__COUNT];	/* time per phase (rt_phase) */
	uint64_t ph_t;		/* when the current phase began */
	unsigned int stops;	/* ptrace stops for this call */
	unsigned int smaps_reads;	/* whole smaps files read for it */
	bool retried;		/* a retry after a disturbed attempt */
	bool by_agent;		/* the mmap ran in the agent (agent.c) */
	bool timed;		/* ns, ph[] and when are taken */
	unsigned long nth;	/* 1-based number of the call */
	struct timespec when;	/* CLOCK_REALTIME at receipt */
	const struct rt_stack *stack;	/* -k, when captured */
	const char *layout;	/* --layout, when captured */
};


/*
 * What is left to do once the call is reported: the tracee learns its
 * result only after the log line is out, as strace prints a call before
 * the program goes on.
 */
struct rt_pending {
	enum { RT_PEND_NONE, RT_PEND_RESPOND, RT_PEND_RESUME } what;
	int error;		/* RT_PEND_RESPOND: positive errno or 0 */
	bool cont;		/* RT_PEND_RESPOND: let the kernel run it */
	long resume_val;	/* RT_PEND_RESUME: what the call returns */
	bool restart;		/* RT_PEND_RESUME: make the call again */
	struct rt_stack *stack;	/* -k: malloc'd by rt_call_stack(), freed
				 * with the job (a 13 KiB array no other
				 * call should clear) */
};


/* Decide the answer (given after the report): @error, or with @cont the
 * kernel runs the call. */
void rt_call_decide(struct rt_pending *pd, int error, bool cont);
/* Close phase @p of @c's time breakdown; the next one begins. */
void rt_call_phase(struct rt_call *c, enum rt_phase p);

struct rt_inject;
/* -k: the stack of @c's caller, stopped in @in (rt_stack.h), into *@st
 * (allocated if NULL), or -errno. */
int rt_call_stack(const struct rt_call *c, const struct rt_inject *in,
		  struct rt_stack **st);

#endif
