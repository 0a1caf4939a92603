/* t-rep-serve.c - a process with known mappings that waits on stdin, for
 * `remaptrace explain`: the test explains a call against it, then has it
 * make that very call natively, and compares the kernel's answer.
 *
 * Usage: t-rep-serve DIR [thread|many]
 *   Creates DIR/A and DIR/B (8 pages each) and maps, one after another
 *   in a reserved area:
 *     shared    4 pages of A, MAP_SHARED, read-write
 *     private   4 pages of A, MAP_PRIVATE
 *     rdonly    4 pages of A opened O_RDONLY, MAP_SHARED
 *     anon      4 pages of private anonymous memory
 *     twofiles  2 pages of A then 2 pages of B, both shared, adjacent
 *     prot      2 pages of A read-write then 2 read-only, adjacent
 *     hole      2 pages of A, a hole of one page, 2 more pages of A
 *     twoopens  2 pages of A, then pages 2-3 of A through a second open
 *               of A, adjacent (one file, two open files: EINVAL)
 *     oneopen   2 pages of A, then pages 5-6 of A through the same open
 *               file, adjacent (valid)
 *     hardlink  2 pages of A, then pages 5-6 of A through DIR/L, a hard
 *               link to A (one inode, two paths, two open files)
 *   and prints "NAME ADDRESS" for each.  With "thread", it then starts a
 *   thread that unshares its descriptor table (unshare(CLONE_FILES)) and
 *   blocks, and prints "thread TID".  With "many", it first maps 3,000
 *   more single pages, each apart (more than one read of a BPF
 *   iterator's buffer holds).  Then "ready".  Then it reads
 *   lines "START SIZE PROT PGOFF FLAGS" (numbers, 0x hex accepted), makes
 *   remap_file_pages with them and prints "result: 0" or
 *   "result: -1 ENAME", until end of input.  Exit 0; 1 if setup failed;
 *   2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AREA_PAGES	64

static long pg;
static char *res;		/* reserved area */
static unsigned int used;	/* pages of it handed out */
static char path_a[4096], path_b[4096], path_l[4096];

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "t-rep-serve: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Map @pages pages of @fd at @pgoff at the next free place, @gap pages
 * after the previous mapping. */
static char *
place(unsigned int gap, unsigned int pages, int prot, int flags, int fd,
      long pgoff)
{
	char *at = res + (used + gap) * pg;

	if (mmap(at, pages * pg, prot, flags | MAP_FIXED, fd, pgoff * pg) !=
	    at)
		die("mmap");
	used += gap + pages;
	return at;
}

static int
make_file(const char *path, char tag)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char buf[16];

	if (fd < 0)
		die(path);
	for (int i = 0; i < 8; i++) {
		snprintf(buf, sizeof(buf), "%c%04d", tag, i);
		if (pwrite(fd, buf, 5, i * pg) != 5)
			die("write");
	}
	if (ftruncate(fd, 8 * pg))
		die("ftruncate");
	return fd;
}

static void
setup(const char *dir)
{
	int a, b, ro, a2, l;
	char *p;

	snprintf(path_a, sizeof(path_a), "%s/A", dir);
	snprintf(path_b, sizeof(path_b), "%s/B", dir);
	a = make_file(path_a, 'P');
	b = make_file(path_b, 'Q');
	ro = open(path_a, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		die("open O_RDONLY");
	a2 = open(path_a, O_RDWR | O_CLOEXEC);
	if (a2 < 0)
		die("open again");
	snprintf(path_l, sizeof(path_l), "%s/L", dir);
	unlink(path_l);
	if (link(path_a, path_l) < 0)
		die("link");
	l = open(path_l, O_RDWR | O_CLOEXEC);
	if (l < 0)
		die("open the link");
	/* Unmapped pages between the mappings keep the kernel from
	 * merging neighbours. */
	res = mmap(NULL, AREA_PAGES * pg, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("reserve");
	munmap(res, AREA_PAGES * pg);
	printf("shared %p\n", (void *)place(1, 4, PROT_READ | PROT_WRITE,
					    MAP_SHARED, a, 0));
	printf("private %p\n", (void *)place(1, 4, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE, a, 0));
	printf("rdonly %p\n", (void *)place(1, 4, PROT_READ, MAP_SHARED, ro,
					    0));
	printf("anon %p\n", (void *)place(1, 4, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(0, 2, PROT_READ | PROT_WRITE, MAP_SHARED, b, 2);
	printf("twofiles %p\n", (void *)p);
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(0, 2, PROT_READ, MAP_SHARED, a, 2);
	printf("prot %p\n", (void *)p);
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 3);
	printf("hole %p\n", (void *)p);
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(0, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a2, 2);
	printf("twoopens %p\n", (void *)p);
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(0, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 5);
	printf("oneopen %p\n", (void *)p);
	p = place(1, 2, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	place(0, 2, PROT_READ | PROT_WRITE, MAP_SHARED, l, 5);
	printf("hardlink %p\n", (void *)p);
}

static sem_t started;
static pid_t thread_tid;

static void *
thread_main(void *arg)
{
	(void)arg;
	if (unshare(CLONE_FILES) < 0)
		die("unshare(CLONE_FILES)");
	thread_tid = (pid_t)syscall(SYS_gettid);
	sem_post(&started);
	for (;;)
		pause();
	return NULL;
}

#define MANY	3000

/* MANY private anonymous pages, each its own VMA (a guard page apart). */
static void
map_many(void)
{
	char *area = mmap(NULL, 2 * MANY * (size_t)pg, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (area == MAP_FAILED)
		die("mmap many");
	for (int i = 0; i < MANY; i++)
		if (mprotect(area + 2 * (size_t)i * (size_t)pg, (size_t)pg,
			     PROT_READ))
			die("mprotect many");
}

/* A thread with its own descriptor table, blocked until the exit. */
static void
start_thread(void)
{
	pthread_t t;

	if (sem_init(&started, 0, 0) < 0)
		die("sem_init");
	errno = pthread_create(&t, NULL, thread_main, NULL);
	if (errno)
		die("pthread_create");
	while (sem_wait(&started) < 0)
		if (errno != EINTR)
			die("sem_wait");
	printf("thread %d\n", (int)thread_tid);
}

static const char *
errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EOVERFLOW: return "EOVERFLOW";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	default: return "E?";
	}
}

/* Five numbers, decimal or 0x hex, each up to 2^64 - 1. */
static int
parse_line(char *line, unsigned long long v[5])
{
	char *p = line, *end;

	for (int i = 0; i < 5; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, 0);
		if (errno || end == p)
			return -1;
		p = end;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long long v[5];
	char line[512];

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "thread") &&
				     strcmp(argv[2], "many"))) {
		fprintf(stderr, "usage: t-rep-serve DIR [thread|many]\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	setup(argv[1]);
	if (argc == 3 && !strcmp(argv[2], "thread"))
		start_thread();
	if (argc == 3 && !strcmp(argv[2], "many"))
		map_many();
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (parse_line(line, v) < 0)
			printf("bad line\n");
		else if (syscall(SYS_remap_file_pages, v[0], v[1], v[2], v[3],
				 v[4]) == 0)
			printf("result: 0\n");
		else
			printf("result: -1 %s\n", errname(errno));
		fflush(stdout);
	}
	unlink(path_a);
	unlink(path_b);
	unlink(path_l);
	return 0;
}
