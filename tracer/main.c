/* main.c - command line, set-up, and the exit status.
 *
 * Exit status (as env(1), timeout(1)): the program's own; 128+N when it
 * died of signal N; 126 when it could not be executed; 127 when it was not
 * found; 125 when remaptrace itself failed, or when the program exited 0
 * but the log could not be written (report.c says so at the first
 * failed write).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "rt_compat.h"
#include "rt_features.h"
#include "rt_launch.h"
#include "rt_names.h"
#include "rt_report.h"
#include "rt_explain.h"
#include "rt_fault.h"
#include "rt_inherit.h"
#include "rt_loop.h"
#include "rt_summary.h"
#include "rt_util.h"

#define EXIT_RT_FAILURE	125
#define EXIT_CANNOT_RUN	126
#define EXIT_NOT_FOUND	127

static const char usage[] =
"Usage: remaptrace [OPTION]... -- PROGRAM [ARG]...\n"
"       remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]\n"
"Run PROGRAM with remap_file_pages(2) intercepted: every call is checked\n"
"as the kernel checks it, and valid calls are emulated with mmap(2).\n"
"The second form judges one call against a running process's mappings.\n"
"\n"
"  -o, --output=FILE   write the log to FILE instead of standard error;\n"
"                      '|COMMAND' or '!COMMAND': pipe it to sh -c COMMAND\n"
"  -f, --follow-forks  accepted: every thread and child is always followed\n"
"  -ff, --output-separately  with -o FILE, each process's log in FILE.PID\n"
"  -q, --quiet         no per-call lines, no signal lines but faults'\n"
"  -v, --verbose       how each call was emulated; every process's exit\n"
"                      -vv: also each call's time by phase, and changes\n"
"                      of credentials\n"
"  -k, --stack-trace   print the caller's stack after each call, and the\n"
"                      faulting thread's after SIGSEGV, SIGBUS, SIGILL, SIGFPE\n"
"      --json          log JSON Lines (one object per call, signal, exit)\n"
"                      instead of text; like the text log, to standard\n"
"                      error unless -o is given\n"
"  -u, --user=USER     run PROGRAM as USER (uid, gid, groups); root only\n"
"  -e signal=SET, --signal=SET  all (default) or none: the signal lines\n"
"  -Z, --failed-only   log only the calls that returned -1\n"
"  -z, --successful-only  log only the calls that did not return -1\n"
"  -t                  start each line with the time of day; -tt with\n"
"                      microseconds; -ttt in seconds since the epoch\n"
"  -r, --relative-timestamps  start each line with the time since the\n"
"                      previous line's, in seconds\n"
"  -T, --syscall-times end each call line with the time remaptrace spent\n"
"                      on the call, in seconds: <0.000023>\n"
"  -c, --summary       at exit, a table of calls by outcome and latency\n"
"      --layout        after each emulated call, the file page behind\n"
"                      each page of the mapping, e.g. [3 1 2 3]\n"
"      --mode=MODE     emulate (default): emulate valid calls with mmap;\n"
"                      check: validate, let the kernel run valid calls;\n"
"                      deny[=ERRNO]: fail every call with ERRNO (ENOSYS)\n"
"      --inject=ERRNO@N[+[S]]  fail the Nth call (N+: the Nth and\n"
"                      every later one; N+S: the Nth and every Sth after\n"
"                      it) with ERRNO, a name or a number; repeatable\n"
"  -e inject=remap_file_pages:error=ERRNO[:when=N[+[S]]]\n"
"                      the same in strace's words\n"
"      --kill-on-exit  kill the program if remaptrace dies\n"
"      --no-pin        let the supervisor run on any CPU (by default it\n"
"                      stays on one, where answered threads wake up)\n"
"      --no-agent      run every emulated mmap in the calling thread by\n"
"                      ptrace, never in a helper process (slower)\n"
"  -p PID              refused: a running process cannot be attached to\n"
"                      (see remaptrace explain)\n"
"  -h, --help          show this help and exit\n"
"  -V, --version       show the version and exit\n"
"\n"
"Exit status: PROGRAM's own; 128+N if it was killed by signal N;\n"
"125 if remaptrace failed, or if PROGRAM exited 0 but the log could not\n"
"be written; 126 if PROGRAM could not be executed, 127 if PROGRAM was\n"
"not found.  See remaptrace(1).\n";

enum {
	OPT_MODE = 256, OPT_KILL_ON_EXIT, OPT_JSON, OPT_LAYOUT, OPT_INJECT,
	OPT_NO_PIN, OPT_NO_AGENT, OPT_SEPARATELY, OPT_SIGNAL,
};

static int
parse_mode(struct rt_opts *o, const char *arg)
{
	if (!strcmp(arg, "emulate")) {
		o->mode = RT_MODE_EMULATE;
	} else if (!strcmp(arg, "check")) {
		o->mode = RT_MODE_CHECK;
	} else if (!strncmp(arg, "deny", 4) &&
		   (arg[4] == '\0' || arg[4] == '=')) {
		o->mode = RT_MODE_DENY;
		o->deny_errno = ENOSYS;
		if (arg[4] == '=' &&
		    (o->deny_errno = rt_fault_errno(arg + 5)) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* What the command line says beyond struct rt_opts: the log's sinks
 * (sinks.c) and -u (launch.c). */
struct cli {
	struct rt_sink_opts sink;
	int follow;			/* -f: always on; -ff: FILE.PID */
	const char *user;		/* -u USER */
};

/* -e signal=SET, --signal=SET: strace's all (the default) or none. */
static int
signal_opt(struct cli *cl, const char *set)
{
	if (!strcmp(set, "all")) {
		cl->sink.no_signals = false;
	} else if (!strcmp(set, "none") || !strcmp(set, "!all")) {
		cl->sink.no_signals = true;
	} else {
		fprintf(stderr, "remaptrace: invalid signal set '%s' (all or "
			"none)\n", set);
		return -EINVAL;
	}
	return 0;
}

/* --inject=... or -e inject=... (or -e signal=...): a rule more, or a
 * message. */
static int
inject_opt(struct rt_opts *o, struct cli *cl, int c, const char *arg)
{
	int r;

	if (c == 'e' && !strncmp(arg, "signal=", 7))
		return signal_opt(cl, arg + 7);
	if (c == 'e' && !strncmp(arg, "signals=", 8))
		return signal_opt(cl, arg + 8);
	r = c == 'e' ? rt_fault_parse_strace(o, arg) :
		       rt_fault_parse_inject(o, arg);

	if (r == -E2BIG)
		fprintf(stderr, "remaptrace: more than %d --inject rules\n",
			RT_FAULTS_MAX);
	else if (r < 0 && c == 'e')
		fprintf(stderr, "remaptrace: invalid -e '%s' (only "
			"inject=remap_file_pages:error=ERRNO[:when=WHEN] is "
			"known, and signal=all or signal=none; WHEN is N, N+ "
			"or N+S, from 1)\n", arg);
	else if (r < 0)
		fprintf(stderr, "remaptrace: invalid --inject '%s' (ERRNO@N, "
			"ERRNO@N+ or ERRNO@N+S, N and S from 1)\n", arg);
	return r;
}

/*
 * strace -p attaches to a running process; remaptrace cannot: the kernel
 * lets a process install a seccomp filter only on itself (or its
 * threads), and a user-notification filter must be there before the
 * program runs.  Say so in one line rather than "invalid option".
 */
static int
no_attach(void)
{
	fputs("remaptrace: -p: cannot attach to a running process: a seccomp "
	      "filter must be installed before exec; use `remaptrace explain "
	      "-p PID ...` to judge a call against its mappings\n", stderr);
	return EXIT_RT_FAILURE;
}

/* Returns -1 to continue, or an exit status. */
static int
parse_args(struct rt_opts *o, struct cli *cl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stack-trace", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "summary", no_argument, NULL, 'c' },
		{ "layout", no_argument, NULL, OPT_LAYOUT },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "inject", required_argument, NULL, OPT_INJECT },
		{ "kill-on-exit", no_argument, NULL, OPT_KILL_ON_EXIT },
		{ "no-pin", no_argument, NULL, OPT_NO_PIN },
		{ "no-agent", no_argument, NULL, OPT_NO_AGENT },
		{ "failed-only", no_argument, NULL, 'Z' },
		{ "successful-only", no_argument, NULL, 'z' },
		{ "syscall-times", no_argument, NULL, 'T' },
		{ "relative-timestamps", no_argument, NULL, 'r' },
		{ "follow-forks", no_argument, NULL, 'f' },
		{ "output-separately", no_argument, NULL, OPT_SEPARATELY },
		{ "user", required_argument, NULL, 'u' },
		{ "signal", required_argument, NULL, OPT_SIGNAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;	/* our own messages, prefixed "remaptrace: " */
	while ((c = getopt_long(argc, argv, "+:o:e:p:u:fqvkctrTzZhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->outfile = cl->sink.spec = optarg; break;
		case 'f': cl->follow++; break;
		case OPT_SEPARATELY: cl->follow = 2; break;
		case 'u': cl->user = optarg; break;
		case OPT_SIGNAL:
			if (signal_opt(cl, optarg) < 0)
				return EXIT_RT_FAILURE;
			break;
		case 'q': o->quiet++; break;
		case 'v': o->verbose++; break;
		case 'k': o->stack_trace = true; break;
		case 'c': o->summary = true; break;
		case 't':
			if (o->timestamps < 3)
				o->timestamps++;
			break;
		case 'r': o->relative = true; break;
		case 'T': o->call_times = true; break;
		case 'z':
		case 'Z':
			/* strace's rule and its warning */
			if (o->only && o->only != (c == 'Z' ? RT_ONLY_FAILED :
						  RT_ONLY_SUCCESSFUL))
				fputs("remaptrace: only the last of -z and -Z "
				      "takes effect\n", stderr);
			o->only = c == 'Z' ? RT_ONLY_FAILED :
					     RT_ONLY_SUCCESSFUL;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_LAYOUT: o->layout = true; break;
		case OPT_KILL_ON_EXIT: o->kill_on_exit = true; break;
		case OPT_NO_PIN: o->no_pin = true; break;
		case OPT_NO_AGENT: o->no_agent = true; break;
		case OPT_INJECT:
		case 'e':
			if (inject_opt(o, cl, c, optarg) < 0)
				return EXIT_RT_FAILURE;
			break;
		case OPT_MODE:
			if (parse_mode(o, optarg) < 0) {
				fprintf(stderr, "remaptrace: invalid mode '%s' "
					"(emulate, check, deny[=ERRNO])\n",
					optarg);
				return EXIT_RT_FAILURE;
			}
			break;
		case 'p':
			return no_attach();
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("remaptrace %s\n", RT_VERSION);
			return 0;
		case ':':
			if (optopt == 'p')
				return no_attach();
			fprintf(stderr, "remaptrace: option '%s' needs an "
				"argument\n", argv[optind - 1]);
			goto bad;
		default:
			if (optopt)
				fprintf(stderr, "remaptrace: invalid option "
					"-- '%c'\n", optopt);
			else
				fprintf(stderr, "remaptrace: unrecognized "
					"option '%s'\n", argv[optind - 1]);
			goto bad;
		}
	}
	if (optind >= argc) {
		fputs("remaptrace: no program to run\n"
		      "Try 'remaptrace --help' for more information.\n",
		      stderr);
		return EXIT_RT_FAILURE;
	}
	o->argv = argv + optind;
	cl->sink.per_process = cl->follow >= 2;
	return -1;
bad:
	fputs("Try 'remaptrace --help' for more information.\n", stderr);
	return EXIT_RT_FAILURE;
}

/*
 * Copies of the program's open files (ident.c) count against our
 * descriptor limit: take the hard limit as ours (the child gets the soft
 * one back before exec, launch.c), and keep the copies within a budget
 * below it, so that they never starve the supervisor's own descriptors.
 */
static void
raise_nofile(struct rt_ctx *ctx)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	ctx->nofile = rl;
	ctx->nofile_known = true;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };

		/* valgrind refuses (it keeps descriptors at the top). */
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	rt_ident_budget(&ctx->tr.ident, rl.rlim_cur);
}

static int
setup(struct rt_ctx *ctx, const struct cli *cl)
{
	sigset_t mask, pipe_mask;
	int r;

	ctx->page_size = sysconf(_SC_PAGESIZE);
	ctx->self = getpid();
	/* Before signals are blocked and the descriptor limit raised: a
	 * log command inherits both. */
	r = rt_sinks_open(ctx, &cl->sink);
	if (r < 0)
		return r;
	raise_nofile(ctx);
	/* No agent code for this architecture (rt_arch.h): the ptrace way,
	 * said once, as --no-agent would have it. */
	if (!rt_arch_native.has_agent) {
		if (ctx->opt.verbose)
			fprintf(ctx->out.log, "remaptrace: no agent on %s: every "
				"emulated mmap runs in the calling thread, by "
				"ptrace (as --no-agent)\n",
				rt_arch_native.name);
	}
	r = seccomp_notify_alloc(&ctx->req, &ctx->resp);
	if (r == -ENOSYS || (r < 0 && errno == ENOSYS)) {
		/*
		 * seccomp(SECCOMP_GET_NOTIF_SIZES) unknown to whatever runs
		 * us (valgrind 3.19).  The kernel copies its own structure
		 * sizes, which only grow: a zeroed page each holds them.
		 */
		ctx->req = calloc(1, 4096);
		ctx->resp = calloc(1, 4096);
		r = ctx->req && ctx->resp ? 0 : -ENOMEM;
	}
	if (r < 0) {
		fprintf(stderr, "remaptrace: seccomp user notification is not "
			"available: %s (needs Linux 5.0 or later with "
			"CONFIG_SECCOMP_FILTER)\n", strerror(-r));
		return r;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, &ctx->saved_mask) < 0)
		return -errno;
	ctx->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	/*
	 * Writing to a gone agent's pipe must be EPIPE, not our death.  Blocked,
	 * not ignored: the program inherits the mask we restore before exec,
	 * but it would inherit an ignored disposition.
	 */
	sigemptyset(&pipe_mask);
	sigaddset(&pipe_mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_mask, NULL);
	if (ctx->sigfd < 0)
		return -errno;
	return 0;
}

static void
cleanup(struct rt_ctx *ctx)
{
	if (ctx->tr.keeper > 0) {
		/* Not our child (no zombie of ours), but it must be gone
		 * before we are. */
		int pfd = rt_features_has(RT_FEAT_PIDFD_OPEN) ?
			  syscall(SYS_pidfd_open, ctx->tr.keeper, 0) : -1;

		if (pfd >= 0)
			rt_pidfd_kill_wait(pfd);
		else
			kill(ctx->tr.keeper, SIGKILL);
	}
	rt_agent_fini(ctx);
	if (ctx->listener >= 0)
		close(ctx->listener);
	if (ctx->sigfd >= 0)
		close(ctx->sigfd);
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	rt_sinks_close(ctx);
	free(ctx->req);
	free(ctx->resp);
	rt_ident_free(&ctx->tr.ident);
	rt_inherit_free(ctx);
	rt_procs_free(&ctx->tr.procs);
}

/* REMAPTRACE_BREAKDOWN=1: where an emulated call's time went (bench). */
static void
print_breakdown(struct rt_ctx *ctx)
{
	static const char *const names[RT_PH__COUNT] = {
		[RT_PH_RECEIVE] = "notification receipt",
		[RT_PH_LOOKUP] = "VMA lookup and rules",
		[RT_PH_FILE] = "file acquisition",
		[RT_PH_INSTALL] = "answer (and ADDFD)",
		[RT_PH_STOP] = "interrupt, answer, stop",
		[RT_PH_INJECT] = "injected calls",
		[RT_PH_REPORT] = "log line",
		[RT_PH_RESUME] = "restore and resume",
	};
	const struct rt_breakdown *bd = &ctx->stats.bd;
	uint64_t total = 0;
	unsigned int i;

	if (!bd->calls)
		return;
	for (i = 0; i < RT_PH__COUNT; i++)
		total += bd->ns[i];
	fprintf(ctx->out.log, "remaptrace: breakdown of %lu emulated calls, "
		"supervisor time per call:\n", bd->calls);
	for (i = 0; i < RT_PH__COUNT; i++)
		fprintf(ctx->out.log, "  %-26s %8.2f us  %5.1f%%\n", names[i],
			bd->ns[i] / 1000.0 / bd->calls,
			total ? 100.0 * bd->ns[i] / total : 0.0);
	fprintf(ctx->out.log, "  %-26s %8.2f us\n  %-26s %8.2f\n", "total",
		total / 1000.0 / bd->calls, "ptrace stops per call",
		(double)bd->stops / bd->calls);
	/* smaps walks every VMA: the rare cases that still need it show. */
	fprintf(ctx->out.log, "  %-26s %8lu of %lu calls\n", "smaps read",
		ctx->stats.smaps_reads, ctx->stats.calls);
	/* Only after an IPC_RMID, for ranges that close whole VMAs. */
	fprintf(ctx->out.log, "  %-26s %8lu of %lu calls\n",
		"/proc/sysvipc/shm read", ctx->tr.shm.reads, ctx->stats.calls);
	/* As root, mappings placed from the kernel's own word (ident.c):
	 * each placement reads every VMA of the process and every copy. */
	fprintf(ctx->out.log, "  %-26s %8lu, %lu VMAs and descriptors read\n",
		"placements", ctx->tr.ident.placements,
		ctx->tr.ident.place_reads);
	rt_report_flush(ctx);
}

/*
 * -u USER: the program runs with USER's uid, gid and groups while
 * remaptrace stays root, as strace -u.  Only root may give its child
 * another user's credentials; say so rather than fail in the child.
 */
static int
find_user(const char *name, struct rt_launch_user *u)
{
	struct passwd *pw;
	char *end;
	unsigned long id;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && name[0] >= '0' && name[0] <= '9') {
		/* a number with no such name: the uid itself */
		id = strtoul(name, &end, 10);
		if (!*end && id < (uid_t)-1)
			pw = getpwuid((uid_t)id);
	}
	if (!pw) {
		fprintf(stderr, "remaptrace: -u: unknown user '%s'%s%s\n",
			name, errno ? ": " : "", errno ? strerror(errno) : "");
		return -ENOENT;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "remaptrace: -u %s: only root can run the "
			"program as another user (remaptrace runs as uid "
			"%u)\n", name, (unsigned int)geteuid());
		return -EPERM;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	return 0;
}

static int
exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RT_FAILURE;
}

/*
 * Every emulated call is a ping-pong of wake-ups between the supervisor
 * and the calling thread (answer, stops, resume); across CPUs each costs
 * several microseconds on small VMs, on one CPU much less (measured: 90
 * vs 47 us per 1-page call).  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP wakes the
 * answered thread on the supervisor's CPU, so keeping the supervisor on
 * one CPU keeps the pair together.  Only the supervisor's own affinity
 * changes (after the fork): the program sees its affinity untouched.
 */
static void
pin_supervisor(struct rt_ctx *ctx)
{
	cpu_set_t set;
	int cpu;

	if (ctx->opt.no_pin)
		return;
	cpu = sched_getcpu();
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == 0)
		ctx->cpu = cpu;
}

static int
run(struct rt_ctx *ctx, const struct cli *cl)
{
	struct rt_launch_user user;
	int r, exec_err = 0;

	r = setup(ctx, cl);
	if (r < 0)
		return EXIT_RT_FAILURE;
	if (rt_features_refuse(stderr))
		return EXIT_RT_FAILURE;
	if (cl->user && find_user(cl->user, &user) < 0)
		return EXIT_RT_FAILURE;
	r = rt_launch(ctx, cl->user ? &user : NULL, &exec_err);
	/*
	 * Nothing of the program's may reach into the supervisor: a program
	 * of the same user could otherwise ptrace it or take its listener
	 * with pidfd_getfd(2) (both need the target dumpable, or
	 * CAP_SYS_PTRACE).  Only now: the child it forks must be dumpable
	 * until its exec for an unprivileged remaptrace to seize it; the
	 * keeper, forked later, inherits it.  REMAPTRACE_DEBUGGABLE=1 keeps
	 * remaptrace dumpable, for whoever debugs remaptrace itself.
	 */
	if (!getenv("REMAPTRACE_DEBUGGABLE"))
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (r < 0) {
		/* -ECANCELED: launch.c said why (-u); -ENOSYS: the listener
		 * lacks a required feature (said). */
		if (r != -ECANCELED &&
		    (r != -ENOSYS || !rt_features_refuse(stderr)))
			fprintf(stderr, "remaptrace: cannot start '%s' under the "
				"filter: %s%s\n", ctx->opt.argv[0],
				strerror(-r), r == -EINVAL || r == -ENOSYS ?
				" (seccomp user notification needs Linux 5.0 "
				"or later)" : "");
		if (ctx->tr.child > 0) {
			kill(ctx->tr.child, SIGKILL);
			waitpid(ctx->tr.child, NULL, __WALL);
		}
		return EXIT_RT_FAILURE;
	}
	if (exec_err) {
		waitpid(ctx->tr.child, NULL, __WALL);
		fprintf(stderr, "remaptrace: cannot run '%s': %s\n",
			ctx->opt.argv[0], strerror(exec_err));
		return exec_err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	/* -ff: every traced process has its file from the start, as
	 * strace opens one at each attach. */
	if (rt_sinks_per_process(ctx))
		rt_sinks_fd(ctx, ctx->tr.child);
	if (ctx->opt.kill_on_exit && ctx->listener >= 0 &&
	    rt_launch_keeper(ctx) < 0)
		fprintf(stderr, "remaptrace: --kill-on-exit: cannot start the "
			"listener keeper; the program may see ENOSYS if "
			"remaptrace is killed\n");
	pin_supervisor(ctx);
	r = rt_loop_run(ctx);
	if (r == -ECANCELED) {
		fprintf(stderr, "remaptrace: the program did not end within a "
			"second of %s: remaptrace lets go of it and exits "
			"(its later remap_file_pages calls fail with ENOSYS)\n",
			rt_names_signal(ctx->term_sig) ?: "the signal");
		return 128 + ctx->term_sig;
	}
	if (r < 0) {
		fprintf(stderr, "remaptrace: %s\n", strerror(-r));
		return EXIT_RT_FAILURE;
	}
	return ctx->tr.child_done ? exit_status(ctx->tr.child_status) :
				 EXIT_RT_FAILURE;
}

/*
 * The kernel features to use: REMAPTRACE_DISABLE first (a name it does not
 * know is an error), then a probe of each.  Returns 0 or an exit status.
 */
static int
features_start(void)
{
	if (rt_features_init(getenv("REMAPTRACE_DISABLE")) < 0)
		return EXIT_RT_FAILURE;
	rt_features_detect();
	return 0;
}

int
main(int argc, char **argv)
{
	struct rt_opts opts = { .deny_errno = 0 };
	struct cli cl = { .user = NULL };
	int r, i;

	if (argc > 1 && !strcmp(argv[1], "explain"))
		return features_start() ?: rt_explain_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], RT_LAUNCH_HELPER))
		return features_start() ?: rt_launch_helper_main(argc, argv);
	r = parse_args(&opts, &cl, argc, argv);
	if (r >= 0)
		return r;
	/* No agent code for this architecture (rt_arch.h): the ptrace way,
	 * as --no-agent would have it (said under -v, run()). */
	if (!rt_arch_native.has_agent)
		opts.no_agent = true;
	r = features_start();
	if (r)
		return r;

	/* The options are fixed from here on. */
	struct rt_ctx ctx = { .opt = opts, .listener = -1, .sigfd = -1,
			      .tr.child = -1, .tr.keeper = -1, .cpu = -1,
			      .epfd = -1, .out.cmd_pidfd = -1 };

	for (i = 0; i < RT_INSTALL_RECS; i++)
		ctx.tr.inherit.rec[i].keyfd = -1;
	ctx.stats.bd.on = getenv("REMAPTRACE_BREAKDOWN") &&
			  strcmp(getenv("REMAPTRACE_BREAKDOWN"), "0");
	/* Tests only: SIGKILL the agent right after its Nth request. */
	if (getenv("REMAPTRACE_TEST_KILL_AGENT"))
		ctx.tr.agents.kill_at =
			strtoul(getenv("REMAPTRACE_TEST_KILL_AGENT"), NULL, 10);
	r = run(&ctx, &cl);
	if (ctx.stats.bd.on && ctx.out.log)
		print_breakdown(&ctx);
	if (ctx.opt.summary && ctx.out.log) {
		rt_summary_print(&ctx);
		rt_report_flush(&ctx);	/* a failed write is reported */
	}
	rt_summary_free(&ctx);
	cleanup(&ctx);
	/* A log that could not be written fails a run that otherwise
	 * succeeded; any other status of the program's says more. */
	if (r == 0 && ctx.out.log_err)
		r = EXIT_RT_FAILURE;
	return r;
}
