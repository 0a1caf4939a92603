/* t-agent.c - what a program can see of remaptrace's agent, printed so
 * that a native run and a run under remaptrace compare line by line.
 *
 * Usage: t-agent MODE CALLS
 *   seen  CALLS remaps of a 4-page window of an 8-page memfd, each checked
 *         through the window; then one line:
 *         "calls=N wrong=W threads=T wait=E sigchld=S fds=same"
 *         threads: /proc/self/status Threads; wait: what waitpid(-1,
 *         WNOHANG) gives ("ECHILD": no child it can wait for); sigchld:
 *         SIGCHLDs received; fds: the descriptor table before the first
 *         call against after the last ("same" or "changed").
 *   kill  as seen, but half-way through SIGKILLs every process whose
 *         parent it is (under remaptrace: its agent, as anything outside
 *         might), then makes the other half of the calls.
 *   exec  CALLS calls, then execs itself as "seen CALLS".
 *   filtered  as seen, under a seccomp filter of its own (allow all).
 * Exit 0 (the line tells), 1 on setup failure, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"

static volatile sig_atomic_t sigchld;
static long pg;

static void
on_chld(int sig)
{
	(void)sig;
	sigchld++;
}

/* "N:target" for every descriptor, into buf. */
static void
fd_table(char *buf, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t used = 0;
	char path[300], target[256];
	ssize_t n;
	int self;

	buf[0] = '\0';
	if (!d)
		die("opendir");
	self = dirfd(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		used += snprintf(buf + used, used < len ? len - used : 0,
				 "%s:%s ", e->d_name, target);
	}
	closedir(d);
}

static int
threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* SIGKILL every process whose parent we are. */
static void
kill_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char name[64], state;
	pid_t pid, ppid;

	while (d && (e = readdir(d))) {
		pid = atoi(e->d_name);
		if (pid > 0 && stat_of(pid, name, sizeof(name), &state,
				       &ppid) == 0 && ppid == getpid())
			kill(pid, SIGKILL);
	}
	if (d)
		closedir(d);
}

static long
remaps(char *win, long from, long calls, int *model)
{
	long wrong = 0;
	char t[8];

	for (long i = from; i < from + calls; i++) {
		int j = (int)(i % WIN_PAGES), f = (int)((i * 3 + 1) % FILE_PAGES);

		if (syscall(SYS_remap_file_pages, win + j * pg, pg, 0, f, 0))
			die("remap_file_pages");
		model[j] = f;
		for (int p = 0; p < WIN_PAGES; p++) {
			snprintf(t, sizeof(t), "P%04d", model[p]);
			wrong += memcmp(win + p * pg, t, 5) != 0;
		}
	}
	return wrong;
}

int
main(int argc, char **argv)
{
	static char before[8192], after[8192];
	int model[WIN_PAGES], st;
	long calls, wrong;
	struct sigaction sa = { .sa_handler = on_chld };
	const char *wait_says;
	char *win;

	if (argc != 3 || (calls = atol(argv[2])) < 1 ||
	    (strcmp(argv[1], "seen") && strcmp(argv[1], "kill") &&
	     strcmp(argv[1], "exec") && strcmp(argv[1], "filtered"))) {
		fprintf(stderr, "usage: t-agent seen|kill|exec|filtered "
			"CALLS\n");
		return 2;
	}
	if (!strcmp(argv[1], "filtered")) {
		struct sock_filter allow =
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { .len = 1, .filter = &allow };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			die("seccomp");
	}
	pg = sysconf(_SC_PAGESIZE);
	sigaction(SIGCHLD, &sa, NULL);
	win = tagged_window("t-agent", pg);
	for (int p = 0; p < WIN_PAGES; p++)
		model[p] = p;
	fd_table(before, sizeof(before));

	if (!strcmp(argv[1], "exec")) {
		remaps(win, 0, calls, model);
		execl("/proc/self/exe", argv[0], "seen", argv[2], (char *)NULL);
		die("exec");
	}
	if (!strcmp(argv[1], "kill")) {
		wrong = remaps(win, 0, calls / 2, model);
		kill_children();
		wrong += remaps(win, calls / 2, calls - calls / 2, model);
	} else {
		wrong = remaps(win, 0, calls, model);
	}
	fd_table(after, sizeof(after));
	errno = 0;
	wait_says = waitpid(-1, &st, WNOHANG) < 0 ? strerrorname_np(errno) :
						     "a child";
	printf("calls=%ld wrong=%ld threads=%d wait=%s sigchld=%d fds=%s\n",
	       calls, wrong, threads(), wait_says, (int)sigchld,
	       strcmp(before, after) ? "changed" : "same");
	return 0;
}
