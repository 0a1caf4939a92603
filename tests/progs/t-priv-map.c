/* t-priv-map.c - how a remapped page may be reached and what it allows:
 * builds one scenario (who opened the file how, what became of the
 * descriptor, the mapping and the path), calls remap_file_pages, and
 * prints without addresses what it observed, so that a native run and a
 * run under remaptrace compare line by line (tests/integration/
 * 60-privilege.bats).
 *
 * Usage: t-priv-map [-t] [-n] [-s] SCENARIO DIR
 *        t-priv-map [-t] [-n] [-s] SCENARIO PATH
 *   DIR: the scenario makes its files in a new directory there; PATH (the
 *   scenarios rofile, rofile-twice, rwfile, rwfile-r, drop): a file of 8
 *   pages made by the test, page i tagged "R%04u".
 *   -t  keep a second thread waiting in read(2) while the calls are made
 *   -n  no free descriptor slot during the calls (RLIMIT_NOFILE)
 *   -s  a seccomp filter of the program's own kills it on openat for
 *       writing, from just before the calls
 *
 * Scenarios (A: 8 pages tagged P, mapped shared read-write, pages 0-3 at
 * the area, unless said otherwise):
 *   regular, closed, deleted   descriptor kept; closed; closed and unlinked
 *   memfd                      a memfd instead of A
 *   moved                      mapped elsewhere, closed, moved to the area
 *   twice, twice-open          A opened twice, both mapped, one moved to
 *                              the area; descriptors closed / kept
 *   renamed, symlink, fifo     twice, then A's path is B / a symlink to B
 *                              / a FIFO
 *   deleted-reused             twice, then B at A's path and at "A (deleted)"
 *   covered, covered-lease     twice, then a tmpfs with B at A's path
 *                              mounted over A's directory (unshare -Urm);
 *                              and a read lease held on that B
 *   noexec-fd, noexec-cover    twice, and a descriptor for A through a
 *                              noexec bind mount / A's directory covered by
 *                              a noexec bind mount of itself (unshare -Urm)
 *   stale-rw                   A mapped read-write, unmapped, mapped from
 *                              an O_RDONLY open file and moved there
 *   memfd-twice                a memfd opened again through /proc, both
 *                              mapped, both closed, one moved to the area
 *   seal-write                 memfd sealed F_SEAL_WRITE, mapped read-only
 *   seal-future-write          memfd mapped read-write, then sealed
 *                              F_SEAL_FUTURE_WRITE
 *   shanon, devzero            shared anonymous memory; /dev/zero
 *   rofile, rwfile, rwfile-r   PATH opened O_RDONLY mapped PROT_READ;
 *                              O_RDWR read-write; O_RDWR PROT_READ
 *   rofile-twice               PATH opened O_RDONLY twice, both mapped,
 *                              closed, one moved to the area
 *   drop                       as root: PATH mapped read-write, unmapped,
 *                              closed; then as nobody: PATH O_RDONLY mapped
 *                              PROT_READ elsewhere and moved to the area
 *   drop-twice, drop-other     as root: PATH opened O_RDWR twice, mapped
 *                              read-write through the second; then as
 *                              nobody, both descriptors kept / only the
 *                              first (not the mapping's open file) kept
 *   drop-below                 as root: PATH pages 4-7 mapped read-write,
 *                              closed; then as nobody (the calls reach
 *                              pages below any mapping of that open file)
 *   drop-donor                 as root: PATH opened O_RDWR twice; through
 *                              the second, pages 4-7 mapped PROT_READ at
 *                              the area and pages 0-3 read-write elsewhere,
 *                              closed; then as nobody, the first kept
 *
 * Each call prints "remap N: RESULT", then "fds N: same" when the set of
 * open descriptors (numbers and targets) is the one before the call, else
 * "fds N: changed" and what appeared or vanished.  Then: the VMAs over the
 * area ("vma: +PAGEp LENp PERMS OBJ@PAGE [VmFlags]"; OBJ is A for the file
 * mapped first, B for the file that took over its path, anon, other), the
 * tag seen through each area page ("P0005" = page 5 of A, "Q0001" = page 1
 * of B), mprotect(PROT_READ|PROT_WRITE) and PROT_EXEC of area page 0, a
 * store through it, and the pages of A as A itself holds them.
 * Exit 0 whatever the calls returned; 1 when the scenario could not be set
 * up; 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RES_PAGES	64	/* address space reserved for a scenario */
#define AREA_AT		16	/* where the area (4 pages) starts */
#define AWAY_AT		32	/* where a mapping is made before a move */
#define OTHER_AT	48	/* a second mapping of the same file */
#define AREA_PAGES	4
#define FILE_PAGES	8
#define TAG_LEN		5
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010	/* Linux 5.1 */
#endif

static size_t pg;
static char *res, *area;
static char dir[4096], path_a[4200], path_b[4200];
static ino_t ino_a, ino_b;
static bool covered;		/* a tmpfs is mounted on dir */
static bool noexec_mnt;		/* dir is bind-mounted on dir/noexec */
static int fd_keep = -1;
static int lease_fd = -1;	/* holds a read lease on B */
static volatile sig_atomic_t sigio;	/* SIGIOs received (lease breaks) */	/* a descriptor to read A with at the end */
static int nth;			/* calls made */

#include "scenario.h"

static void
cleanup(void)
{
	char alt[4300];

	if (!dir[0])
		return;
	snprintf(alt, sizeof(alt), "%s (deleted)", path_a);
	if (covered)
		umount2(dir, MNT_DETACH);
	if (noexec_mnt) {
		snprintf(alt, sizeof(alt), "%s/noexec", dir);
		if (fd_keep >= 0)
			close(fd_keep);
		umount2(alt, MNT_DETACH);
		rmdir(alt);
		snprintf(alt, sizeof(alt), "%s (deleted)", path_a);
	}
	unlink(path_a);
	unlink(path_b);
	unlink(alt);
	rmdir(dir);
}

static void
on_sigio(int sig)
{
	(void)sig;
	sigio++;
}

static const char *
errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* ---- the descriptor table ---- */

/* "N->target" for every open descriptor but the listing's own, sorted by
 * number, one per line, in @buf.  The listing's directory stays open from
 * the start, so that listing needs no new descriptor (-n). */
static void
list_fds(char *buf, size_t size)
{
	static DIR *d;
	struct dirent *de;
	int names[256], n = 0;
	size_t len = 0;

	if (!d)
		d = opendir("/proc/self/fd");
	if (!d)
		die("opendir /proc/self/fd");
	rewinddir(d);
	while ((de = readdir(d)) && n < 256) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(d))
			names[n++] = fd;
	}
	for (int i = 1; i < n; i++)	/* insertion sort: a few entries */
		for (int j = i; j > 0 && names[j - 1] > names[j]; j--) {
			int t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		char link[64], target[512];
		ssize_t t;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", names[i]);
		t = readlink(link, target, sizeof(target) - 1);
		if (t < 0)
			t = 0;
		target[t] = '\0';
		len += snprintf(buf + len, size - len, "%d->%s\n", names[i],
				target);
		if (len >= size)
			die("too many descriptors");
	}
}

/*
 * -n: no free descriptor slot during the calls (the soft RLIMIT_NOFILE
 * just above the highest open descriptor; the hard limit stays).  The
 * kernel's remap_file_pages needs no descriptor.
 */
static void
fill_fd_table(bool on)
{
	static struct rlimit saved;
	struct rlimit rl;
	int top = -1;
	DIR *d;
	struct dirent *de;

	if (!on) {
		if (setrlimit(RLIMIT_NOFILE, &saved))
			die("restore RLIMIT_NOFILE");
		return;
	}
	d = opendir("/proc/self/fd");
	if (!d)
		die("opendir /proc/self/fd");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d) &&
		    atoi(de->d_name) > top)
			top = atoi(de->d_name);
	closedir(d);
	/* every slot below top + 1 is taken, so none is free */
	for (int fd = 0; fd < top; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    fcntl(top, F_DUPFD_CLOEXEC, fd) != fd)
			die("fill descriptor %d", fd);
	if (getrlimit(RLIMIT_NOFILE, &saved))
		die("getrlimit");
	rl = saved;
	rl.rlim_cur = top + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
}

/* Lines of @a missing from @b, printed with @sign. */
static void
print_missing(const char *a, const char *b, char sign)
{
	const char *line = a;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl - line + 1;
		bool found = false;

		for (const char *l = b; *l; l = strchr(l, '\n') + 1)
			if (!strncmp(l, line, n))
				found = true;
		if (!found)
			printf("  %c%.*s", sign, (int)n, line);
		line += n;
	}
}

/* remap_file_pages, with the descriptor table listed around it. */
static void
remap(unsigned int at, unsigned int npages, unsigned long pgoff)
{
	static char before[16384], after[16384];
	long r;
	int e;

	list_fds(before, sizeof(before));
	r = syscall(SYS_remap_file_pages, page(area, at), npages * pg, 0,
		    pgoff, 0);
	e = errno;
	list_fds(after, sizeof(after));
	nth++;
	if (r == 0)
		printf("remap %d: area page %u, %u pages, pgoff %lu: 0\n", nth,
		       at, npages, pgoff);
	else
		printf("remap %d: area page %u, %u pages, pgoff %lu: -1 %s\n",
		       nth, at, npages, pgoff, errname(e));
	if (!strcmp(before, after)) {
		printf("fds %d: same\n", nth);
		return;
	}
	printf("fds %d: changed\n", nth);
	print_missing(after, before, '+');
	print_missing(before, after, '-');
}

/* ---- objects ---- */

static void
fill(int fd, char c)
{
	char tag[TAG_LEN];

	if (ftruncate(fd, FILE_PAGES * pg))
		die("ftruncate");
	for (unsigned int i = 0; i < FILE_PAGES; i++) {
		tag_of(tag, c, i);
		if (pwrite(fd, tag, TAG_LEN, i * pg) != TAG_LEN)
			die("pwrite");
	}
}

/* A new file at @path whose page i starts with "<c>%04u"; its inode. */
static ino_t
make_file(const char *path, char c)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		die("create %s", path);
	fill(fd, c);
	if (fstat(fd, &st))
		die("fstat");
	close(fd);
	return st.st_ino;
}

static int
open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path);
	return fd;
}

/* Map 4 pages of @fd from file page 0 at reservation page @at. */
static void
place(unsigned int at, int prot, int flags, int fd)
{
	if (mmap(page(res, at), AREA_PAGES * pg, prot, flags | MAP_FIXED, fd,
		 0) == MAP_FAILED)
		die("mmap");
}

/* Move the mapping at reservation page @from to the area (a move is no
 * mmap: a tracer following mmap does not see it). */
static void
move_to_area(unsigned int from)
{
	if (mremap(page(res, from), AREA_PAGES * pg, AREA_PAGES * pg,
		   MREMAP_MAYMOVE | MREMAP_FIXED, area) == MAP_FAILED)
		die("mremap");
}

#define RW	(PROT_READ | PROT_WRITE)
#define SH	MAP_SHARED

/*
 * A opened twice (two open file descriptions), mapped from both, both
 * descriptors closed, the first mapping moved to the area: nothing says
 * which open file the area maps but the area itself.
 */
static void
setup_twice(void)
{
	int fd1, fd2;

	ino_a = make_file(path_a, 'P');
	fd1 = open_or_die(path_a, O_RDWR);
	fd2 = open_or_die(path_a, O_RDWR);
	place(AWAY_AT, RW, SH, fd1);
	place(OTHER_AT, RW, SH, fd2);
	close(fd1);
	close(fd2);
	move_to_area(AWAY_AT);
}

/* A new file B (tags Q) at @path. */
static void
take_path(const char *path)
{
	ino_b = make_file(path_b, 'Q');
	if (rename(path_b, path))
		die("rename B over %s", path);
}

static void
setup_memfd(unsigned int at, unsigned int flags, int prot,
	    unsigned int seals)
{
	int fd = memfd_create("t-priv", MFD_CLOEXEC | flags);

	if (fd < 0)
		die("memfd_create");
	fill(fd, 'P');
	if (seals & F_SEAL_WRITE && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE))
		die("F_SEAL_WRITE");
	place(at, prot, SH, fd);
	if (seals & F_SEAL_FUTURE_WRITE &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))
		die("F_SEAL_FUTURE_WRITE");
	fd_keep = fd;
}

/* The scenarios that make their own files in DIR. */
static bool
setup_in_dir(const char *s)
{
	int fd, fd2;

	if (!strcmp(s, "regular") || !strcmp(s, "closed") ||
	    !strcmp(s, "deleted")) {
		ino_a = make_file(path_a, 'P');
		fd = open_or_die(path_a, O_RDWR);
		place(AREA_AT, RW, SH, fd);
		if (!strcmp(s, "regular")) {
			fd_keep = fd;
			return true;
		}
		close(fd);
		if (!strcmp(s, "deleted") && unlink(path_a))
			die("unlink");
	} else if (!strcmp(s, "moved")) {
		ino_a = make_file(path_a, 'P');
		fd = open_or_die(path_a, O_RDWR);
		place(AWAY_AT, RW, SH, fd);
		close(fd);
		move_to_area(AWAY_AT);
	} else if (!strcmp(s, "twice-open")) {
		/* as twice, but both descriptors stay open */
		ino_a = make_file(path_a, 'P');
		fd = open_or_die(path_a, O_RDWR);
		fd2 = open_or_die(path_a, O_RDWR);
		place(AWAY_AT, RW, SH, fd);
		place(OTHER_AT, RW, SH, fd2);
		move_to_area(AWAY_AT);
	} else if (!strcmp(s, "twice")) {
		setup_twice();
	} else if (!strcmp(s, "stale-rw")) {
		/* A mapped from a read-write open file, unmapped; then
		 * mapped from a read-only one and moved to the same place */
		ino_a = make_file(path_a, 'P');
		fd = open_or_die(path_a, O_RDWR);
		place(AREA_AT, RW, SH, fd);
		close(fd);
		if (munmap(area, AREA_PAGES * pg))
			die("munmap");
		fd = open_or_die(path_a, O_RDONLY);
		place(AWAY_AT, PROT_READ, SH, fd);
		close(fd);
		move_to_area(AWAY_AT);
	} else {
		return false;
	}
	return true;
}

/* Mount @src (a tmpfs when NULL) on @dst, noexec when asked (a mount
 * namespace of its own: unshare -Urm). */
static void
mount_on(const char *src, const char *dst, bool noexec)
{
	if (!src && mount("t-priv", dst, "tmpfs", 0, NULL))
		die("mount tmpfs on %s", dst);
	if (src && mount(src, dst, NULL, MS_BIND, NULL))
		die("bind mount %s on %s", src, dst);
	if (noexec && mount(NULL, dst, NULL,
			    MS_REMOUNT | MS_BIND | MS_NOEXEC, NULL))
		die("remount %s noexec", dst);
}

/* The scenarios in which A's path, once A is mapped, leads elsewhere:
 * to another file, or to A through another mount. */
static bool
setup_path_changed(const char *s)
{
	char alt[4300], alias[4400];

	if (strcmp(s, "renamed") && strcmp(s, "symlink") &&
	    strcmp(s, "fifo") && strcmp(s, "deleted-reused") &&
	    strncmp(s, "covered", 7) && strncmp(s, "noexec-", 7))
		return false;
	setup_twice();
	if (!strcmp(s, "renamed")) {
		take_path(path_a);
	} else if (!strcmp(s, "symlink")) {
		ino_b = make_file(path_b, 'Q');
		if (unlink(path_a) || symlink(path_b, path_a))
			die("symlink");
	} else if (!strcmp(s, "fifo")) {
		if (unlink(path_a) || mkfifo(path_a, 0666))
			die("mkfifo");
	} else if (!strcmp(s, "deleted-reused")) {
		/* new files at A's path and at the one /proc shows */
		take_path(path_a);
		snprintf(alt, sizeof(alt), "%s (deleted)", path_a);
		snprintf(path_b, sizeof(path_b), "%s/B2", dir);
		make_file(path_b, 'Q');
		if (rename(path_b, alt))
			die("rename B2");
	} else if (!strncmp(s, "covered", 7)) {
		/* the path names B here, A where the tracer looks; with
		 * -lease, the program holds a read lease on B */
		mount_on(NULL, dir, false);
		covered = true;
		ino_b = make_file(path_a, 'Q');
		if (!strcmp(s, "covered-lease")) {
			lease_fd = open_or_die(path_a, O_RDONLY);
			if (fcntl(lease_fd, F_SETLEASE, F_RDLCK))
				die("F_SETLEASE");
		}
	} else if (!strcmp(s, "noexec-fd")) {
		/* a read-write descriptor for A through a noexec bind
		 * mount: the same inode, but a mapping without VM_MAYEXEC */
		snprintf(alt, sizeof(alt), "%s/noexec", dir);
		snprintf(alias, sizeof(alias), "%s/A", alt);
		if (mkdir(alt, 0700))
			die("mkdir");
		mount_on(dir, alt, true);
		noexec_mnt = true;
		fd_keep = open_or_die(alias, O_RDWR);
	} else if (!strcmp(s, "noexec-cover")) {
		/* A's path names A, through a noexec mount */
		mount_on(dir, dir, true);
		covered = true;
	}
	return true;
}

static bool
setup_special(const char *s)
{
	int fd;

	if (!strcmp(s, "memfd")) {
		setup_memfd(AREA_AT, 0, RW, 0);
	} else if (!strcmp(s, "memfd-twice")) {
		char self[64];

		/* a second open file of the memfd, through /proc; the
		 * first mapping moved: memfds have no path to open */
		setup_memfd(AWAY_AT, 0, RW, 0);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd_keep);
		fd = open_or_die(self, O_RDWR);
		place(OTHER_AT, RW, SH, fd);
		close(fd);
		close(fd_keep);
		fd_keep = -1;
		move_to_area(AWAY_AT);
	} else if (!strcmp(s, "seal-write")) {
		setup_memfd(AREA_AT, MFD_ALLOW_SEALING, PROT_READ,
			    F_SEAL_WRITE);
	} else if (!strcmp(s, "seal-future-write")) {
		setup_memfd(AREA_AT, MFD_ALLOW_SEALING, RW,
			    F_SEAL_FUTURE_WRITE);
	} else if (!strcmp(s, "shanon")) {
		place(AREA_AT, RW, SH | MAP_ANONYMOUS, -1);
	} else if (!strcmp(s, "devzero")) {
		fd = open_or_die("/dev/zero", O_RDWR);
		place(AREA_AT, RW, SH, fd);
		close(fd);
	} else {
		return false;
	}
	if (strcmp(s, "memfd") && strcmp(s, "memfd-twice") &&
	    strncmp(s, "seal", 4))
		for (unsigned int i = 0; i < AREA_PAGES; i++)
			tag_of(page(area, i), 'P', i);
	return true;
}

/*
 * Root maps PATH read-write, unmaps it and closes it, becomes nobody, and
 * maps PATH again from a read-only open file, moved to where the first
 * mapping was (as a daemon that drops its privileges after start-up).
 */
static void
become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		die("drop privileges");
}

static void
drop_privileges(const char *path)
{
	int fd = open_or_die(path, O_RDWR);

	place(AREA_AT, RW, SH, fd);
	close(fd);
	if (munmap(area, AREA_PAGES * pg))
		die("munmap");
	become_nobody();
	fd_keep = open_or_die(path, O_RDONLY);
	place(AWAY_AT, PROT_READ, SH, fd_keep);
	move_to_area(AWAY_AT);
	printf("uid: %d\n", (int)geteuid());
}

/*
 * Root opens PATH read-write twice and maps it through the second open
 * file, then becomes nobody (a daemon that keeps what it opened before
 * dropping its privileges).  drop-other closes the mapping's descriptor:
 * the one left is the same inode but another open file, whose pieces
 * would not merge with the mapping's.  drop-below maps pages 4-7 and
 * keeps no descriptor: the calls ask for pages no mapping of that open
 * file reaches, of a file nobody may open for writing.  drop-donor maps
 * those pages read-only, and the pages below read-write elsewhere: only
 * that mapping reaches them, through the very open file.
 */
static void
drop_keeping(const char *s, const char *path)
{
	bool high = !strcmp(s, "drop-below") || !strcmp(s, "drop-donor");
	int first = -1, fd;

	if (strcmp(s, "drop-below"))
		first = open_or_die(path, O_RDWR);
	fd = open_or_die(path, O_RDWR);
	if (mmap(area, AREA_PAGES * pg, strcmp(s, "drop-donor") ? RW :
		 PROT_READ, SH | MAP_FIXED, fd,
		 high ? AREA_PAGES * pg : 0) == MAP_FAILED)
		die("mmap");
	if (!strcmp(s, "drop-donor"))
		place(OTHER_AT, RW, SH, fd);
	if (!strcmp(s, "drop-twice")) {
		fd_keep = fd;
	} else {
		close(fd);
		fd_keep = first;
	}
	snprintf(path_a, sizeof(path_a), "%s", path);
	ino_a = ino_at(area);
	become_nobody();
	printf("uid: %d\n", (int)geteuid());
}

/* The scenarios on a file the test made: PATH opened as named. */
static bool
setup_given(const char *s, const char *path)
{
	int flags, prot;

	if (!strcmp(s, "rofile")) {
		flags = O_RDONLY;
		prot = PROT_READ;
	} else if (!strcmp(s, "rwfile")) {
		flags = O_RDWR;
		prot = RW;
	} else if (!strcmp(s, "rwfile-r")) {
		flags = O_RDWR;
		prot = PROT_READ;
	} else if (!strcmp(s, "drop")) {
		drop_privileges(path);
		return true;
	} else if (!strncmp(s, "drop-", 5)) {
		drop_keeping(s, path);
		return true;
	} else if (!strcmp(s, "rofile-twice")) {
		/* two read-only open files, both closed, one mapping moved:
		 * only the mapping itself says how its file was opened */
		int fd2 = open_or_die(path, O_RDONLY);

		fd_keep = open_or_die(path, O_RDONLY);
		place(AWAY_AT, PROT_READ, SH, fd_keep);
		place(OTHER_AT, PROT_READ, SH, fd2);
		close(fd2);
		close(fd_keep);
		fd_keep = -1;
		snprintf(path_a, sizeof(path_a), "%s", path);
		move_to_area(AWAY_AT);
		return true;
	} else {
		return false;
	}
	snprintf(path_a, sizeof(path_a), "%s", path);
	fd_keep = open_or_die(path, flags);
	place(AREA_AT, prot, SH, fd_keep);
	return true;
}

static void
setup(const char *s, const char *arg)
{
	res = mmap(NULL, RES_PAGES * pg, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("mmap reservation");
	area = page(res, AREA_AT);
	if (setup_given(s, arg))
		goto out;
	snprintf(dir, sizeof(dir), "%s/t-priv.XXXXXX", arg);
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		die("mkdtemp in %s", arg);
	}
	atexit(cleanup);
	snprintf(path_a, sizeof(path_a), "%s/A", dir);
	snprintf(path_b, sizeof(path_b), "%s/B", dir);
	if (!setup_in_dir(s) && !setup_path_changed(s) && !setup_special(s)) {
		fprintf(stderr, "t-priv-map: unknown scenario %s\n", s);
		exit(2);
	}
out:
	if (!ino_a)
		ino_a = ino_at(area);
}

/* ---- what the program sees ---- */

static void
print_tag(const char *buf, int sig)
{
	bool zero = true;

	if (sig) {
		printf(" %s", sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
		return;
	}
	for (int i = 0; i < TAG_LEN; i++)
		zero = zero && !buf[i];
	if (zero) {
		printf(" zeros");
		return;
	}
	putchar(' ');
	for (int i = 0; i < TAG_LEN; i++)
		putchar(buf[i] >= 0x21 && buf[i] < 0x7f ? buf[i] : '.');
}

static void
print_area(const char *what)
{
	char buf[TAG_LEN];

	printf("%s:", what);
	for (unsigned int i = 0; i < AREA_PAGES; i++) {
		int sig = load(page(area, i), buf);

		print_tag(buf, sig);
	}
	printf("\n");
}

static void
try_mprotect(const char *name, int prot)
{
	if (mprotect(area, pg, prot))
		printf("mprotect(%s): -1 %s\n", name, errname(errno));
	else
		printf("mprotect(%s): 0\n", name);
}

/* mprotect page 0 writable, store through it, put it back read-only so
 * the rest can be read whatever happened. */
static void
try_write(void)
{
	char tag[TAG_LEN];
	int sig;

	try_mprotect("PROT_READ|PROT_WRITE", RW);
	tag_of(tag, 'W', 0);
	sig = store(area, tag);
	printf("store: %s\n", sig ? (sig == SIGBUS ? "SIGBUS" : "SIGSEGV") :
	       "ok");
	try_mprotect("PROT_READ|PROT_EXEC", PROT_READ | PROT_EXEC);
	mprotect(area, pg, PROT_READ);
}

/* A's pages as the file holds them (what a write really changed). */
static void
print_file(void)
{
	char buf[TAG_LEN];
	struct stat st;
	int fd = fd_keep;

	if (fd < 0)
		fd = open(path_a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			  O_NONBLOCK);
	if (fd < 0)
		return;		/* deleted */
	/* not once the path names another file */
	if (!fstat(fd, &st) && st.st_ino == ino_a) {
		printf("A:");
		for (unsigned int i = 0; i < FILE_PAGES; i++) {
			ssize_t r = pread(fd, buf, TAG_LEN, i * pg);

			if (r != TAG_LEN)
				printf(" short");
			else
				print_tag(buf, 0);
		}
		printf("\n");
	}
	if (fd != fd_keep)
		close(fd);
}

/*
 * -s: a sandbox of the program's own, as many programs install after
 * start-up: a seccomp filter that kills the process on openat(2) for
 * writing.  The kernel's remap_file_pages opens nothing.
 */
static void
sandbox(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_WRONLY | O_RDWR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_LEN(f), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		die("seccomp");
	printf("sandbox: openat for writing kills the process\n");
}

static void *
idle(void *arg)
{
	char c;

	/* returns when the process exits: nobody writes the pipe */
	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

int
main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	static int pipefd[2];
	static char before_fds[16384];
	struct sigaction sa = { .sa_handler = on_sigio };
	bool threaded = false, no_free_fd = false, sandboxed = false;
	pthread_t t;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	for (; argc > 1 && argv[1][0] == '-'; argv++, argc--) {
		if (!strcmp(argv[1], "-t"))
			threaded = true;
		else if (!strcmp(argv[1], "-n"))
			no_free_fd = true;
		else if (!strcmp(argv[1], "-s"))
			sandboxed = true;
		else
			break;
	}
	if (argc != 3) {
		fprintf(stderr,
			"usage: t-priv-map [-t] [-n] [-s] SCENARIO DIR|PATH\n");
		return 2;
	}
	catch_faults();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL))
		die("sigaction");
	if (threaded) {
		if (pipe2(pipefd, O_CLOEXEC) ||
		    pthread_create(&t, NULL, idle, &pipefd[0]))
			die("thread");
	}
	setup(argv[1], argv[2]);
	printf("scenario: %s%s%s\n", argv[1], threaded ? ", two threads" : "",
	       no_free_fd ? ", no free descriptor" : "");
	print_area("before");
	list_fds(before_fds, sizeof(before_fds));	/* opens its dir */
	if (sandboxed)
		sandbox();
	if (no_free_fd)
		fill_fd_table(true);
	remap(0, 1, 3);
	/* the remapped page and its neighbour: one open file natively */
	remap(0, 2, 2);
	if (no_free_fd)
		fill_fd_table(false);
	print_vmas(area, AREA_PAGES, ino_a, ino_b);
	print_area("area");
	try_write();
	print_area("after");
	print_file();
	if (lease_fd >= 0) {
		int l = fcntl(lease_fd, F_GETLEASE);

		printf("lease on B: %s, SIGIO: %d\n",
		       l == F_RDLCK ? "F_RDLCK" : l == F_UNLCK ? "F_UNLCK" :
		       "other", (int)sigio);
	}
	fflush(stdout);
	return 0;
}
