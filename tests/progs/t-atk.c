/* t-atk.c - a hostile traced program: it attacks what remaptrace leaves
 * in its reach.  The tests judge from outside (/proc, files), never from
 * what this program claims; it prints only what it did.
 *
 * Usage: t-atk MODE CALLS
 *   steal  CALLS remaps (so that an agent exists), then pidfd_getfd() of
 *          descriptors 0-63 of every child process: prints "stolen
 *          listeners: N", then "ready PID", waits for end of file on
 *          standard input, makes one more remap and prints "after: R".
 *   stop   CALLS remaps, SIGSTOP to every child process (the agent), then
 *          CALLS more: prints "calls=N failed=F".
 *   drop   (root) CALLS remaps, then drops to nobody (setgroups,
 *          setresgid, setresuid: capabilities go with it); "ready PID",
 *          waits for a line on standard input, makes CALLS more remaps,
 *          "ready PID" again and waits for end of file.
 *   drop32 as drop, but the drop is made through the i386 ABI (int 0x80:
 *          setgroups32, setresgid32, setresuid32) from this 64-bit program.
 *   nodump CALLS remaps, prctl(PR_SET_DUMPABLE, 0), CALLS more: prints
 *          "failed=F".
 *   ignore-term  ignores SIGTERM, CALLS remaps, "ready PID", then waits
 *          for end of file on standard input.
 * Exit 0, 1 on setup failure, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG		4096
#define NOBODY		65534

static char *win;

static void
die(const char *what)
{
	fprintf(stderr, "t-atk: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A 4-page window of an 8-page memfd, file page p tagged p. */
static void
set_up(void)
{
	int fd = memfd_create("t-atk", 0);
	int p;

	if (fd < 0 || ftruncate(fd, 8 * PG) < 0)
		die("memfd");
	for (p = 0; p < 8; p++)
		if (pwrite(fd, &p, sizeof(p), (off_t)p * PG) != sizeof(p))
			die("pwrite");
	win = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (win == MAP_FAILED)
		die("mmap");
	close(fd);
}

/* @n remaps, each checked: returns how many failed or showed wrong. */
static int
remaps(int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		int pg = (i % 7) + 1;

		if (remap_file_pages(win, PG, 0, pg, 0) < 0 ||
		    *(int *)win != pg)
			bad++;
	}
	return bad;
}

/* Children of this process, as /proc/self/task/TID/children says. */
static int
children(pid_t *out, int max)
{
	char path[64], buf[4096];
	int n = 0, fd;
	ssize_t len;
	char *p, *end;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		 (int)getpid());
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (p = buf; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

static int
steal(void)
{
	pid_t kids[17];
	int n = children(kids, 16), i, fd, got = 0;

	kids[n++] = getppid();	/* remaptrace itself */

	for (i = 0; i < n; i++) {
		int pidfd = syscall(SYS_pidfd_open, kids[i], 0);

		if (pidfd < 0)
			continue;
		for (fd = 0; fd < 64; fd++) {
			char link[64], what[128];
			int mine = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
			ssize_t l;

			if (mine < 0)
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", mine);
			l = readlink(link, what, sizeof(what) - 1);
			if (l > 0) {
				what[l] = '\0';
				if (strstr(what, "seccomp"))
					got++;
			}
			close(mine);
		}
		close(pidfd);
	}
	return got;
}

static void
wait_line(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

static void
wait_eof(void)
{
	char c;

	while (read(0, &c, 1) == 1)
		;
}

static void
drop64(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		die("drop");
}

/* The same through int 0x80: a 64-bit program may use the i386 ABI. */
static void
drop32(void)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile ("int $0x80" : "=a"(r)
			  : "a"(206L), "b"(0L), "c"(0L) : "memory");
	if (r == 0)
		__asm__ volatile ("int $0x80" : "=a"(r)
				  : "a"(210L), "b"((long)NOBODY),
				    "c"((long)NOBODY), "d"((long)NOBODY)
				  : "memory");
	if (r == 0)
		__asm__ volatile ("int $0x80" : "=a"(r)
				  : "a"(208L), "b"((long)NOBODY),
				    "c"((long)NOBODY), "d"((long)NOBODY)
				  : "memory");
	if (r != 0) {
		errno = (int)-r;
		die("drop through int 0x80");
	}
#else
	drop64();
#endif
}

int
main(int argc, char **argv)
{
	int calls;

	if (argc != 3 || (calls = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: t-atk steal|stop|drop|drop32|nodump|ignore-term CALLS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	set_up();
	if (!strcmp(argv[1], "steal")) {
		int bad = remaps(calls);

		printf("stolen listeners: %d\n", steal());
		printf("ready %d\n", (int)getpid());
		wait_eof();
		printf("after: %d\n", bad + remaps(1));
	} else if (!strcmp(argv[1], "stop")) {
		pid_t kids[16];
		int bad = remaps(calls), n = children(kids, 16), i;

		for (i = 0; i < n; i++)
			kill(kids[i], SIGSTOP);
		bad += remaps(calls);
		printf("calls=%d failed=%d\n", 2 * calls, bad);
	} else if (!strcmp(argv[1], "drop") || !strcmp(argv[1], "drop32")) {
		int bad = remaps(calls);

		if (argv[1][4])
			drop32();
		else
			drop64();
		printf("ready %d\n", (int)getpid());
		wait_line();
		bad += remaps(calls);
		printf("ready %d\n", (int)getpid());
		wait_eof();
		printf("failed=%d\n", bad);
	} else if (!strcmp(argv[1], "nodump")) {
		int bad = remaps(calls);

		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			die("prctl");
		bad += remaps(calls);
		printf("failed=%d\n", bad);
	} else if (!strcmp(argv[1], "ignore-term")) {
		int bad;

		signal(SIGTERM, SIG_IGN);
		bad = remaps(calls);
		printf("ready %d\n", (int)getpid());
		wait_eof();
		printf("failed=%d\n", bad);
	} else {
		fprintf(stderr, "t-atk: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
