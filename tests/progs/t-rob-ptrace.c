/* t-rob-ptrace.c - a program that traces its own child, as debuggers,
 * sandboxes and record/replay tools do, while the child calls
 * remap_file_pages(2).
 *
 * Usage: t-rob-ptrace seize|attach|traceme
 *   seize    the parent PTRACE_SEIZEs the child
 *   attach   the parent PTRACE_ATTACHes the child
 *   traceme  the child asks for it with PTRACE_TRACEME, then stops itself
 * Once traced, the child remaps file page 5 into its window and prints
 * what it sees; the parent resumes every stop (passing real signals on)
 * until the child exits.  Prints "parent: MODE ok" or "parent: MODE
 * ENAME" (the ptrace request's result; "child: traceme ..." for
 * traceme), the child's line and "parent: child exited N".  Exit 0 when the program ran, 1 on setup
 * failure, 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"


static void
child_call(void)
{
	long pg = sysconf(_SC_PAGESIZE), r;
	char *win = tagged_window("t-rob-ptrace", pg);

	r = syscall(SYS_remap_file_pages, win, pg, 0, 5, 0);
	if (r)
		printf("child: result -1 %s area", strerrorname_np(errno));
	else
		printf("child: result 0 area");
	for (int i = 0; i < WIN_PAGES; i++)
		printf(" %.5s", win + i * pg);
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	const char *mode;
	int p[2], st;
	long r = 0;
	pid_t pid;
	char c;

	if (argc != 2 || (strcmp(argv[1], "seize") &&
			  strcmp(argv[1], "attach") &&
			  strcmp(argv[1], "traceme"))) {
		fprintf(stderr, "usage: t-rob-ptrace seize|attach|traceme\n");
		return 2;
	}
	mode = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(p))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(p[1]);
		if (!strcmp(mode, "traceme")) {
			r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			printf("child: traceme %s\n",
			       r ? strerrorname_np(errno) : "ok");
			fflush(stdout);
			raise(SIGSTOP);
		} else if (read(p[0], &c, 1) != 1) {
			_exit(1);	/* the parent has attached */
		}
		child_call();
		_exit(0);
	}
	close(p[0]);
	if (!strcmp(mode, "seize"))
		r = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
	else if (!strcmp(mode, "attach"))
		r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	if (strcmp(mode, "traceme"))
		printf("parent: %s %s\n", mode, r ? strerrorname_np(errno) :
		       "ok");
	if (write(p[1], "g", 1) != 1)
		die("write");
	for (;;) {
		if (waitpid(pid, &st, __WALL) != pid)
			die("waitpid");
		if (WIFEXITED(st)) {
			printf("parent: child exited %d\n", WEXITSTATUS(st));
			break;
		}
		if (WIFSIGNALED(st)) {
			printf("parent: child killed by SIG%s\n",
			       sigabbrev_np(WTERMSIG(st)));
			break;
		}
		/* our own attach and the child's own SIGSTOP are not passed */
		int sig = WSTOPSIG(st);

		ptrace(PTRACE_CONT, pid, NULL,
		       (void *)(long)(sig == SIGSTOP || sig == SIGTRAP ?
				      0 : sig));
	}
	return 0;
}
