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
 *        t-follow overflow|append|low|huge|sealed DIR
 *          The same with a mapping refused for an offset past the largest
 *          file (EOVERFLOW), an append-only inode opened for writing (EACCES; "append:
 *          unsupported" where the filesystem has no such flag), a
 *          MAP_FIXED address below vm.mmap_min_addr (EPERM, unless
 *          CAP_SYS_RAWIO), a length no address space holds (ENOMEM), a
 *          MAP_FIXED range over an mseal()ed page (EPERM; "sealed:
 *          unsupported" before Linux 6.10).
 *        t-follow owner DIR
 *          The main thread maps the locked file, closes it, and waits
 *          for a thread, which unmaps it, makes 3,000 shared mmaps of
 *          another file and takes the lock: "flock: 0", as natively (the
 *          mapping and the descriptor were the open file's last users).
 *        t-follow windows DIR VMAS TRIES
 *          VMAS single-page VMAs, then TRIES times: a new open file of
 *          one file mapped shared (two pages), closed, remapped in
 *          (pgoff 1), unmapped.  Prints "remap: 0 in TRIES of TRIES".
 *        t-follow sibling DIR TRIES
 *          A process sharing this one's memory (clone(CLONE_VM), not a
 *          thread) keeps changing the protection of one page among
 *          3,000 single-page VMAs, where one read of a BPF iterator
 *          ends; this process, TRIES times, maps two open files of one
 *          file side by side and remaps across both: EINVAL every time
 *          ("span: EINVAL TRIES of TRIES"), as natively.
 *        t-follow twins DIR
 *          Two VMAs side by side of one file (file offsets apart, so the
 *          kernel keeps them two), remapped across: "dup: 0" (one open
 *          file, two descriptors), "apart: EINVAL" (two open files),
 *          "same: 0" (one descriptor twice), "threads: 0" and "threads
 *          after: 0" (one open file, mapped once by a process of one
 *          thread and once of two).  As root, the open file of an mmap
 *          left unplaced is kept without looking for its twin among
 *          the others, which the placement finds (ident.c): without it
 *          "dup" and "threads" said EINVAL.
 *        t-follow swept DIR
 *          One open file, flock()ed, mapped 1,100 times through as many
 *          descriptor numbers (dup2, each closed after its mmap); all
 *          unmapped and closed, then 3,000 mmaps of another file (so
 *          remaptrace sweeps its records): another open file takes the
 *          lock at once ("flock: 0"), as natively.  A sweep inside the
 *          noting of a mapping merged away the key being noted and kept
 *          a reference on its twin for good: "flock: Resource
 *          temporarily unavailable".
 *        t-follow forked DIR
 *          The same 1,100 mappings, then a fork, then a remap: "child: 7
 *          remap: 0".  The same merge left a count naming no key, and
 *          the fork killed remaptrace (SIGSEGV).
 *        t-follow crowd DIR N ROUNDS
 *          A child maps N open files of one file (one page each, each
 *          descriptor closed) and keeps them; then this process, ROUNDS
 *          times, maps a new open file of another file (two pages),
 *          closes it, remaps page 1 onto page 0 and checks it, unmaps:
 *          "crowd: remap 0 in ROUNDS of ROUNDS".  As root, where
 *          remaptrace places each mapping from the kernel's own word,
 *          every placement read all of its copies, the child's too: it
 *          must go back to stops after the mmap (ident.c, place()).
 *        t-follow flood DIR N
 *          This process maps pages 4-7 of a file, unlinks and closes it;
 *          a child then maps N open files of another file and keeps
 *          them; this process remaps page 0 onto file page 1: "flood:
 *          remap 0, page b", as natively.  Only remaptrace's copy of the
 *          first open file reaches page 1, and the child's copies pushed
 *          it out of the budget: EACCES.
 *        t-follow traceme DIR
 *          A child flock()s a file, maps it shared, unmaps and closes it,
 *          asks its parent to trace it (PTRACE_TRACEME: remaptrace lets
 *          go of it), does the same with a second file and exits; then
 *          other open files take both locks at once ("f: 0", "g: 0"),
 *          as natively.  remaptrace kept the copies of a process it let
 *          go, before and after, until its own end.
 * Exit 0; 1 if setting up failed; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
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

/* The mapping a mode asks for. */
struct map_args {
	int open_flags;
	void *addr;
	size_t len;
	int prot, flags;
	off_t off;
};

/* Another open file of @path tries the lock: "@what: 0" or why not. */
static void
try_lock_named(const char *what, const char *path)
{
	int fd2 = open(path, O_RDONLY | O_CLOEXEC);

	if (fd2 < 0)
		die("open again");
	printf("%s: %s\n", what, flock(fd2, LOCK_EX | LOCK_NB) ?
				 strerror(errno) : "0");
}

static void
try_lock(const char *path)
{
	try_lock_named("flock", path);
}

/* Lock the file through an open file of @a->open_flags, map it as @a
 * says, close it; then another open file of it tries the lock.  With
 * @append, the inode is made append-only first. */
static int
run_lock(const char *dir, const struct map_args *a, bool append)
{
	char path[4096];
	void *m;
	int fd;

	make_file(dir, path, sizeof(path));
	fd = open(path, a->open_flags | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX))
		die("open and lock");
	if (append) {
		int fl = 0;

		if (ioctl(fd, FS_IOC_GETFLAGS, &fl) || (fl |= FS_APPEND_FL,
		    ioctl(fd, FS_IOC_SETFLAGS, &fl))) {
			printf("append: unsupported\n");
			return 0;
		}
	}
	m = mmap(a->addr, a->len, a->prot, a->flags, fd, a->off);
	printf("mmap: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
	close(fd);
	try_lock(path);
	if (append) {
		int fl = 0;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !ioctl(fd, FS_IOC_GETFLAGS, &fl)) {
			fl &= ~FS_APPEND_FL;
			ioctl(fd, FS_IOC_SETFLAGS, &fl);
		}
	}
	return 0;
}

static int
run_refused(const char *mode, const char *dir)
{
	struct map_args a = { O_RDONLY, NULL, (size_t)pg, PROT_READ,
			      MAP_SHARED, 0 };
	struct rlimit rl = { 256UL << 20, 256UL << 20 };
	void *page;

	if (!strcmp(mode, "flock")) {
		a.prot |= PROT_WRITE;
	} else if (!strcmp(mode, "aslimit")) {
		if (setrlimit(RLIMIT_AS, &rl))
			die("setrlimit");
		a.open_flags = O_RDWR;
		a.prot |= PROT_WRITE;
		a.len = 1UL << 30;
	} else if (!strcmp(mode, "overflow")) {
		a.off = (off_t)(0x7fffffffffffffffULL & ~(uint64_t)(pg - 1));
	} else if (!strcmp(mode, "append")) {
		a.open_flags = O_RDWR | O_APPEND;
		return run_lock(dir, &a, true);
	} else if (!strcmp(mode, "low")) {
		a.flags |= MAP_FIXED;	/* address 0 */
	} else if (!strcmp(mode, "huge")) {
		/* below the task's top, above what is free in it */
		a.len = sizeof(size_t) == 8 ? (size_t)0x7fff00000000ULL :
					      (size_t)0xfff00000UL;
	} else if (!strcmp(mode, "sealed")) {
		page = mmap(NULL, (size_t)pg, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			die("mmap");
		if (syscall(462 /* mseal */, page, pg, 0)) {
			printf("sealed: unsupported\n");
			return 0;
		}
		a.addr = page;
		a.flags |= MAP_FIXED;
	} else {
		return -1;
	}
	return run_lock(dir, &a, false);
}

static char owner_path[4096];
static void *owner_map;

/* The other thread: the mapping's last user goes, then the lock. */
static void *
owner_thread(void *arg)
{
	char other[4096 + 8];
	int i;

	(void)arg;
	munmap(owner_map, (size_t)pg);
	snprintf(other, sizeof(other), "%s.other", owner_path);
	i = open(other, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (i < 0 || ftruncate(i, pg))
		die("create the other file");
	close(i);
	for (i = 0; i < 3000; i++) {
		int fd = open(other, O_RDONLY | O_CLOEXEC);
		void *m = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);

		if (fd < 0 || m == MAP_FAILED)
			die("map the other file");
		munmap(m, (size_t)pg);
		close(fd);
	}
	try_lock(owner_path);
	return NULL;
}

static int
run_owner(const char *dir)
{
	pthread_t t;
	int fd;

	make_file(dir, owner_path, sizeof(owner_path));
	fd = open(owner_path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX))
		die("open and lock");
	owner_map = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
	if (owner_map == MAP_FAILED)
		die("mmap");
	close(fd);
	errno = pthread_create(&t, NULL, owner_thread, NULL);
	if (errno)
		die("pthread_create");
	pthread_join(t, NULL);
	return 0;
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

static int
run_windows(const char *dir, int vmas, int tries)
{
	char path[4096], *area;
	int i, ok = 0;

	make_file(dir, path, sizeof(path));
	area = mmap(NULL, 2 * (size_t)vmas * (size_t)pg, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	for (i = 0; i < vmas; i++)
		if (mprotect(area + 2 * (size_t)i * (size_t)pg, (size_t)pg,
			     PROT_READ))
			die("mprotect");
	for (i = 0; i < tries; i++) {
		int fd = open(path, O_RDWR | O_CLOEXEC);
		char *m = fd < 0 ? MAP_FAILED :
			  mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);

		if (m == MAP_FAILED)
			die("map the window");
		close(fd);
		ok += syscall(SYS_remap_file_pages, m, pg, 0, 1, 0) == 0;
		munmap(m, 2 * (size_t)pg);
	}
	printf("remap: 0 in %d of %d\n", ok, tries);
	return 0;
}

/* A remap of the 4 pages at @x to file offset 0: what the kernel said. */
static const char *
across(char *x)
{
	if (syscall(SYS_remap_file_pages, x, 4 * pg, 0, 0, 0) == 0)
		return "0";
	return errno == EINVAL ? "EINVAL" : strerror(errno);
}

/* Map 2 pages of @fd at @x, from page @pgoff of the file. */
static void
map2(char *x, int fd, long pgoff, const char *what)
{
	if (fd < 0 || mmap(x, 2 * pg, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_FIXED, fd, pgoff * pg) == MAP_FAILED)
		die(what);
}

/* Map @a at @x and @b beside it (5 pages further in the file), remap
 * across both. */
static const char *
span(char *x, int a, int b)
{
	map2(x, a, 0, "map side by side");
	map2(x + 2 * pg, b, 5, "map side by side");
	return across(x);
}

static void *
idle_thread(void *arg)
{
	char c;

	return (void *)(long)read(*(int *)arg, &c, 1);
}

static int
run_twins(const char *dir)
{
	char path[4096], *area;
	int a, p[2];
	pthread_t t;

	make_file(dir, path, sizeof(path));
	area = mmap(NULL, 5 * 4 * (size_t)pg, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || pipe(p))
		die("mmap");
	a = open(path, O_RDWR);
	if (a < 0)
		die("open");
	printf("dup: %s\n", span(area, a, dup(a)));
	printf("apart: %s\n", span(area + 4 * pg, a, open(path, O_RDWR)));
	printf("same: %s\n", span(area + 8 * pg, a, a));
	/* the second mmap with a thread beside: caught after it (the
	 * first was placed already, by the look-up of a remap in it) */
	a = open(path, O_RDWR);
	map2(area + 12 * pg, a, 0, "map");
	if (syscall(SYS_remap_file_pages, area + 12 * pg, pg, 0, 0, 0) ||
	    pthread_create(&t, NULL, idle_thread, &p[0]))
		die("remap, then a thread");
	map2(area + 14 * pg, dup(a), 5, "map beside a thread");
	printf("threads: %s\n", across(area + 12 * pg));
	/* and the first */
	a = open(path, O_RDWR);
	map2(area + 16 * pg, a, 0, "map beside a thread");
	if (write(p[1], "x", 1) != 1 || pthread_join(t, NULL))
		die("end the thread");
	map2(area + 18 * pg, dup(a), 5, "map alone");
	printf("threads after: %s\n", across(area + 16 * pg));
	return 0;
}

#define TWIN_MAPS	1100	/* past the first sweep (SWEEP_MIN 1024) */

/* @path's open file, flock()ed, mapped TWIN_MAPS times through as many
 * descriptor numbers; the descriptor is returned. */
static int
map_through_many(const char *path, char **m)
{
	int a = open(path, O_RDWR), i;

	if (a < 0 || flock(a, LOCK_EX))
		die("open and lock");
	for (i = 0; i < TWIN_MAPS; i++) {
		int d = dup2(a, 100 + i);

		m[i] = d < 0 ? MAP_FAILED :
		       mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, d, 0);
		if (m[i] == MAP_FAILED)
			die("map through another number");
		close(d);
	}
	return a;
}

static int
run_swept(const char *dir)
{
	char path[4096], other[4200], *m[TWIN_MAPS];
	int a, b, i;

	make_file(dir, path, sizeof(path));
	snprintf(other, sizeof(other), "%s/g", dir);
	if (close(open(other, O_RDWR | O_CREAT, 0644)) || truncate(other, pg))
		die("create the other file");
	a = map_through_many(path, m);
	for (i = 0; i < TWIN_MAPS; i++)
		munmap(m[i], (size_t)pg);
	close(a);
	for (i = 0; i < 3000; i++) {
		int fd = open(other, O_RDONLY);
		void *x = fd < 0 ? MAP_FAILED :
			  mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);

		if (x == MAP_FAILED)
			die("map the other file");
		munmap(x, (size_t)pg);
		close(fd);
	}
	b = open(path, O_RDONLY);
	if (b < 0)
		die("open again");
	printf("flock: %s\n", flock(b, LOCK_EX | LOCK_NB) ? strerror(errno) :
						     "0");
	return 0;
}

static int
run_forked(const char *dir)
{
	char path[4096], *m[TWIN_MAPS], *w;
	int a, st = 0;
	pid_t c;

	make_file(dir, path, sizeof(path));
	a = map_through_many(path, m);
	c = fork();
	if (c == 0)
		_exit(7);
	if (c < 0 || waitpid(c, &st, 0) != c)
		die("fork");
	w = mmap(NULL, 2 * (size_t)pg, PROT_READ, MAP_SHARED, a, 0);
	if (w == MAP_FAILED)
		die("map the window");
	printf("child: %d remap: %s\n", WEXITSTATUS(st),
	       syscall(SYS_remap_file_pages, w, pg, 0, 1, 0) == 0 ? "0" :
	       strerror(errno));
	return 0;
}

/* @path (@n pages, page i filled with 'a' + i), created in @dir. */
static void
make_pages(const char *dir, const char *name, int n, char *path, size_t size)
{
	char page[65536];
	int fd, i;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pg > (long)sizeof(page))
		die("create a file");
	for (i = 0; i < n; i++) {
		memset(page, 'a' + i, (size_t)pg);
		if (write(fd, page, (size_t)pg) != pg)
			die("write a page");
	}
	close(fd);
}

/*
 * A child that maps @n open files of @held (one page each, each
 * descriptor closed) and keeps them until *done (its write end) is
 * closed; returns once they are all mapped.
 */
static pid_t
hold_open_files(const char *held, int n, int *done)
{
	int go[2], fds[2], i;
	pid_t child;
	char c;

	if (n < 1 || pipe(go) || pipe(fds))
		die("set up");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(go[0]);
		close(fds[1]);
		for (i = 0; i < n; i++) {
			int fd = open(held, O_RDONLY);

			if (fd < 0 || mmap(NULL, (size_t)pg, PROT_READ,
					   MAP_SHARED, fd, 0) == MAP_FAILED)
				die("child: map");
			close(fd);
		}
		/* mapped: go on; then wait for the end of @fds */
		if (write(go[1], "x", 1) != 1)
			die("child: say so");
		_exit(read(fds[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[1]);
	close(fds[0]);
	if (read(go[0], &c, 1) != 1)
		die("wait for the child");
	close(go[0]);
	*done = fds[1];
	return child;
}

static void
end_holder(pid_t child, int done)
{
	int st;

	close(done);
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		die("the child");
}

/*
 * This process maps pages 4-7 of a file, unlinks it and closes it: only
 * the mapping reaches that open file, and pages below 4 only through it
 * (no second mapping goes down, nobody may open map_files).  Then a child
 * maps @n other open files and keeps them; then page 0 is remapped onto
 * file page 1: "flood: remap 0, page b", as natively.
 */
static int
run_flood(const char *dir, int n)
{
	char held[4200], victim[4200];
	pid_t child;
	int fd, r, e, done;
	char *w;

	make_pages(dir, "held", 1, held, sizeof(held));
	make_pages(dir, "victim", 8, victim, sizeof(victim));
	fd = open(victim, O_RDWR);
	w = fd < 0 ? MAP_FAILED : mmap(NULL, 4 * (size_t)pg, PROT_READ,
				       MAP_SHARED, fd, 4 * pg);
	if (w == MAP_FAILED || unlink(victim) || close(fd))
		die("map the victim");
	child = hold_open_files(held, n, &done);
	r = (int)syscall(SYS_remap_file_pages, w, pg, 0, 1, 0);
	e = errno;
	printf("flood: remap %s, page %c\n", r ? strerror(e) : "0", w[0]);
	end_holder(child, done);
	return 0;
}

static int
run_crowd(const char *dir, int n, int rounds)
{
	char held[4200], mine[4200];
	int i, ok = 0, done;
	pid_t child;

	make_pages(dir, "held", 1, held, sizeof(held));
	make_pages(dir, "mine", 2, mine, sizeof(mine));
	if (rounds < 1)
		die("set up");
	child = hold_open_files(held, n, &done);
	for (i = 0; i < rounds; i++) {
		int fd = open(mine, O_RDWR);
		char *w = fd < 0 ? MAP_FAILED :
			  mmap(NULL, 2 * (size_t)pg, PROT_READ, MAP_SHARED,
			       fd, 0);

		if (w == MAP_FAILED)
			die("map");
		close(fd);
		ok += syscall(SYS_remap_file_pages, w, pg, 0, 1, 0) == 0 &&
		      w[0] == 'b';
		munmap(w, 2 * (size_t)pg);
	}
	end_holder(child, done);
	printf("crowd: remap 0 in %d of %d\n", ok, rounds);
	return 0;
}

/* Lock @path, map it shared, unmap and close it: nothing holds it. */
static void
lock_map_close(const char *path)
{
	int fd = open(path, O_RDWR);
	void *m;

	if (fd < 0 || flock(fd, LOCK_EX))
		die("open and lock");
	m = mmap(NULL, 2 * (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("map");
	munmap(m, 2 * (size_t)pg);
	close(fd);
}

static int
run_traceme(const char *dir)
{
	char f[4200], g[4200];
	int st;
	pid_t c;

	make_pages(dir, "f", 2, f, sizeof(f));
	make_pages(dir, "g", 2, g, sizeof(g));
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		lock_map_close(f);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			die("PTRACE_TRACEME");
		lock_map_close(g);
		_exit(0);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the child");
	try_lock_named("f", f);
	try_lock_named("g", g);
	return 0;
}

int
main(int argc, char **argv)
{
	pg = sysconf(_SC_PAGESIZE);
	if (argc == 2 && !strcmp(argv[1], "pipe"))
		return run_pipe();
	if (argc == 3 && !strcmp(argv[1], "owner"))
		return run_owner(argv[2]);
	if (argc == 3 && run_refused(argv[1], argv[2]) == 0)
		return 0;
	if (argc == 5 && !strcmp(argv[1], "windows"))
		return run_windows(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "sibling"))
		return run_sibling(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "twins"))
		return run_twins(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "swept"))
		return run_swept(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "forked"))
		return run_forked(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "traceme"))
		return run_traceme(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "crowd"))
		return run_crowd(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return run_flood(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: t-follow pipe | flock|aslimit|overflow|"
		"append|low|huge|sealed|owner|twins|swept|forked DIR | "
		"windows DIR VMAS TRIES | sibling DIR TRIES | "
		"crowd DIR N ROUNDS | flood DIR N | traceme DIR\n");
	return 2;
}
