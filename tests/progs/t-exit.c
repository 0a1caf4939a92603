/* t-exit.c - ends in a chosen way after valid remap_file_pages(2) calls,
 * for the command-line tests (exit status, death by signal, logging).
 *
 * Usage: t-exit code N      one call, then exit(N)
 *        t-exit signal N    one call, then die by signal N (default action)
 *        t-exit calls N     N calls, then exit(0)
 *        t-exit pid         print "pid <own pid>" on stdout, one call, exit 0
 * A call that fails is reported on stderr and exits 3.  Bad usage exits 2.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: t-exit code N | signal N | calls N | pid\n");
	exit(2);
}

/* Map a 2-page memfd shared and swap its pages around @n times. */
static void
remap_calls(long n)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("t-exit", MFD_CLOEXEC);
	char *p;

	if (fd < 0 || ftruncate(fd, 2 * pg)) {
		perror("t-exit: memfd");
		exit(3);
	}
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("t-exit: mmap");
		exit(3);
	}
	close(fd);
	for (long i = 0; i < n; i++) {
		if (syscall(SYS_remap_file_pages, p, pg, 0, (i + 1) % 2, 0)) {
			fprintf(stderr, "t-exit: remap_file_pages: %s\n",
				strerror(errno));
			exit(3);
		}
	}
}

static long
number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

static void
die_by(int sig)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t set;

	/* no core file for SIGSEGV and friends; the default action kills */
	setrlimit(RLIMIT_CORE, &no_core);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	fprintf(stderr, "t-exit: still alive after signal %d\n", sig);
	exit(4);
}

int
main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "pid")) {
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
		remap_calls(1);
		return 0;
	}
	if (argc != 3)
		usage();
	if (!strcmp(argv[1], "code")) {
		long code = number(argv[2]);

		remap_calls(1);
		exit((int)code);
	}
	if (!strcmp(argv[1], "signal")) {
		long sig = number(argv[2]);

		remap_calls(1);
		die_by((int)sig);
	}
	if (!strcmp(argv[1], "calls")) {
		remap_calls(number(argv[2]));
		return 0;
	}
	usage();
}
