/* t-follow.c - what following a shared mmap must never change: an open
 * file is let go as natively, and a placement from the kernel's own word
 * (tracer/ident.c, as root) never takes a part of the VMAs for the whole.
 *
 * Usage: t-follow pipe
 *          mmap(MAP_SHARED) of a pipe's write end (refused), close it,
 *          read the read end: end of file ("read: 0"), as natively.  A
 *          supervisor that kept its copy of the failed mapping's open
 *          file would hold the pipe open: the read blocks until the
 *          alarm (10 s) kills the program.
 *        t-follow flock DIR
 *          A file opened read-only and flock()ed, mapped shared and
 *          writable (EACCES), closed: another open file of it takes the
 *          lock at once ("flock: 0"), as natively.
 *        t-follow aslimit DIR
 *          The same with a valid mapping refused for RLIMIT_AS (ENOMEM).
 *        t-follow sibling DIR TRIES
 *          A process sharing this one's memory (clone(CLONE_VM), not a
 *          thread) keeps changing the protection of one page among
 *          3,000 single-page VMAs, where one read of a BPF iterator
 *          ends; this process, TRIES times, maps two open files of one
 *          file side by side and remaps across both: EINVAL every time
 *          ("span: EINVAL TRIES of TRIES"), as natively.
 * Exit 0; 1 if setting up failed; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLIP_PAGES	3000
#define PAGES_PER_READ	1024	/* 32 KiB of 32-byte records (vmfile.c) */

static long pg;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "t-follow: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
run_pipe(void)
{
	int p[2];
	char c;
	void *m;

	if (pipe(p))
		die("pipe");
	m = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, p[1], 0);
	printf("mmap: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
	fflush(stdout);
	close(p[1]);
	alarm(10);	/* a guard: a hang is the failure */
	printf("read: %zd\n", read(p[0], &c, 1));
	return 0;
}

/* A file of 8 pages at DIR/f. */
static void
make_file(const char *dir, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 8 * pg))
		die("create the file");
	close(fd);
}

/* Lock the file through @flags' open file, make mapping @len fail, close
 * it; then another open file of it tries the lock. */
static int
run_lock(const char *dir, int flags, int prot, size_t len)
{
	char path[4096];
	int fd, fd2;
	void *m;

	make_file(dir, path, sizeof(path));
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX))
		die("open and lock");
	m = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	printf("mmap: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
	close(fd);
	fd2 = open(path, O_RDONLY | O_CLOEXEC);
	if (fd2 < 0)
		die("open again");
	printf("flock: %s\n", flock(fd2, LOCK_EX | LOCK_NB) ? strerror(errno) :
						      "0");
	return 0;
}

static int
run_aslimit(const char *dir)
{
	struct rlimit rl = { 256UL << 20, 256UL << 20 };

	if (setrlimit(RLIMIT_AS, &rl))
		die("setrlimit");
	return run_lock(dir, O_RDWR, PROT_READ | PROT_WRITE, 1UL << 30);
}

static char *flip_area;
static int flip_page;

/* Another process in our memory: flip one page's protection forever. */
static int
flipper(void *arg)
{
	char *p = flip_area + (size_t)flip_page * (size_t)pg;
	int was = flip_page % 2 ? PROT_READ : PROT_NONE;
	int other = was == PROT_READ ? PROT_NONE : PROT_READ;

	(void)arg;
	for (;;) {
		syscall(SYS_mprotect, p, pg, other);
		syscall(SYS_mprotect, p, pg, was);
	}
	return 0;
}

/* How many VMAs lie below @addr. */
static int
vmas_below(const char *addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		die("/proc/self/maps");
	while (fgets(line, sizeof(line), f))
		n += strtoul(line, NULL, 16) < (unsigned long)addr;
	fclose(f);
	return n;
}

static int
run_sibling(const char *dir, int tries)
{
	char path[4096], *area, *stack;
	int i, einval = 0;
	pid_t sib;

	make_file(dir, path, sizeof(path));
	flip_area = mmap(NULL, FLIP_PAGES * (size_t)pg, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	area = mmap(NULL, (size_t)tries * 8 * (size_t)pg, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (flip_area == MAP_FAILED || area == MAP_FAILED ||
	    stack == MAP_FAILED)
		die("mmap");
	for (i = 1; i < FLIP_PAGES; i += 2)
		if (mprotect(flip_area + (size_t)i * (size_t)pg, (size_t)pg,
			     PROT_READ))
			die("mprotect");
	/* the page whose VMA ends one iterator read and begins the next */
	flip_page = PAGES_PER_READ - 1 - vmas_below(flip_area);
	if (flip_page < 1 || flip_page >= FLIP_PAGES - 1)
		die("placing the flipped page");
	sib = clone(flipper, stack + 65536, CLONE_VM | SIGCHLD, NULL);
	if (sib < 0)
		die("clone");
	for (i = 0; i < tries; i++) {
		char *x = area + (size_t)i * 8 * (size_t)pg;
		int f1 = open(path, O_RDWR | O_CLOEXEC);
		int f2 = open(path, O_RDWR | O_CLOEXEC);

		if (f1 < 0 || f2 < 0 ||
		    mmap(x, 2 * pg, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, f1, 0) == MAP_FAILED ||
		    mmap(x + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, f2, 2 * pg) == MAP_FAILED)
			die("map the two open files");
		close(f1);
		close(f2);
		einval += syscall(SYS_remap_file_pages, x, 4 * pg, 0, 0, 0) &&
			  errno == EINVAL;
	}
	kill(sib, SIGKILL);
	waitpid(sib, NULL, 0);
	printf("span: EINVAL %d of %d\n", einval, tries);
	return 0;
}

int
main(int argc, char **argv)
{
	pg = sysconf(_SC_PAGESIZE);
	if (argc == 2 && !strcmp(argv[1], "pipe"))
		return run_pipe();
	if (argc == 3 && !strcmp(argv[1], "flock"))
		return run_lock(argv[2], O_RDONLY, PROT_READ | PROT_WRITE,
				(size_t)pg);
	if (argc == 3 && !strcmp(argv[1], "aslimit"))
		return run_aslimit(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "sibling"))
		return run_sibling(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: t-follow pipe | flock DIR | aslimit DIR | "
		"sibling DIR TRIES\n");
	return 2;
}
