/* report.c - the log: one strace-like record per call (or one JSON line,
 * json.c), and the program's end.
 *
 * stdout belongs to the tracee: everything goes to ctx->out.log (stderr or
 * -o FILE).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_describe.h"
#include "rt_eof.h"
#include "rt_json.h"
#include "rt_names.h"
#include "rt_report.h"
#include "rt_call.h"
#include "rt_fileobj.h"
#include "rt_stack.h"
#include "rt_summary.h"
#include "rt_util.h"

static const char *
errname(long err)
{
	const char *n = rt_names_errno((int)err);

	return n ? n : "E?";
}

/*
 * A log that cannot be written (ENOSPC, EIO, EPIPE: SIGPIPE is blocked)
 * must not pass silently: a user would read a short log as the whole
 * story.  The first failure is said at once on stderr; main() turns it
 * into exit status 125 when the program itself succeeded.
 */
static int
log_failed(struct rt_ctx *ctx, int err)
{
	if (!ctx->out.log_err) {
		ctx->out.log_err = err;
		fprintf(stderr, "remaptrace: writing the log: %s\n",
			strerror(err));
	}
	return -err;
}

int
rt_report_flush(struct rt_ctx *ctx)
{
	if (fflush(ctx->out.log) == EOF)
		return log_failed(ctx, errno ? errno : EIO);
	/* An unbuffered stderr fails in fprintf itself; fflush then has
	 * nothing left to write and the error only shows in ferror(). */
	if (ferror(ctx->out.log)) {
		clearerr(ctx->out.log);
		return log_failed(ctx, EIO);
	}
	return 0;
}

/*
 * Each record (a call line with its --layout and -k lines, or a JSON
 * line) leaves in one write(2), so that the log and output of the program
 * sharing a terminal or file never interleave within a record.  @pid's
 * records go to its own file under -ff (sinks.c).
 */
static void
emit(struct rt_ctx *ctx, pid_t pid, const char *buf, size_t len)
{
	int fd;

	rt_report_flush(ctx);
	fd = rt_sinks_fd(ctx, pid);
	if (fd < 0) {
		log_failed(ctx, -fd);
		return;
	}
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* write(2) gives 0 for a non-empty buffer only on
			 * a device that takes no more: a short log all the
			 * same. */
			log_failed(ctx, n < 0 ? errno : EIO);
			return;
		}
		buf += n;
		len -= n;
	}
}

static void
count(struct rt_ctx *ctx, const struct rt_call *c)
{
	switch (c->outcome) {
	case RT_OUT_EMULATED: ctx->stats.emulated++; break;
	case RT_OUT_REJECTED:
		ctx->stats.rejected++;
		ctx->stats.by_rule[c->v.rule]++;
		break;
	case RT_OUT_PASSED: ctx->stats.passed++; break;
	case RT_OUT_DENIED: ctx->stats.denied++; break;
	case RT_OUT_FAILED: ctx->stats.failed++; break;
	case RT_OUT_GONE: ctx->stats.gone++; break;
	case RT_OUT_FAULT: ctx->stats.faulted++; break;
	case RT_OUT_RESTARTED: break;
	}
}

/* Whether the caller got -1 (strace's syserror()): what -Z shows and -z
 * hides.  A result remaptrace does not know ("= ?") is no error, as
 * strace's "= ?" is not. */
static bool
call_failed(const struct rt_call *c)
{
	switch (c->outcome) {
	case RT_OUT_REJECTED:
	case RT_OUT_DENIED:
	case RT_OUT_FAILED:
	case RT_OUT_FAULT:
		return true;
	case RT_OUT_PASSED:
		return c->stack && c->result < 0;
	default:
		return false;
	}
}

static bool
wanted(const struct rt_ctx *ctx, const struct rt_call *c)
{
	switch (ctx->opt.only) {
	case RT_ONLY_FAILED:
		return call_failed(c);
	case RT_ONLY_SUCCESSFUL:
		return !call_failed(c);
	default:
		return true;
	}
}

/*
 * "[pid N] " and the -t/-tt/-ttt and -r times, in strace's order and
 * formats (strace's printleader()): "12:00:00 ", "12:00:00.123456 ",
 * "1767225600.123456 ", "     0.000123 ", and with -t and -r both
 * "12:00:00 (+     0.000123) ".  @when: the time the call was received
 * (or the event seen), CLOCK_REALTIME.
 */
static void
leader(FILE *f, struct rt_ctx *ctx, pid_t pid, const struct timespec *when)
{
	const struct rt_opts *o = &ctx->opt;
	struct timespec d = { 0, 0 }, *prev = &ctx->out.log_prev;
	char hms[16];
	struct tm tm;

	/* -ff: the file's name says whose record it is, as in strace. */
	if (!rt_sinks_per_process(ctx))
		fprintf(f, "[pid %d] ", pid);
	if (o->timestamps == 3) {
		fprintf(f, "%lld.%06ld ", (long long)when->tv_sec,
			when->tv_nsec / 1000);
	} else if (o->timestamps) {
		localtime_r(&when->tv_sec, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		fputs(hms, f);
		if (o->timestamps == 2)
			fprintf(f, ".%06ld", when->tv_nsec / 1000);
		fputc(' ', f);
	}
	if (!o->relative)
		return;
	/* The first line, and a clock set back, count from 0 as strace's
	 * first line does. */
	if ((prev->tv_sec || prev->tv_nsec) &&
	    (when->tv_sec > prev->tv_sec ||
	     (when->tv_sec == prev->tv_sec && when->tv_nsec >= prev->tv_nsec))) {
		d.tv_sec = when->tv_sec - prev->tv_sec;
		d.tv_nsec = when->tv_nsec - prev->tv_nsec;
		if (d.tv_nsec < 0) {
			d.tv_sec--;
			d.tv_nsec += 1000000000L;
		}
	}
	*prev = *when;
	fprintf(f, o->timestamps ? "(+%6lld.%06ld) " : "%6lld.%06ld ",
		(long long)d.tv_sec, d.tv_nsec / 1000);
}

/*
 * -vv: where the supervisor's time for the call went, up to the log line
 * (the phases of enum rt_phase that precede it).
 */
static void
text_phases(FILE *f, const struct rt_call *c)
{
	static const struct {
		enum rt_phase ph;
		const char *name;
	} shown[] = {
		{ RT_PH_RECEIVE, "receive" }, { RT_PH_LOOKUP, "rules" },
		{ RT_PH_FILE, "file" }, { RT_PH_INSTALL, "answer" },
		{ RT_PH_STOP, "stop" }, { RT_PH_INJECT, "mmap" },
	};

	if (!c->timed)
		return;
	fputs(" (", f);
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
		fprintf(f, "%s%s %.1f", i ? ", " : "", shown[i].name,
			c->ph[shown[i].ph] / 1000.0);
	fputs(" us)", f);
}

/* " = RESULT (REASON) <DETAIL>": what the caller got, and why. */
static void
text_result(FILE *f, const struct rt_ctx *ctx, const struct rt_call *c)
{
	switch (c->outcome) {
	case RT_OUT_EMULATED:
		fputs(" = 0 <emulated ", f);
		rt_describe_mmap(f, &c->v);
		fprintf(f, "> in %.1f us", c->ns / 1000.0);
		if (ctx->opt.verbose) {
			fprintf(f, " via %s", rt_fileobj_how_name(c->how));
			if (c->by_agent)
				fputs(", by the agent", f);
			else
				fprintf(f, ", by ptrace (%u stops)", c->stops);
		}
		if (ctx->opt.verbose > 1)
			text_phases(f, c);
		break;
	case RT_OUT_REJECTED:
		fprintf(f, " = -1 %s (%s) <", errname(-c->result),
			rt_rule_text(c->v.rule));
		rt_describe_why(f, &c->args, &c->v, ctx->page_size);
		fputc('>', f);
		break;
	case RT_OUT_PASSED:
		/* The result is known when the thread was caught on its way
		 * out of the kernel's call (notify.c does that for -k). */
		if (!c->stack)
			fputs(" = ? <valid, passed to the kernel>", f);
		else if (c->result < 0)
			fprintf(f, " = -1 %s <valid, run by the kernel>",
				errname(-c->result));
		else
			fprintf(f, " = %ld <valid, run by the kernel>",
				c->result);
		break;
	case RT_OUT_DENIED:
		fprintf(f, " = -1 %s (denied by --mode=deny)",
			errname(-c->result));
		break;
	case RT_OUT_FAILED:
		fprintf(f, " = -1 %s (%s: %s", errname(-c->result),
			c->why ? c->why : "emulation failed",
			strerror((int)-c->result));
		if (c->v.action == RT_ACT_MMAP) {
			fputs(") <", f);
			rt_describe_mmap(f, &c->v);
			fputc('>', f);
		} else {
			fputc(')', f);
		}
		break;
	case RT_OUT_GONE:
		fputs(" = ? <the caller vanished>", f);
		break;
	case RT_OUT_RESTARTED:
		fprintf(f, " = ? <restarted: %s>", c->why ? c->why : "");
		break;
	case RT_OUT_FAULT:
		fprintf(f, " = -1 %s (INJECTED)", errname(-c->result));
		break;
	}
}

/* " > /usr/lib/x86_64-linux-gnu/libc.so.6(syscall+0x1d) [0x11c7dd]" per
 * frame, as strace -k prints them: the bracket holds the offset in the
 * module's file, or the address when no file contains it. */
static void
text_stack(FILE *f, const struct rt_stack *st)
{
	for (unsigned int i = 0; i < st->n; i++) {
		const struct rt_frame *fr = &st->f[i];

		/* Module paths and symbol names are the program's. */
		fputs(" > ", f);
		rt_describe_str(f, fr->module[0] ? fr->module : "?");
		fputc('(', f);
		if (fr->func[0]) {
			rt_describe_str(f, fr->func);
			fprintf(f, "+%#" PRIx64, fr->off);
		}
		fprintf(f, ") [%#" PRIx64 "]\n",
			fr->module[0] ? fr->rel : fr->pc);
	}
}

/*
 * A valid call whose pages lie past the end of the file: the kernel says
 * 0 and the first access dies of SIGBUS.  Returns malloc'd words, or
 * NULL when all is well or the size is unknown.
 */
static char *
past_eof(const struct rt_ctx *ctx, const struct rt_call *c)
{
	char *text = NULL;
	size_t len = 0;
	uint64_t size;
	bool said;
	FILE *f;
	int fd;

	if ((c->outcome != RT_OUT_EMULATED && c->outcome != RT_OUT_PASSED) ||
	    !c->v.first.end)
		return NULL;
	fd = c->v.first.file_id ?
	     rt_ident_key_fd(&ctx->tr.ident, c->v.first.file_id) : -1;
	if (rt_eof_size(c->tgid ? c->tgid : c->tid, &c->v.first, fd,
			&size) < 0)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	said = rt_eof_describe(f, &c->args, size, ctx->page_size);
	if (fclose(f) != 0 || !said) {
		free(text);
		return NULL;
	}
	return text;
}

static void
text_call(FILE *f, struct rt_ctx *ctx, const struct rt_call *c,
	  const char *eof)
{
	leader(f, ctx, c->tid, &c->when);
	rt_describe_call(f, &c->args);
	text_result(f, ctx, c);
	fputs(" /* ", f);
	rt_describe_pgoff(f, c->args.pgoff, ctx->page_size);
	if (c->v.first.end) {
		fputs("; vma ", f);
		rt_describe_vma(f, &c->v.first);
	}
	if (eof)
		fprintf(f, "; %s", eof);
	fputs(" */", f);
	/* -T: strace's "<seconds>" at the end of the line; here the
	 * supervisor's time, from receiving the call to logging it. */
	if (ctx->opt.call_times)
		fprintf(f, " <%" PRIu64 ".%06" PRIu64 ">", c->ns / 1000000000,
			c->ns / 1000 % 1000000);
	fputc('\n', f);
	if (c->layout)
		fprintf(f, " layout %s\n", c->layout);
	if (c->stack)
		text_stack(f, c->stack);
}

/**
 * rt_report_call() - count a call and log it: one text record (the call
 * line, then --layout and -k lines) or one JSON line, in one write.
 */
void
rt_report_call(struct rt_ctx *ctx, const struct rt_call *c)
{
	_cleanup_free_ char *eof = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	count(ctx, c);
	rt_summary_add(ctx, c);
	if (ctx->opt.quiet || !wanted(ctx, c))
		return;
	eof = past_eof(ctx, c);
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (ctx->opt.json)
		rt_json_call(f, ctx, c, eof);
	else
		text_call(f, ctx, c, eof);
	if (fclose(f) == 0)
		emit(ctx, c->tid, buf, len);
	free(buf);
}

void
rt_report_note(struct rt_ctx *ctx, pid_t pid, const char *what)
{
	char *buf = NULL;
	size_t len = 0;
	struct timespec now;
	FILE *f;

	if (ctx->opt.json)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	leader(f, ctx, pid, &now);
	fprintf(f, "%s\n", what);
	if (fclose(f) == 0 && len)
		emit(ctx, pid, buf, len);
	free(buf);
}

/**
 * rt_report_exit() - the end of @pid (the program, or with -v any
 * tracee): death by a signal always, a normal exit with -v or --json.
 */
void
rt_report_exit(struct rt_ctx *ctx, pid_t pid, int status)
{
	char *buf = NULL;
	size_t len = 0;
	const char *name;
	struct timespec now;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ctx->opt.json) {
		rt_json_exit(f, pid, status);
	} else if (WIFSIGNALED(status)) {
		name = rt_names_signal(WTERMSIG(status));
		leader(f, ctx, pid, &now);
		if (name)
			fprintf(f, "+++ killed by %s%s +++\n", name,
				WCOREDUMP(status) ? " (core dumped)" : "");
		else
			fprintf(f, "+++ killed by signal %d%s +++\n",
				WTERMSIG(status),
				WCOREDUMP(status) ? " (core dumped)" : "");
	} else if (ctx->opt.verbose && WIFEXITED(status)) {
		leader(f, ctx, pid, &now);
		fprintf(f, "+++ exited with %d +++\n", WEXITSTATUS(status));
	}
	if (fclose(f) == 0 && len)
		emit(ctx, pid, buf, len);
	free(buf);
}

/* The signals whose stack -k shows: the program's own faults. */
static bool
stack_wanted(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE;
}

/**
 * rt_report_signal() - see rt_report.h.  Under -q only the fault
 * signals are logged: they explain a death that -q still reports.
 */
void
rt_report_signal(struct rt_ctx *ctx, pid_t pid, int sig)
{
	_cleanup_free_ struct rt_stack *st = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct timespec now;
	siginfo_t si;
	FILE *f;

	if (!rt_sinks_signals(ctx) || (ctx->opt.quiet && !stack_wanted(sig)))
		return;
	/* ESRCH: gone meanwhile (SIGKILL), nothing to say. */
	if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0)
		return;
	/* Our own SIGSTOP that puts a thread back into its group's stop
	 * after an emulation (inject.c): no signal of the program's. */
	if (sig == SIGSTOP && si.si_code == SI_TKILL && si.si_pid == ctx->self)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ctx->opt.stack_trace && stack_wanted(sig)) {
		st = calloc(1, sizeof(*st));
		if (st && rt_stack_capture(pid, st) < 0)
			st->n = 0;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	if (ctx->opt.json) {
		rt_json_signal(f, pid, &si, &now, st);
	} else {
		leader(f, ctx, pid, &now);
		fprintf(f, "--- %s ", rt_names_signal(si.si_signo) ?: "SIG?");
		rt_siginfo_text(f, &si);
		fputs(" ---\n", f);
		if (st)
			text_stack(f, st);
	}
	if (fclose(f) == 0 && len)
		emit(ctx, pid, buf, len);
	free(buf);
}
