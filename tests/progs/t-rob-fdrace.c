/* t-rob-fdrace.c - remap_file_pages(2) in one thread while other threads
 * of the same process use the descriptor table: the kernel's call takes
 * no descriptor, so nothing another thread does with descriptors can
 * change what it maps, and nothing of it can show in the table.
 *
 * Usage: t-rob-fdrace fork N | dup2 N | closefrom N
 *   fork      a thread remaps without end while the main thread forks N
 *             children; each child compares its descriptor table with the
 *             one the process had before the calls began (a descriptor a
 *             call had open at the fork would be inherited: a leak)
 *   dup2      a thread makes N calls (file A, tags A0..A7), each checked;
 *             meanwhile the main thread dup2()s file B onto the lowest
 *             free descriptor number and closes it again, over and over
 *   closefrom a thread makes N calls, each checked; meanwhile the main
 *             thread closes every descriptor from the lowest free number
 *             up (none of which the program uses) with close_range(2),
 *             over and over
 * Prints "fork: children=N inherited=K" (K children saw another table;
 * the first one's extra descriptors follow as "extra: FD -> TARGET") or
 * "MODE: calls=N fails=F wrong=W" (F followed by the first errno's name
 * when not 0).
 * Exit 0 when all went right, 1 otherwise or on setup failure, 2 on bad
 * usage.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_PAGES	8
#define WIN_PAGES	4
#define MAX_FDS		64

static long pg;
static char *win;
static long ncalls;
static int stop;		/* atomic */

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "t-rob-fdrace: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
tagged_memfd(const char *name, char tag)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg))
		die("memfd");
	for (int p = 0; p < FILE_PAGES; p++) {
		char t[4] = { tag, (char)('0' + p) };

		if (pwrite(fd, t, 2, p * pg) != 2)
			die("pwrite");
	}
	return fd;
}

/* Targets of descriptors 0..MAX_FDS-1, "" where closed. */
static void
fd_table(char tab[MAX_FDS][PATH_MAX])
{
	for (int fd = 0; fd < MAX_FDS; fd++) {
		char path[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, tab[fd], PATH_MAX - 1);
		tab[fd][n > 0 ? n : 0] = '\0';
	}
}

static void *
endless(void *arg)
{
	(void)arg;
	for (long i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++)
		if (syscall(SYS_remap_file_pages, win, pg, 0, i % 8, 0))
			die("remap_file_pages");
	return NULL;
}

static char before[MAX_FDS][PATH_MAX], after[MAX_FDS][PATH_MAX];

static int
do_fork(long n)
{
	long inherited = 0;
	int p[2], first = 1;
	pthread_t t;

	if (pipe(p))
		die("pipe");
	fd_table(before);	/* the pipe is part of it */
	if ((errno = pthread_create(&t, NULL, endless, NULL)))
		die("pthread_create");
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		char c;

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			c = 'o';
			fd_table(after);
			for (int fd = 0; fd < MAX_FDS; fd++)
				if (strcmp(before[fd], after[fd]))
					c = 'x';
			if (c == 'x' && first)
				for (int fd = 0; fd < MAX_FDS; fd++)
					if (strcmp(before[fd], after[fd]))
						printf("extra: %d -> %s\n", fd,
						       after[fd]);
			fflush(stdout);
			_exit(write(p[1], &c, 1) != 1);
		}
		if (read(p[0], &c, 1) != 1)
			die("read");
		if (c == 'x') {
			inherited++;
			first = 0;
		}
		waitpid(pid, NULL, 0);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("fork: children=%ld inherited=%ld\n", n, inherited);
	return inherited != 0;
}

struct checked {
	long calls, fails, wrong;
	int err;
};

static void *
checked_calls(void *arg)
{
	struct checked *ck = arg;

	for (long i = 0; i < ncalls; i++) {
		int f = (int)(i % FILE_PAGES);
		char want[2] = { 'A', (char)('0' + f) };

		ck->calls++;
		if (syscall(SYS_remap_file_pages, win, pg, 0, f, 0)) {
			if (!ck->fails++)
				ck->err = errno;
			continue;
		}
		if (memcmp(win, want, 2))
			ck->wrong++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int
do_meddle(const char *mode)
{
	bool by_dup2 = !strcmp(mode, "dup2");
	struct checked ck = { 0 };
	int b = by_dup2 ? tagged_memfd("t-rob-fdrace-B", 'B') : -1, low;
	pthread_t t;

	low = dup(0);		/* the lowest free number */
	if (low < 0)
		die("dup");
	close(low);
	if ((errno = pthread_create(&t, NULL, checked_calls, &ck)))
		die("pthread_create");
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (by_dup2) {
			if (dup2(b, low) == low)
				close(low);
		} else {
			/* nothing from here up is the program's */
			syscall(SYS_close_range, low, ~0U, 0);
		}
	}
	pthread_join(t, NULL);
	if (ck.fails)
		printf("%s: calls=%ld fails=%ld %s wrong=%ld\n", mode, ck.calls,
		       ck.fails, strerrorname_np(ck.err), ck.wrong);
	else
		printf("%s: calls=%ld fails=0 wrong=%ld\n", mode, ck.calls,
		       ck.wrong);
	return ck.fails || ck.wrong;
}

int
main(int argc, char **argv)
{
	int a;

	if (argc != 3)
		goto usage;
	ncalls = atol(argv[2]);
	if (ncalls < 1)
		goto usage;
	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	a = tagged_memfd("t-rob-fdrace-A", 'A');
	win = mmap(NULL, WIN_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   a, 0);
	if (win == MAP_FAILED)
		die("mmap");
	close(a);

	if (!strcmp(argv[1], "fork"))
		return do_fork(ncalls);
	if (!strcmp(argv[1], "dup2") || !strcmp(argv[1], "closefrom"))
		return do_meddle(argv[1]);
usage:
	fprintf(stderr, "usage: t-rob-fdrace fork|dup2|closefrom N\n");
	return 2;
}
