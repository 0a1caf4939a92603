/* t-atk-race.c - an agent started while another thread's change of
 * confinement is still running must not outlive it with the old rights.
 *
 * remaptrace lets the kernel run a call that confines the program only
 * once the program's agent is gone.  The kernel may take its time over
 * the call: here thread A's seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) reads
 * its filter from a page that userfaultfd holds back, so the call stays
 * in the kernel, filter not yet installed, for as long as the test wants.
 * Meanwhile thread B remaps (an agent may start for those calls), then
 * lets A's call finish, then remaps again.  An agent started in that
 * window would keep the filter count of before: an unconfined process
 * that shares the program's memory.
 *
 * Usage: t-atk-race [tsync | prctl-hi | x32] (as root: userfaultfd for
 * a kernel access)
 *   tsync     (the default) as above
 *   prctl-hi  after some remaps, prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN)
 *             and prctl(PR_SET_NO_NEW_PRIVS), each with garbage in the
 *             upper half of the option, which the kernel reads as an
 *             int: a filter comparing 64 bits would not hear them
 *   x32       after some remaps, setresuid(-1, -1, -1) through the x32
 *             ABI (x86_64 only; ENOSYS where the kernel has no x32): a
 *             change, whichever ABI makes it; prints "x32: RESULT"
 * Prints "seccomp: RESULT" (tsync) or "prctl: RESULT RESULT" (prctl-hi),
 * "remaps: N failed", and "escaped: N": the processes that share this
 * program's memory (kcmp KCMP_VM) with fewer seccomp filters, a larger
 * capability bounding set, or without no_new_privs where it has it
 * (natively, none).  Exit 0 when the scenario ran, 1 on setup failure,
 * 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t-held.h"

static long pg;
static long seccomp_r;
static int seccomp_errno;

static void
die(const char *what)
{
	fprintf(stderr, "t-atk-race: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
confine(void *arg)
{
	/* The filter program's header is on the held page (@arg). */
	seccomp_r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_TSYNC, arg);
	seccomp_errno = errno;
	return NULL;
}

/* What confines a process, from /proc/PID/status. */
struct confinement {
	int filters, nnp;
	unsigned long long capbnd;
};

static int
confinement(pid_t pid, struct confinement *c)
{
	char path[64], line[256];
	int seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		seen += sscanf(line, "Seccomp_filters: %d", &c->filters) +
			sscanf(line, "NoNewPrivs: %d", &c->nnp) +
			sscanf(line, "CapBnd: %llx", &c->capbnd);
	fclose(f);
	return seen == 3 ? 0 : -1;
}

/* Processes sharing our memory, less confined than we are. */
static int
escaped(void)
{
	pid_t self = getpid();
	struct confinement mine, its;
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d || confinement(self, &mine))
		die("/proc");
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0 || pid == self ||
		    syscall(SYS_kcmp, self, pid, KCMP_VM, 0, 0) != 0 ||
		    confinement(pid, &its))
			continue;
		n += its.filters < mine.filters ||
		     (its.capbnd & ~mine.capbnd) || its.nnp < mine.nnp;
	}
	closedir(d);
	return n;
}

/* prctl-hi: the options with a high half the kernel ignores. */
static int
prctl_hi(void)
{
	/* (a 32-bit register has no upper half) */
#if ULONG_MAX > 0xffffffffUL
	const unsigned long hi = 1UL << 32;
#else
	const unsigned long hi = 0;
#endif
	long r1, r2;
	int failed = 0, i;
	char *area;

	area = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	for (i = 0; i < 8; i++)
		failed += remap_file_pages(area, pg, 0, (size_t)(i % 2) + 1,
					   0) != 0;
	r1 = syscall(SYS_prctl, hi | PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
	r2 = syscall(SYS_prctl, hi | PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	for (i = 0; i < 8; i++)
		failed += remap_file_pages(area + pg, pg, 0,
					   (size_t)(i % 2) + 2, 0) != 0;
	printf("prctl: %ld %ld\n", r1, r2);
	printf("remaps: %d failed\n", failed);
	printf("escaped: %d\n", escaped());
	return 0;
}

/* x32: a change of credentials through the x32 ABI. */
static int
x32(void)
{
	char *area = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long r = -1;
	int i;

	if (area == MAP_FAILED)
		die("mmap");
	for (i = 0; i < 8; i++)
		remap_file_pages(area, pg, 0, (size_t)(i % 2) + 1, 0);
#if defined(__x86_64__) && defined(__LP64__)
	r = syscall(0x40000000 | 117, -1L, -1L, -1L);	/* setresuid */
#else
	errno = ENOSYS;
#endif
	printf("x32: %s\n", r == 0 ? "0" : strerrorname_np(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	static struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const size_t after[4][2] = { { 1, 2 }, { 1, 3 }, { 2, 3 },
					    { 1, 3 } };
	struct sock_fprog prog = { 1, allow };
	struct held_page h;
	char *area;
	pthread_t a;
	int i, failed = 0;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "tsync") &&
			 strcmp(argv[1], "prctl-hi") && strcmp(argv[1], "x32"))) {
		fprintf(stderr, "usage: t-atk-race [tsync | prctl-hi | x32]\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	if (argc == 2 && !strcmp(argv[1], "prctl-hi"))
		return prctl_hi();
	if (argc == 2 && !strcmp(argv[1], "x32"))
		return x32();
	area = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	held_open(&h, pg);
	a = held_call(&h, confine);
	/* A's call is in the kernel, waiting for the page. */
	for (i = 0; i < 4; i++)
		failed += remap_file_pages(area, pg, 0, (size_t)(i % 4), 0) != 0;
	held_give(&h, &prog, sizeof(prog));
	pthread_join(a, NULL);
	/* (each offset still mapped by another page: with filters of its
	 * own the program could not be made to open the memory anew) */
	for (i = 0; i < 4; i++)
		failed += remap_file_pages(area + after[i][0] * pg, pg, 0,
					   after[i][1], 0) != 0;
	printf("seccomp: %s\n", seccomp_r == 0 ? "0" :
	       strerrorname_np(seccomp_errno));
	printf("remaps: %d failed\n", failed);
	printf("escaped: %d\n", escaped());
	return 0;
}
