/* t-priv-attach.c - a master whose worker tries to ptrace it, then the
 * master's own remap_file_pages(2): the attack on remaptrace's "let go of
 * a thread about to be traced" (tests/integration/60-privilege.bats).
 *
 * Usage: t-priv-attach attach|seize drop|same|nodump
 *   attach, seize  the worker's request: PTRACE_ATTACH or PTRACE_SEIZE of
 *                  its parent, the master
 *   drop           the worker first drops to nobody (setgroups, setresgid
 *                  and setresuid 65534): run as root, its request must
 *                  fail with EPERM
 *   same           the worker keeps the master's credentials: its request
 *                  succeeds; it stops the master once (the attach's
 *                  SIGSTOP, or PTRACE_INTERRUPT after a seize) and
 *                  detaches again
 *   nodump         as same, but the master made itself not dumpable
 *                  (PR_SET_DUMPABLE 0) first: a worker without
 *                  CAP_SYS_PTRACE gets EPERM
 * The master waits for the worker to exit, then remaps file page 5 over
 * page 0 of its window and prints what it sees.  Prints "worker: MODE
 * ok|ENAME", "worker: detach ok|ENAME" (same only), "master: worker
 * exited N" and "master: result ... area ...".  Exit 0 when the program
 * ran, 1 on setup failure, 2 on bad usage.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"

#define NOBODY 65534

/* Stop the master we trace once, then let go of it. */
static void
stop_and_detach(pid_t master, bool seized)
{
	int st;

	if (seized && ptrace(PTRACE_INTERRUPT, master, NULL, NULL))
		die("PTRACE_INTERRUPT");
	if (waitpid(master, &st, __WALL) != master)
		die("waitpid(master)");
	printf("worker: detach %s\n",
	       ptrace(PTRACE_DETACH, master, NULL, NULL) ?
	       strerrorname_np(errno) : "ok");
}

static void __attribute__((noreturn))
worker(pid_t master, bool seize, bool drop)
{
	long r;

	if (drop && (setgroups(0, NULL) ||
		     setresgid(NOBODY, NOBODY, NOBODY) ||
		     setresuid(NOBODY, NOBODY, NOBODY)))
		die("dropping to nobody");
	if (seize)
		r = ptrace(PTRACE_SEIZE, master, NULL, NULL);
	else
		r = ptrace(PTRACE_ATTACH, master, NULL, NULL);
	printf("worker: %s %s\n", seize ? "seize" : "attach",
	       r ? strerrorname_np(errno) : "ok");
	if (r == 0)
		stop_and_detach(master, seize);
	fflush(stdout);
	_exit(0);
}

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE), r;
	bool seize, drop, nodump;
	char *win;
	pid_t pid;
	int st;

	if (argc != 3 || (strcmp(argv[1], "attach") &&
			  strcmp(argv[1], "seize")) ||
	    (strcmp(argv[2], "drop") && strcmp(argv[2], "same") &&
	     strcmp(argv[2], "nodump"))) {
		fprintf(stderr, "usage: t-priv-attach attach|seize "
			"drop|same|nodump\n");
		return 2;
	}
	seize = !strcmp(argv[1], "seize");
	drop = !strcmp(argv[2], "drop");
	nodump = !strcmp(argv[2], "nodump");
	if (nodump && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		die("PR_SET_DUMPABLE");
	setvbuf(stdout, NULL, _IOLBF, 0);
	win = tagged_window("t-priv-attach", pg);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		worker(getppid(), seize, drop);
	/* A stop by the worker's attach interrupts this wait; it restarts. */
	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			die("waitpid");
	printf("master: worker exited %d\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	r = syscall(SYS_remap_file_pages, win, pg, 0, 5, 0);
	printf("master: result %s area", r ? strerrorname_np(errno) : "0");
	for (int i = 0; i < WIN_PAGES; i++)
		printf(" %.5s", win + i * pg);
	printf("\n");
	return 0;
}
