/* rt_tracer.h - the supervisor's modules, in the order a call meets them:
 * loop.c -> notify.c -> vmas.c -> fileobj.c -> inject.c -> report.c.
 */
#ifndef RT_TRACER_H
#define RT_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rt_agent.h"
#include "rt_arch.h"
#include "rt_ctx.h"
#include "rt_ident.h"
#include "rt_remap.h"

/* ---- loop.c ---- */

/* Serve notifications and ptrace events until no tracee is left. */
int rt_loop_run(struct rt_ctx *ctx);

/* ---- seccomp.c ---- */

struct seccomp_notif;
struct seccomp_notif_resp;
/* NOTIF_RECV, NOTIF_SEND, NOTIF_ID_VALID on listener @fd: 0 or -errno. */
int rt_seccomp_recv(int fd, struct seccomp_notif *req);
int rt_seccomp_send(int fd, struct seccomp_notif_resp *resp);
int rt_seccomp_valid_id(int fd, uint64_t id);
/* Answer the current notification (ctx->req) now: SECCOMP_IOCTL_NOTIF_SEND,
 * 0 or -errno (-ENOENT: the caller is gone).  With @cont, the kernel runs
 * the call. */
int rt_seccomp_answer(struct rt_ctx *ctx, long val, int error, bool cont);
/* The same for notification @id. */
int rt_seccomp_answer_id(struct rt_ctx *ctx, uint64_t id, long val, int error,
			 bool cont);
/* Is the current notification still pending?  0 or -ENOENT. */
int rt_seccomp_valid(struct rt_ctx *ctx);
/* Install our @fd in the caller (SECCOMP_IOCTL_NOTIF_ADDFD): its number. */
int rt_seccomp_addfd(struct rt_ctx *ctx, int fd);
/* The same for notification @id; at number @newfd (replacing what is
 * there, not close-on-exec) when >= 0. */
int rt_seccomp_addfd_id(struct rt_ctx *ctx, uint64_t id, int fd, int newfd);


/* ---- vmas.c ---- */

/*
 * One call's view of a tracee's VMAs.  Fast path: PROCMAP_QUERY (6.11) on
 * the process's cached /proc/PID/maps, O(log n) per VMA.  Exact path:
 * /proc/TID/smaps, O(all VMAs), for processes whose VM flags PROCMAP_QUERY
 * cannot show (rt_proc.hidden_flags) or kernels without the ioctl.
 * Anything opened here by pid is trusted only after the caller's
 * NOTIF_ID_VALID check that follows the lookup.
 */
struct rt_vmas {
	pid_t tid;
	pid_t tgid;
	unsigned long page_size;
	struct rt_proc *proc;		/* cached per-process state */
	const struct rt_ident *ident;	/* to fill file_id, or NULL */
	bool fresh_maps;		/* maps_fd was opened by this call */
	unsigned int queries;		/* PROCMAP_QUERY ioctls made */
	unsigned int smaps_reads;	/* whole smaps files read */
	/* exact path */
	int smaps_fd;
	char *buf;
	size_t len, cap;
	struct rt_vma *v;	/* sorted by start */
	size_t n, cap_v;
	bool loaded;
	struct rt_proc own_proc;	/* for rt_vmas_open() */
};

/*
 * rt_vmas_donor() - a source for a second mapping of the inode @like maps
 * (emulate.c): an address of a VMA of that inode, with its protections
 * and MAP_SHARED, whose file offset is @off (bytes) less *lead: 0 where a
 * VMA maps @off, else the nearest offset below it that one maps.  A walk
 * (PROCMAP_QUERY) over at most 16 VMAs within 256 MiB of @like, for calls
 * whose offset their first VMA does not map.  Returns 0, -ENOENT, or
 * -errno (-ENOTTY before 6.11).
 */
int rt_vmas_donor(struct rt_vmas *vs, const struct rt_vma *like,
		  uint64_t off, uint64_t *src, uint64_t *lead);
/*
 * rt_vmas_keep_open() - open @proc's /proc/PID/maps and smaps now, while
 * they still may be opened: a process that makes itself non-dumpable, or
 * changes credentials, keeps an unprivileged supervisor out of new opens,
 * but descriptors opened before keep working.
 */
void rt_vmas_keep_open(struct rt_proc *proc);

/* File offset @off (bytes) of inode @ino was mapped at @addr just now. */
void rt_vmas_note_piece(struct rt_proc *proc, uint64_t ino, uint64_t off,
			uint64_t addr, uint64_t page_size);

/*
 * rt_vmas_open() - exact lookups (smaps) in process @pid, outside any
 * notification (remaptrace explain).  Returns 0 or -ESRCH/-errno.
 */
int rt_vmas_open(struct rt_vmas *vs, pid_t pid);

void rt_vmas_init(struct rt_vmas *vs, pid_t tid, pid_t tgid,
		  unsigned long page_size, struct rt_proc *proc,
		  const struct rt_ident *ident);
/* A struct rt_vma_lookup reading through @vs. */
void rt_vmas_lookup(struct rt_vmas *vs, struct rt_vma_lookup *lk);
void rt_vmas_close(struct rt_vmas *vs);

/* ---- inject.c ---- */

/* One system call for a stopped thread to run. */
struct rt_sys {
	long nr;
	uint64_t args[6];
	uint64_t pc;		/* its syscall instruction; 0: the thread's own */
};

/*
 * What a sequence of injected calls (a generator: emulate.c, fileobj.c,
 * agent.c, inherit.c) says when asked for its next step: RT_SYS_CALL, with
 * the call to run filled in (it is asked again with the call's result), or
 * RT_SYS_DONE.
 */
#define RT_SYS_DONE	0
#define RT_SYS_CALL	1

struct rt_inject {
	pid_t tid;
	pid_t tgid;
	/* The ABI of the call the thread is in, NULL: the native one.  Kept
	 * by rt_inject_take(); injected calls use its numbers and its
	 * syscall instruction (int 0x80 for an i386 call). */
	const struct rt_arch *abi;
	struct rt_regs saved;		/* registers at the first stop */
	struct rt_regs regs;		/* of the call in flight */
	uint64_t after;			/* its pc once run (single-step) */
	uint64_t saved_mask;		/* its blocked signals */
	int deliver;			/* signal to deliver on resume, or 0 */
	bool group_stop;		/* first stop was a job-control stop */
	bool stopped;			/* caught in a ptrace-stop */
	bool have_regs;			/* saved is valid */
	bool have_mask;			/* saved_mask is valid, all blocked */
	bool step;			/* single-step injected calls */
	bool entered;			/* its syscall-entry stop was seen */
	unsigned int stops;		/* ptrace stops met */
};

/* Is wait status @status the end of the thread for an injection? */
bool rt_inject_gone(int status);

/**
 * rt_inject_take() - @tid is in a ptrace-stop (wait status @status, or -1
 * when it was consumed elsewhere): save its registers and signal mask and
 * block every signal, so that injected calls run without a
 * signal-delivery-stop in between.  With @step, injected calls are
 * single-stepped: the caller guarantees SIGTRAP is not ignored by the
 * tracee, and SIGTRAP is left unblocked for the step's trap.  Returns 0 or
 * -errno; the thread is ours to resume either way (in->stopped).
 */
int rt_inject_take(struct rt_inject *in, pid_t tid, pid_t tgid, int status,
		   bool step);

/* rt_inject_arm() - load call @s and resume the thread to run it. */
int rt_inject_arm(struct rt_inject *in, const struct rt_sys *s);

/*
 * rt_inject_on_stop() - the next stop of a thread running an armed call:
 * RT_INJECT_MORE (resumed again, the call goes on), RT_INJECT_DONE (*ret
 * is its raw result), or -errno.
 */
#define RT_INJECT_MORE	0
#define RT_INJECT_DONE	1
int rt_inject_on_stop(struct rt_inject *in, int status, long *ret);

/**
 * rt_inject_detach() - give the stopped thread back its signal mask and
 * stop tracing it (PTRACE_DETACH); registers are left as they are.
 */
int rt_inject_detach(struct rt_inject *in);

/*
 * rt_inject_restart() - like rt_inject_end(), but the thread executes the
 * emulated call's syscall instruction again with its original arguments,
 * as the kernel restarts an interrupted call.
 */
int rt_inject_restart(struct rt_inject *in);

/**
 * rt_inject_end() - restore registers and mask, make the emulated call
 * return @retval, and resume the thread.  Safe after a failed
 * rt_inject_take() or a failed call: whatever was saved is restored and a
 * stopped thread is always resumed.  Returns 0, -ESRCH or -errno.
 */
int rt_inject_end(struct rt_inject *in, long retval);

/* ---- fileobj.c ---- */

enum rt_fileobj_how {
	RT_FILE_NONE = 0,
	RT_FILE_TRACEE_FD,	/* pidfd_getfd of the tracee's own descriptor */
	RT_FILE_MAP_FILES,	/* the program opened /proc/self/map_files/START-END */
	RT_FILE_FOLLOWED,	/* the open file its mmap was seen with */
	RT_FILE_TRACEE_OPEN,	/* openat injected into the tracee */
	RT_FILE_INFERRED,	/* the process's only open file of the inode */
	RT_FILE_DUP,		/* mremap(old, 0, ...) of the first VMA itself */
};

/**
 * rt_fileobj_get() - a descriptor in the supervisor for the file behind
 * @vma, verified by device and inode.
 * @pidfd: the tracee's pidfd.
 * @fd: out: the descriptor (the caller closes it).
 * @how: out: how it was obtained.
 * @tfd: out: the tracee's descriptor number when @how is RT_FILE_TRACEE_FD.
 * Returns 0, -EPERM when no permitted way reaches it, -ESTALE when what a
 * path names is no longer that file, or -errno.
 */
int rt_fileobj_get(pid_t tid, int pidfd, const struct rt_vma *vma, int *fd,
		   enum rt_fileobj_how *how, int *tfd);
const char *rt_fileobj_how_name(enum rt_fileobj_how how);
/* Has @tid a descriptor of @vma's inode open for reading and writing,
 * the only kind rt_fileobj_get() takes?  (true when it cannot tell) */
bool rt_fileobj_candidate(pid_t tid, const struct rt_vma *vma);



/* An open in the tracee (rt_fileobj_open_step()), step by step. */
struct rt_open_seq {
	int step;
	pid_t tid;
	const struct rt_arch *abi;	/* the call's: numbers to inject */
	uint64_t sp;		/* the stopped thread's stack pointer */
	unsigned int red_zone;	/* below it, left to the thread's code */
	struct rt_vma vma;
	int base_filters;
	long pfd;		/* the tracee's O_PATH descriptor */
	int r;
	char path[4096];
	/* the result, when done */
	int tfd;		/* the tracee's new descriptor, or -1 */
	int fd;			/* our copy of it (pidfd_getfd), or -1 */
	enum rt_fileobj_how how;
};

/**
 * rt_fileobj_open_step() - the last resort: the stopped thread opens the
 * VMA's file itself (injected openat calls, with its own credentials):
 * /proc/self/map_files/START-END if it may (CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), else the VMA's path; the result is accepted only
 * if it is that VMA's inode, opened for reading and writing.  Set up with
 * rt_fileobj_open_begin(), then asked for each next call with the last
 * one's result (@ret, ignored the first time).  Returns RT_SYS_CALL (*next:
 * the call to inject) or RT_SYS_DONE, when s->r is 0 (s->tfd, s->fd and
 * s->how are set: the caller maps and closes s->tfd), -ESTALE when the path
 * names another file now, -ENOENT when there is no path (deleted file,
 * shared memory), -ENOTSUP when the program has seccomp filters of its own,
 * the openat's -errno, or -ESRCH.
 */
void rt_fileobj_open_begin(struct rt_open_seq *s, pid_t tid,
			   const struct rt_arch *abi,
			   const struct rt_regs *saved,
			   const struct rt_vma *vma, int base_filters);
int rt_fileobj_open_step(struct rt_open_seq *s, long ret, struct rt_sys *next);

/* ---- stack.c ---- */

#define RT_STACK_MAX 32

struct rt_frame {
	uint64_t pc;
	uint64_t off;		/* pc - start of func, when func is known */
	char func[128];		/* "" when unknown */
	char module[256];	/* mapped file containing pc, "" if none */
	uint64_t rel;		/* pc's offset in module's file (strace -k) */
};

struct rt_stack {
	unsigned int n;
	struct rt_frame f[RT_STACK_MAX];
};

/**
 * rt_stack_capture() - unwind the ptrace-stopped thread @tid remotely
 * (libunwind-ptrace) from its current registers.
 * Returns 0 or -errno.
 */
int rt_stack_capture(pid_t tid, struct rt_stack *st);

/* ---- layout.c ---- */

/**
 * rt_layout_describe() - after an emulated call, while the thread is still
 * stopped: a compact picture of which file page backs each page of the
 * affected range (e.g. "[3 1 2 3]"), read from /proc/TID/maps.
 * Returns a malloc'd string (the caller frees it) or NULL.
 */
char *rt_layout_describe(pid_t tid, const struct rt_verdict *v,
			 unsigned long page_size);

/* ---- fault.c ---- */

/**
 * rt_fault_match() - --inject: should the call numbered @nth (1-based,
 * counting every intercepted call) be failed?  *err gets the errno of
 * the last rule given that names the call.
 */
bool rt_fault_match(const struct rt_ctx *ctx, unsigned long nth, int *err);

/* An errno by name ("ENOMEM") or number (1 to 4095); -EINVAL if neither. */
int rt_fault_errno(const char *s);

/**
 * rt_fault_parse_inject() - add the rule of --inject=ERRNO@N, ERRNO@N+ or
 * ERRNO@N+S to @o (N, S from 1).
 * Return: 0; -EINVAL malformed; -E2BIG more than RT_FAULTS_MAX rules.
 */
int rt_fault_parse_inject(struct rt_opts *o, const char *arg);

/**
 * rt_fault_parse_strace() - add the rule of strace's
 * -e inject=remap_file_pages:error=ERRNO[:when=N|N+|N+S] (without when=,
 * every call) to @o.
 * Return: 0; -EINVAL malformed or not about remap_file_pages errors;
 * -E2BIG too many rules; -ENOMEM.
 */
int rt_fault_parse_strace(struct rt_opts *o, const char *arg);

/* ---- summary.c ---- */

struct rt_call;
/* Account one reported call (-c/--summary). */
void rt_summary_add(struct rt_ctx *ctx, const struct rt_call *c);
/* Print the table at exit, when -c was given. */
void rt_summary_print(struct rt_ctx *ctx);
void rt_summary_free(struct rt_ctx *ctx);

/* ---- explain.c ---- */

/* `remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]`: exit status. */
int rt_explain_main(int argc, char **argv);

/* ---- report.c ---- */

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

struct rt_call {
	pid_t tid;
	pid_t tgid;		/* its process */
	/* The ABI it was made in: the native one, or i386's int 0x80. */
	const struct rt_arch *abi;
	/* VmLck of its process, read once per call (emulate.c): 0 not read
	 * yet, 1 nothing locked, 2 something locked or unknown. */
	unsigned char locked;
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

void rt_report_call(struct rt_ctx *ctx, const struct rt_call *c);
/*
 * Flush the log and note a failed write (ctx->out.log_err), said at once on
 * stderr.  Returns 0 or the -errno of the failure.
 */
int rt_report_flush(struct rt_ctx *ctx);
void rt_report_exit(struct rt_ctx *ctx, pid_t pid, int status);
/* One line "[pid N] @what" about a tracee (text log only). */
void rt_report_note(struct rt_ctx *ctx, pid_t pid, const char *what);

/* privilege.c */
/* Add the rules for calls that change credentials or confinement to the
 * libseccomp filter @filter (a scmp_filter_ctx), in each of its ABIs. */
int rt_privilege_rules(void *filter);
/*
 * rt_privilege_handle() - if the pending notification is such a call, drop
 * the process's agent and kept open files, then let the kernel run it
 * (true); else false.
 */
bool rt_privilege_handle(struct rt_ctx *ctx);
/*
 * rt_privilege_foreign() - the pending notification is a call of an ABI
 * other than the native one (i386 or x32 on x86_64): act on it (true).
 */
bool rt_privilege_foreign(struct rt_ctx *ctx);

/* ---- notify.c ---- */

/* Receive one notification and answer it.  Returns 0 or -errno (fatal). */
int rt_notify_handle(struct rt_ctx *ctx);

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
	struct rt_stack stack;	/* -k */
};

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
	unsigned int hint;	/* madvise hints cleared so far */
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


/* ---- call.c ---- */

/* Decide the answer (given after the report): @error, or with @cont the
 * kernel runs the call. */
void rt_call_decide(struct rt_pending *pd, int error, bool cont);
/* Close phase @p of @c's time breakdown; the next one begins. */
void rt_call_phase(struct rt_call *c, enum rt_phase p);

/* ---- freeze.c ---- */

/*
 * rt_freeze_others() - stop every traced thread of @tgid but @except
 * (PTRACE_INTERRUPT).  Returns how many stops are awaited: their wait
 * statuses go to rt_freeze_take() until rt_freeze_done().
 */
size_t rt_freeze_others(struct rt_freeze *fz, const struct rt_procs *p,
			pid_t tgid, pid_t except);
/* A wait status of a frozen thread: kept stopped (returns true: nobody
 * else may resume it); false for another thread, or an exit (whose
 * status the loop still handles). */
bool rt_freeze_take(struct rt_freeze *fz, pid_t pid, int status);
/* Has every frozen thread stopped (or gone)? */
bool rt_freeze_done(const struct rt_freeze *fz);
/* Resume the threads rt_freeze_others() stopped. */
void rt_freeze_thaw(struct rt_freeze *fz);

/* ---- inherit.c ---- */

/* A descriptor @tfd was installed in @tgid for an emulation; @keyfd is our
 * copy of its open file.  Returns the record's slot. */
int rt_inherit_installed(struct rt_ctx *ctx, pid_t tgid, int tfd, int keyfd);
/* The descriptor of slot @slot is closed again. */
void rt_inherit_closed(struct rt_ctx *ctx, int slot);
/* At the first stop of a new task: hold it (true: do not resume it) if
 * its parent had a descriptor installed lately. */
bool rt_inherit_hold(struct rt_ctx *ctx, pid_t pid);
/* Outside any injection: fix and resume the held children. */
void rt_inherit_release(struct rt_ctx *ctx);
void rt_inherit_free(struct rt_ctx *ctx);

/* ---- emulate.c ---- */

struct rt_call_job;
/*
 * rt_emulate() - emulate the valid call of @cj: by its process's agent, in
 * which case the verdict is in on return, or by ptrace, which
 * rt_emulate_resume() then runs step by step (rt_job.h).
 */
void rt_emulate(struct rt_ctx *ctx, struct rt_call_job *cj);
void rt_emulate_resume(struct rt_ctx *ctx, struct rt_call_job *cj);

/* ---- follow.c ---- */

/*
 * rt_follow_call() - a call the filter sends besides remap_file_pages, in
 * ctx->req: mmap(MAP_SHARED) (which open file backs the new range),
 * mremap(old, 0, len, ...) (the duplicate maps the same open file),
 * ptrace(PTRACE_TRACEME, ATTACH or SEIZE) (let go of the thread to be
 * traced, so that the call can succeed), a credential or confinement
 * change (privilege.c), or a call that can hide VM flags or change
 * SIGTRAP's disposition.
 */
void rt_follow_call(struct rt_ctx *ctx, pid_t tid);

#endif
