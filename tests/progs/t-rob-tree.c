/* t-rob-tree.c - remap_file_pages(2) from every kind of descendant: fork,
 * vfork, clone (with and without CLONE_VM), programs they exec, a thread
 * that execs, a chain of nested children, and an orphan that outlives the
 * first program.
 *
 * Usage: t-rob-tree [-x STATUS] MODE...
 *   fork         a forked child remaps in its copy of the window
 *   vfork        a vfork child remaps the parent's window, then _exit
 *   clone        clone(SIGCHLD) (a fork by raw clone) remaps
 *   clone-vm     clone(CLONE_VM|CLONE_VFORK) on its own stack remaps the
 *                shared window
 *   exec         a forked child execs this program as "leaf"
 *   thread-exec  a second thread execs this program as "leaf" (the
 *                process becomes the leaf; MODEs after it never run)
 *   exec-race    the main thread and a second thread remap without end;
 *                once both made 50 calls a third thread execs this
 *                program as "leaf" (the exec kills the callers, the main
 *                thread's id passes to the execing thread)
 *   exec-race-leader  two threads remap without end; once both made 50
 *                calls the main thread execs "leaf"
 *   deep N       a chain of N nested children, each remaps, then waits for
 *                the next
 *   orphan       a grandchild (named t-rob-orphan) waits until the first
 *                program and its own parent are gone (pipe EOF), then
 *                remaps 100 times and prints; it exits 3
 *   orphan-stdin the same, but the grandchild also waits for the end of
 *                standard input before it remaps
 *   kill-child   a forked child remaps without end; once it has made 10
 *                calls the parent kills it with SIGKILL (calls in
 *                flight), reaps it, and remaps itself
 *   stop-child   a forked child remaps without end; once it has made 10
 *                calls the parent stops it (SIGSTOP), sees it stopped
 *                with waitpid(WUNTRACED), continues it (SIGCONT), sees it
 *                continued (WCONTINUED), then ends it (SIGTERM) and reaps
 *                it, as a shell's job control does
 *   untraced N   N children, one after the other, started with
 *                clone(CLONE_UNTRACED) (never traced: remaptrace sees
 *                neither their start nor their end), each remaps in a
 *                window of its own; then this process remaps: "untraced:
 *                N of N children remapped", and its own result.  With
 *                T_TRACER_FDS set, the number of descriptors its tracer
 *                holds goes to standard error ("tracer descriptors: K"):
 *                what remaptrace kept of processes long gone
 *   untraced-exec  a child started with clone(CLONE_UNTRACED) remaps in
 *                its window, then execs this program as "leaf" (an exec
 *                remaptrace does not see: a new address space under the
 *                same pid)
 *   leaf         remap once and print (what exec runs)
 * Each mode prints "MODE: result 0 area TAGS" where TAGS are the file
 * pages seen through the window (a fresh 8-page memfd, 4-page window,
 * file page 5 moved to window page 0: "P0005 P0001 P0002 P0003"), and
 * the parent adds how its child ended.  Then exits STATUS (-x, default 0).
 * 1 on setup failure, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"


static long pg;
static const char *self;

/* A fresh tagged memfd and a window on its first pages. */
static char *
window(void)
{
	return tagged_window("t-rob-tree", pg);
}

static long
remap(char *win)
{
	return syscall(SYS_remap_file_pages, win, pg, 0, 5, 0) ? errno : 0;
}

static void
show(const char *who, long err, const char *win)
{
	if (err)
		printf("%s: result -1 %s area", who, strerrorname_np(err));
	else
		printf("%s: result 0 area", who);
	for (int i = 0; i < WIN_PAGES; i++)
		printf(" %.5s", win + i * pg);
	printf("\n");
	fflush(stdout);
}

static void
leaf(const char *who)
{
	char *win = window();

	show(who, remap(win), win);
}

static void
reap(const char *who, pid_t pid)
{
	int st;

	if (waitpid(pid, &st, __WALL) != pid)
		die("waitpid");
	if (WIFEXITED(st))
		printf("%s: child exited %d\n", who, WEXITSTATUS(st));
	else
		printf("%s: child killed by SIG%s\n", who,
		       sigabbrev_np(WTERMSIG(st)));
	fflush(stdout);
}

static void
do_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		leaf("fork");
		_exit(0);
	}
	reap("fork", pid);
}

static void
do_vfork(void)
{
	char *win = window();
	volatile long err = -1;
	pid_t pid;

	pid = vfork();
	if (pid < 0)
		die("vfork");
	if (pid == 0) {
		/* shares our memory until _exit: only the call itself */
		err = remap(win);
		_exit(4);
	}
	show("vfork", err, win);
	reap("vfork", pid);
}

static void
do_clone(void)
{
	pid_t pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);

	if (pid < 0)
		die("clone");
	if (pid == 0) {
		leaf("clone");
		_exit(5);
	}
	reap("clone", pid);
}

static int
untraced_child(void *arg)
{
	char *win = window();

	(void)arg;
	return remap(win) == 0 && !memcmp(win, "P0005", 5) ? 0 : 1;
}

/* How many descriptors our tracer holds, where we may look (root). */
static void
tracer_fds(void)
{
	char path[64], line[256];
	unsigned long long tracer = 0;
	struct dirent *de;
	int n = 0;
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %llu", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	if (!tracer)
		return;
	snprintf(path, sizeof(path), "/proc/%llu/fd", tracer);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	fprintf(stderr, "tracer descriptors: %d\n", n);
}

static int
untraced_exec_child(void *arg)
{
	(void)arg;
	leaf("untraced-exec");
	execl(self, self, "leaf", (char *)NULL);
	die("execl");
}

static void
do_untraced_exec(void)
{
	static char stack[65536];
	pid_t pid = clone(untraced_exec_child, stack + sizeof(stack),
			  CLONE_UNTRACED | SIGCHLD, NULL);

	if (pid < 0)
		die("clone");
	reap("untraced-exec", pid);
}

static void
do_untraced(int n)
{
	static char stack[65536];
	int i, ok = 0, st;

	for (i = 0; i < n; i++) {
		pid_t pid = clone(untraced_child, stack + sizeof(stack),
				  CLONE_UNTRACED | SIGCHLD, NULL);

		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			die("untraced child");
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	printf("untraced: %d of %d children remapped\n", ok, n);
	leaf("untraced");
	if (getenv("T_TRACER_FDS"))
		tracer_fds();
}

static char *clone_win;
static volatile long clone_err = -1;

static int
clone_vm_child(void *arg)
{
	(void)arg;
	clone_err = remap(clone_win);
	return 6;
}

static void
do_clone_vm(void)
{
	size_t sz = 256 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;

	if (stack == MAP_FAILED)
		die("mmap stack");
	clone_win = window();
	pid = clone(clone_vm_child, stack + sz,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		die("clone");
	show("clone-vm", clone_err, clone_win);
	reap("clone-vm", pid);
}

static void
do_exec(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(self, self, "leaf", (char *)NULL);
		die("execl");
	}
	reap("exec", pid);
}

static void *
exec_thread(void *arg)
{
	(void)arg;
	execl(self, self, "leaf", (char *)NULL);
	die("execl");
}

static void
do_thread_exec(void)
{
	pthread_t t;

	if ((errno = pthread_create(&t, NULL, exec_thread, NULL)))
		die("pthread_create");
	pthread_join(t, NULL);	/* never returns: the exec ends us */
	die("thread-exec came back");
}

static char *race_win;
static long race_calls[2];

static void *
race_caller(void *arg)
{
	long id = (long)arg;

	for (long i = 0;; i++) {
		if (syscall(SYS_remap_file_pages, race_win + id * pg, pg, 0,
			    i % 8, 0))
			die("remap_file_pages");
		__atomic_store_n(&race_calls[id], i + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
race_wait(void)
{
	while (__atomic_load_n(&race_calls[0], __ATOMIC_RELAXED) < 50 ||
	       __atomic_load_n(&race_calls[1], __ATOMIC_RELAXED) < 50)
		sched_yield();
}

static void *
race_execer(void *arg)
{
	(void)arg;
	race_wait();
	execl(self, self, "leaf", (char *)NULL);
	die("execl");
}

static void
do_exec_race(bool leader_execs)
{
	pthread_t t;

	race_win = window();
	if ((errno = pthread_create(&t, NULL, race_caller, (void *)1L)))
		die("pthread_create");
	if (leader_execs) {
		if ((errno = pthread_create(&t, NULL, race_caller, (void *)0L)))
			die("pthread_create");
		race_execer(NULL);
	}
	if ((errno = pthread_create(&t, NULL, race_execer, NULL)))
		die("pthread_create");
	race_caller((void *)0L);
}

static void
do_deep(int level, int n)
{
	char who[32];
	pid_t pid;

	snprintf(who, sizeof(who), "deep %d", level);
	leaf(who);
	if (level == n)
		return;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		do_deep(level + 1, n);
		_exit(level + 1);
	}
	reap(who, pid);
}

static void
do_orphan(bool wait_stdin)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);	/* the middle one goes at once */
		close(p[1]);
		prctl(PR_SET_NAME, "t-rob-orphan");
		/* EOF once the first program has exited too */
		while (read(p[0], &c, 1) > 0)
			;
		while (wait_stdin && read(0, &c, 1) > 0)
			;
		char *win = window();
		long err = 0;

		for (int i = 0; i < 100 && !err; i++)
			err = remap(win);
		show("orphan", err, win);
		_exit(3);
	}
	close(p[0]);
	reap("orphan", pid);
	/* p[1] stays open until we exit */
}

/* A child that remaps without end; returned once it made ten calls. */
static pid_t
busy_child(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char *win = window();

		close(p[0]);
		for (long i = 0;; i++) {
			if (syscall(SYS_remap_file_pages, win, pg, 0, i % 8, 0))
				_exit(1);
			if (i == 9 && write(p[1], "r", 1) != 1)
				_exit(1);
		}
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("read");
	close(p[0]);
	return pid;
}

static void
do_kill_child(void)
{
	pid_t pid = busy_child();

	kill(pid, SIGKILL);
	reap("kill-child", pid);
	leaf("kill-child");
}

static void
do_stop_child(void)
{
	pid_t pid = busy_child();
	int st;

	kill(pid, SIGSTOP);
	if (waitpid(pid, &st, WUNTRACED) != pid)
		die("waitpid");
	if (WIFSTOPPED(st))
		printf("stop-child: child stopped by SIG%s\n",
		       sigabbrev_np(WSTOPSIG(st)));
	else
		printf("stop-child: child status %#x\n", st);
	fflush(stdout);
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, WCONTINUED) != pid)
		die("waitpid");
	printf("stop-child: child %s\n", WIFCONTINUED(st) ? "continued" :
	       "did not continue");
	fflush(stdout);
	kill(pid, SIGTERM);
	reap("stop-child", pid);
}

int
main(int argc, char **argv)
{
	int status = 0, opt;

	pg = sysconf(_SC_PAGESIZE);
	self = "/proc/self/exe";
	while ((opt = getopt(argc, argv, "+x:")) != -1) {
		if (opt != 'x')
			goto usage;
		status = atoi(optarg);
	}
	if (optind >= argc)
		goto usage;
	for (int i = optind; i < argc; i++) {
		const char *m = argv[i];

		if (!strcmp(m, "fork"))
			do_fork();
		else if (!strcmp(m, "vfork"))
			do_vfork();
		else if (!strcmp(m, "clone"))
			do_clone();
		else if (!strcmp(m, "clone-vm"))
			do_clone_vm();
		else if (!strcmp(m, "exec"))
			do_exec();
		else if (!strcmp(m, "thread-exec"))
			do_thread_exec();
		else if (!strcmp(m, "exec-race"))
			do_exec_race(false);
		else if (!strcmp(m, "exec-race-leader"))
			do_exec_race(true);
		else if (!strcmp(m, "orphan"))
			do_orphan(false);
		else if (!strcmp(m, "orphan-stdin"))
			do_orphan(true);
		else if (!strcmp(m, "kill-child"))
			do_kill_child();
		else if (!strcmp(m, "stop-child"))
			do_stop_child();
		else if (!strcmp(m, "leaf"))
			leaf("leaf");
		else if (!strcmp(m, "deep") && i + 1 < argc)
			do_deep(1, atoi(argv[++i]));
		else if (!strcmp(m, "untraced-exec"))
			do_untraced_exec();
		else if (!strcmp(m, "untraced") && i + 1 < argc)
			do_untraced(atoi(argv[++i]));
		else
			goto usage;
	}
	return status;
usage:
	fprintf(stderr, "usage: t-rob-tree [-x STATUS] fork|vfork|clone|"
		"clone-vm|exec|thread-exec|exec-race|exec-race-leader|deep N|orphan|"
		"orphan-stdin|kill-child|stop-child|untraced N|untraced-exec|"
		"leaf...\n");
	return 2;
}
