/* t-atk-reuse.c - nothing remaptrace learns of a process it does not
 * trace may follow that process's id to a traced one.
 *
 * A process started with clone(CLONE_UNTRACED) is outside the traced
 * tree but under its seccomp filter.  It (self), or a traced process of
 * another user that may not touch it (other), makes a call remaptrace
 * hears of: a change of credentials, or a prlimit64 the kernel refuses.
 * The process is killed, and its id given to a new traced child
 * (ns_last_pid), which remaps shared anonymous memory 20 times.
 *
 * Usage: t-atk-reuse self | other (as root: ns_last_pid, setresuid)
 * Prints "reused: yes" once the child has the id, then "remaps: N
 * failed" (natively 0).  Exit 0 when the scenario ran, 1 on setup
 * failure (the id never came back in 50 forks), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[65536];
static int ready[2];
static int self;

static void
die(const char *what)
{
	fprintf(stderr, "t-atk-reuse: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The untraced process: its call, then it waits to be killed. */
static int
untraced(void *arg)
{
	(void)arg;
	if (self)
		syscall(SYS_setresuid, -1, -1, -1);	/* heard of */
	if (write(ready[1], "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
	return 0;
}

/* The traced child that has the id now. */
static void
remaps(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int failed = 0, i;
	char *a;

	a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		_exit(1);
	for (i = 0; i < 20; i++)
		failed += remap_file_pages(a, pg, 0, (size_t)(i % 3) + 1,
					   0) != 0;
	printf("reused: yes\nremaps: %d failed\n", failed);
	_exit(0);
}

int
main(int argc, char **argv)
{
	pid_t u, c;
	int st, tries;
	char ch;

	if (argc != 2 || (strcmp(argv[1], "self") && strcmp(argv[1], "other"))) {
		fprintf(stderr, "usage: t-atk-reuse self | other\n");
		return 2;
	}
	self = !strcmp(argv[1], "self");
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pipe(ready))
		die("pipe");
	u = clone(untraced, stack + sizeof(stack), CLONE_UNTRACED | SIGCHLD,
		  NULL);
	if (u < 0)
		die("clone");
	if (read(ready[0], &ch, 1) != 1)
		die("untraced");
	if (!self) {
		c = fork();
		if (c < 0)
			die("fork");
		if (c == 0) {
			static const struct rlimit none = { 0, 0 };

			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(1);
			/* refused: another user's process */
			_exit(syscall(SYS_prlimit64, u, RLIMIT_CORE, &none,
				      NULL) == 0);
		}
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			die("prlimit64 was not refused");
	}
	kill(u, SIGKILL);
	if (waitpid(u, &st, 0) != u)
		die("waitpid");
	/* Its id to a new traced process. */
	for (tries = 0; tries < 50; tries++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);

		if (fd < 0 || dprintf(fd, "%d", (int)u - 1) < 0)
			die("ns_last_pid");
		close(fd);
		c = fork();
		if (c < 0)
			die("fork");
		if (c == 0) {
			if (getpid() != u)
				_exit(3);
			remaps();
		}
		if (waitpid(c, &st, 0) != c)
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	fprintf(stderr, "t-atk-reuse: the id did not come back\n");
	return 1;
}
