/* rt_report.h - where the log goes (tracer/sinks.c), the records that
 * are not calls (tracer/report.c: signals), and siginfo in strace's words
 * (tracer/siginfo.c).
 */
#ifndef RT_REPORT_H
#define RT_REPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct rt_ctx;

/* Options of the log that main.c hands over once, before the run. */
struct rt_sink_opts {
	const char *spec;	/* -o: NULL (stderr), FILE, |COMMAND, !COMMAND */
	bool per_process;	/* -ff with -o FILE: FILE.PID per process */
	bool no_signals;	/* -e signal=none: no signal lines */
};

/**
 * rt_sinks_open() - open the log as @o says and set ctx->out.log (stderr,
 * FILE, or the write end of a pipe to `sh -c COMMAND`).  With
 * @o->per_process, ctx->out.log stays stderr (the -c table and remaptrace's
 * own messages) and each process's records go to FILE.PID.
 * Prints its own message on failure.
 * Returns 0, -EINVAL (a bad combination), or the -errno of open, pipe
 * or fork.
 */
int rt_sinks_open(struct rt_ctx *ctx, const struct rt_sink_opts *o);

/**
 * rt_sinks_fd() - the descriptor that @pid's records are written to:
 * ctx->out.log's, or under -ff the file FILE.PID (created at its first
 * record, truncated then, appended to if it had to be closed meanwhile).
 * Returns the descriptor or -errno of its open.
 */
int rt_sinks_fd(struct rt_ctx *ctx, pid_t pid);

/* Whether records go to one file per process (no "[pid N] " then). */
bool rt_sinks_per_process(const struct rt_ctx *ctx);

/* Whether signal lines are wanted (not -e signal=none). */
bool rt_sinks_signals(const struct rt_ctx *ctx);

/**
 * rt_sinks_close() - close every log file and the pipe, and wait for the
 * pipe's command to end (no stray process).  A failed close is a failed
 * log write (ctx->out.log_err, said on stderr).
 */
void rt_sinks_close(struct rt_ctx *ctx);

/**
 * rt_report_signal() - log the signal @sig that @pid is about to receive
 * (its signal-delivery-stop): `--- SIGBUS {si_signo=SIGBUS, ...} ---`,
 * with the stack under -k for SIGSEGV, SIGBUS, SIGILL and SIGFPE.  Reads
 * the siginfo itself (PTRACE_GETSIGINFO); a thread gone meanwhile is
 * skipped quietly.  Changes nothing in the thread.
 */
void rt_report_signal(struct rt_ctx *ctx, pid_t pid, int sig);

/* ---- siginfo.c ---- */

/* Signals whose siginfo carries the faulting address (si_addr). */
bool rt_siginfo_is_fault(int sig);

/* "BUS_ADRERR", "SI_USER"; NULL for a code without a name. */
const char *rt_siginfo_code(const siginfo_t *si);

/* `{si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7f0000001000}` */
void rt_siginfo_text(FILE *f, const siginfo_t *si);

/* ---- report.c: the call records ---- */

struct rt_call;

void rt_report_call(struct rt_ctx *ctx, const struct rt_call *c);
/*
 * Flush the log and note a failed write (ctx->out.log_err), said at once on
 * stderr.  Returns 0 or the -errno of the failure.
 */
int rt_report_flush(struct rt_ctx *ctx);
void rt_report_exit(struct rt_ctx *ctx, pid_t pid, int status);
/* One line "[pid N] @what" about a tracee (text log only). */
void rt_report_note(struct rt_ctx *ctx, pid_t pid, const char *what);

#endif
