/* rt_ctx.h - the supervisor's context: options and the state of one run.
 *
 * The only mutable state of the supervisor lives here and is passed
 * explicitly; there are no other globals.
 */
#ifndef RT_CTX_H
#define RT_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "rt_agent.h"
#include "rt_ident.h"
#include "rt_remap.h"
#include "rt_sysvshm.h"

struct rt_summary;
struct rt_job;

enum rt_mode {
	RT_MODE_EMULATE = 0,	/* validate, emulate valid calls (default) */
	RT_MODE_CHECK,		/* validate, let the kernel run valid calls */
	RT_MODE_DENY,		/* answer every call with deny_errno */
};

/* One --inject (or -e inject=) rule: fail the call numbered @first, then
 * every @step-th call after it (strace's when=N, N+, N+S). */
#define RT_FAULTS_MAX	16

struct rt_fault {
	int err;		/* positive errno */
	unsigned long first;	/* from 1, counting every intercepted call */
	unsigned long step;	/* 0: that call only; 1: every later one */
};

/* -Z, -z: which calls get a line (strace's --failed-only and
 * --successful-only). */
enum rt_only {
	RT_ONLY_ALL = 0,
	RT_ONLY_FAILED,		/* -Z: calls that returned -1 */
	RT_ONLY_SUCCESSFUL,	/* -z: every other call */
};

struct rt_opts {
	const char *outfile;	/* -o FILE, NULL: stderr */
	int quiet;		/* -q: no per-call lines */
	int verbose;		/* -v, repeatable */
	enum rt_mode mode;
	int deny_errno;		/* --mode=deny[=ERRNO] */
	bool kill_on_exit;	/* --kill-on-exit: PTRACE_O_EXITKILL */
	bool no_pin;		/* --no-pin: supervisor on any CPU */
	bool no_agent;		/* --no-agent: inject into the caller only */
	bool stack_trace;	/* -k: unwind the caller */
	bool json;		/* --json: JSON Lines instead of text */
	bool summary;		/* -c: table at exit */
	bool layout;		/* --layout: picture after each emulation */
	enum rt_only only;	/* -Z, -z */
	int timestamps;		/* -t 1, -tt 2, -ttt 3: a time before each line */
	bool relative;		/* -r: the time since the previous line */
	bool call_times;	/* -T: the time of each call at its line's end */
	struct rt_fault faults[RT_FAULTS_MAX];	/* --inject, -e inject= */
	unsigned int nfaults;
	char **argv;		/* PROGRAM ARGS... */
};


/*
 * Where the supervisor's time goes in an emulated call
 * (REMAPTRACE_BREAKDOWN=1 prints the sums at exit).
 */
enum rt_phase {
	RT_PH_RECEIVE,	/* SECCOMP_IOCTL_NOTIF_RECV */
	RT_PH_LOOKUP,	/* VMA lookup and the rule book */
	RT_PH_FILE,	/* finding the open file, kcmp */
	RT_PH_INSTALL,	/* SECCOMP_IOCTL_NOTIF_ADDFD */
	RT_PH_STOP,	/* interrupt, answer, wait for the stop, save state */
	RT_PH_INJECT,	/* the injected calls */
	RT_PH_REPORT,	/* formatting and writing the log line */
	RT_PH_RESUME,	/* restore registers and mask, resume */
	RT_PH__COUNT
};

struct rt_breakdown {
	bool on;
	unsigned long calls;		/* emulated calls measured */
	unsigned long stops;		/* ptrace stops in them */
	uint64_t ns[RT_PH__COUNT];
};

/* Threads held still for one emulation (tracer/freeze.c). */
struct rt_frozen {
	pid_t tid;		/* 0: gone */
	bool stopped;
	int sig;		/* to deliver when thawed */
};

struct rt_freeze {
	struct rt_frozen *t;
	size_t n;
	size_t pending;		/* stops still to come */
};

/* Descriptors installed for emulations, and children held to check
 * what they inherited (tracer/inherit.c). */
#define RT_INSTALL_RECS	8
#define RT_HELD_MAX	64

struct rt_install {
	pid_t tgid;
	int tfd;		/* the number in the program */
	int keyfd;		/* ours, for kcmp; -1: slot unused */
	uint64_t t_end;		/* when it was closed again, 0: in flight */
};

struct rt_held {
	pid_t pid;
	pid_t ppid;
};

struct rt_inherit {
	struct rt_install rec[RT_INSTALL_RECS];
	unsigned int next;
	struct rt_held held[RT_HELD_MAX];
	unsigned int nheld;
};

/*
 * The tracee tables: what the supervisor knows of the traced tree, kept
 * across calls (per-call state lives in its job, rt_job.h).
 */
struct rt_tracees {
	pid_t child;		/* the first program */
	pid_t keeper;		/* --kill-on-exit's listener keeper, or -1 */
	int child_status;	/* its wait status, when child_done */
	bool child_done;
	unsigned int ntracees;	/* threads we are tracing */
	struct rt_procs procs;	/* thread -> process */
	struct rt_ident ident;	/* open files behind shared mappings */
	struct rt_agents agents;	/* agent.c */
	struct rt_inherit inherit;	/* descriptors installed lately */
	struct rt_sysvshm shm;	/* removed SysV segments (sysvshm.c) */
	/*
	 * A call restarted because another thread disturbed the descriptor
	 * installed for it (emulate.c): its verdict stands for the restarted
	 * call, since the range may meanwhile map the wrong file.
	 */
	struct {
		bool active;
		pid_t tid;
		struct rt_remap_args args;
		struct rt_verdict v;
	} retry;
};

/* The output sinks: the log (text or JSON, sinks.c) and the -c table. */
struct rt_pidfile;

struct rt_sinks {
	FILE *log;		/* stderr or -o FILE */
	int log_err;		/* errno of the first failed log write, or 0 */
	struct timespec log_prev;	/* -r: the time of the last line, or 0 */
	struct rt_summary *summary;	/* -c: rows by outcome (summary.c) */
	bool per_process;	/* -ff -o FILE: FILE.PID per process */
	bool no_signals;	/* -e signal=none */
	const char *base;	/* -ff: FILE of FILE.PID */
	struct rt_pidfile *f;	/* -ff: the files, least recently used
				 * closed first */
	size_t nf, cap_f;
	unsigned int nopen;
	unsigned long tick;
	int cmd_pidfd;		/* -o '|cmd': the command, or -1 */
};

/* The statistics, counted in one place: when a call is reported
 * (report.c), and the time breakdown when it completes (notify.c). */
struct rt_stats {
	unsigned long calls;
	unsigned long emulated;
	unsigned long rejected;
	unsigned long passed;	/* given to the kernel (check mode) */
	unsigned long denied;
	unsigned long failed;	/* emulation tried, mmap or supervisor failed */
	unsigned long gone;	/* the caller vanished mid-call */
	unsigned long faulted;	/* fault injection (--inject) */
	unsigned long mmaps_followed;	/* shared file mmaps recorded */
	unsigned long smaps_reads;	/* /proc/PID/smaps read to judge */
	unsigned long by_rule[RT_RULE__COUNT];
	struct rt_breakdown bd;	/* REMAPTRACE_BREAKDOWN=1 */
	/* -c: latencies of every call (summary.c) */
	uint64_t *lat;
	size_t nlat, cap_lat;
};

/*
 * The supervisor's context: the options (fixed once parsed), the tracee
 * tables, the output sinks and the statistics, then what the loop and the
 * kernel adapters hold for the run.
 */
struct rt_ctx {
	const struct rt_opts opt;
	struct rt_tracees tr;
	struct rt_sinks out;
	struct rt_stats stats;
	/* the loop's (loop.c, notify.c) */
	int listener;		/* seccomp user-notification fd */
	int sigfd;		/* signalfd: SIGCHLD and forwarded signals */
	int epfd;		/* the loop's epoll set, or -1 */
	struct seccomp_notif *req;	/* the notification being served */
	struct seccomp_notif_resp *resp;
	struct rt_job *job;	/* the one job in flight, or NULL (job.c) */
	/* Notifications received while a job ran, for the loop. */
	struct seccomp_notif *stash;
	size_t nstash, cap_stash;
	bool all_gone;		/* no tracee left (seen outside the loop) */
	/*
	 * SIGINT, SIGTERM, SIGHUP or SIGQUIT came: passed to the program,
	 * which has until term_at (CLOCK_MONOTONIC, ns) to end; then
	 * remaptrace lets go of it and exits 128 + term_sig (loop.c).
	 */
	int term_sig;
	uint64_t term_at;
	/* what the run found out at start-up */
	sigset_t saved_mask;	/* the mask to give back to the child */
	/* RLIMIT_NOFILE as we found it, for the child (ours is raised) */
	struct rlimit nofile;
	bool nofile_known;
	pid_t self;		/* getpid(), once */
	bool ptrace_ok;		/* every tracee is seized by us */
	bool killable_recv;	/* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
	int base_filters;	/* seccomp filters the program starts with */
	unsigned long page_size;
	int cpu;		/* the CPU the supervisor is pinned to, or -1 */
};

#endif
