/* t-rob-reaper.c - run a command as a child subreaper, to see what becomes
 * of the processes it leaves behind (remaptrace's tracees when remaptrace
 * dies, or any process still alive when it exits).
 *
 * Usage: t-rob-reaper COMMAND [ARG]...
 * Runs COMMAND; when it ends, prints on stderr
 *   "reaper: first exited N" or "reaper: first killed by SIGX"
 *   "reaper: left alive: NAME NAME..." (processes reparented to us that
 *    had not exited yet), or "reaper: left alive: none"
 * then waits for those and prints, one line each as they end,
 *   "reaper: orphan NAME exited N" or "reaper: orphan NAME killed by SIGX".
 * Exit 0, or 1 when COMMAND could not be started, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"

static void
describe(const char *who, int st)
{
	if (WIFEXITED(st))
		fprintf(stderr, "reaper: %s exited %d\n", who,
			WEXITSTATUS(st));
	else
		fprintf(stderr, "reaper: %s killed by SIG%s\n", who,
			sigabbrev_np(WTERMSIG(st)));
}

static void
list_left(void)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	fprintf(stderr, "reaper: left alive:");
	while ((de = readdir(d))) {
		char name[64], state;
		pid_t pid = atoi(de->d_name), ppid;

		if (pid <= 0 || stat_of(pid, name, sizeof(name), &state,
					&ppid) || ppid != getpid() ||
		    state == 'Z' || state == 'X')
			continue;
		fprintf(stderr, " %s", name);
		found = 1;
	}
	closedir(d);
	fprintf(stderr, "%s\n", found ? "" : " none");
}

int
main(int argc, char **argv)
{
	char name[64], state, who[96];
	pid_t first, pid, ppid;
	int st;

	if (argc < 2) {
		fprintf(stderr, "usage: t-rob-reaper COMMAND [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("t-rob-reaper: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	first = fork();
	if (first < 0) {
		perror("t-rob-reaper: fork");
		return 1;
	}
	if (first == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "t-rob-reaper: %s: %s\n", argv[1],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(first, &st, 0) != first) {
		perror("t-rob-reaper: waitpid");
		return 1;
	}
	describe("first", st);
	list_left();
	for (;;) {
		/* name it before it is gone */
		siginfo_t si = { .si_pid = 0 };

		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0)
			break;
		pid = si.si_pid;
		if (stat_of(pid, name, sizeof(name), &state, &ppid))
			snprintf(name, sizeof(name), "?");
		if (waitpid(pid, &st, 0) != pid)
			break;
		snprintf(who, sizeof(who), "orphan %s", name);
		describe(who, st);
	}
	return 0;
}
