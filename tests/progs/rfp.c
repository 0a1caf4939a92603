/* rfp.c - scenario driver for remap_file_pages(2): builds one kind of
 * mapping, makes one call, and prints what it observed without addresses,
 * so that a native run and a run under remaptrace compare line by line.
 *
 * Usage: rfp [-w] [-o] KIND START SIZE PGOFF [PROT [FLAGS]]
 *   START  byte offset from the start of the area ("1p+100": one page and
 *          100 bytes), SIZE bytes ("2p"), PGOFF pages, PROT and FLAGS
 *          numbers (0x... accepted).  -w writes "Wnnnn" into each area
 *          page after the call, to show where writes land.  -o maps
 *          the scenario's pages with i386's old mmap(struct *), which
 *          takes its arguments from memory (a 32-bit build only; else
 *          exit 77).
 * Prints the call's result, the VMAs covering the area (relative page,
 * length, perms, object@page offset, VmFlags), the tag seen through each
 * area page ("P0005" = file A page 5, "Q0001" = file B page 1) and the
 * pages of the objects as the file itself holds them (pread).
 * Exit 0 whatever the call returned; 1 when the scenario could not be set
 * up; 2 on bad usage; 77 when the kernel lacks what the scenario needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RES_PAGES	64	/* address space reserved for a scenario */
#define AREA_AT		16	/* the area starts this many pages in */
#define VIEW_AT		48	/* a second, linear view of shmem objects */
#define FILE_PAGES	8	/* pages in files A and B */
#define OBJ_PAGES	4	/* pages in shared anonymous objects */
#define TAG_LEN		5

#ifndef SYS_mseal
#define SYS_mseal	462	/* Linux 6.10; one number on every arch */
#endif

static size_t pg;		/* page size */
static char *res;		/* reservation of RES_PAGES pages */
static bool used[RES_PAGES];	/* reservation pages a scenario keeps */
static char *area;		/* res + AREA_AT pages */
static unsigned int area_pages;	/* how many pages the scenario prints */
static char tmpdir[64];		/* mkdtemp directory, removed at exit */
static char path_a[96], path_b[96];
static int fd_a = -1, fd_b = -1;	/* descriptors rfp reads files with */
static unsigned int a_pages;	/* pages of object A to print */
static ino_t ino_a, ino_b;	/* labels for the VMA lines */
static char *view;		/* linear view of a shmem object A */
static bool reopen_after;	/* "closed": reopen A to read it */
static bool prot_none;		/* "prot-none": make readable before peeking */
static bool old_mmap;		/* -o: place() uses i386's old mmap */

#include "scenario.h"

static void
cleanup(void)
{
	if (path_a[0])
		unlink(path_a);
	if (path_b[0])
		unlink(path_b);
	if (tmpdir[0])
		rmdir(tmpdir);
}

static const char *
signame(int sig)
{
	return sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
}

/* Put in @out the tag at @p, "zeros", or the signal reading raised. */
static void
peek(const char *p, char out[16])
{
	char buf[TAG_LEN];
	bool zero = true;
	int sig = load(p, buf);

	if (sig) {
		snprintf(out, 16, "%s", signame(sig));
		return;
	}
	for (int i = 0; i < TAG_LEN; i++) {
		if (buf[i])
			zero = false;
		out[i] = buf[i] >= 0x21 && buf[i] < 0x7f ? buf[i] : '.';
	}
	out[TAG_LEN] = '\0';
	if (zero)
		snprintf(out, 16, "zeros");
}

/* Create a FILE_PAGES-page file whose page i starts with "<c>%04u". */
static int
make_file(char *path, size_t size, const char *name, char c, int flags)
{
	char tag[TAG_LEN];
	int fd;

	if (!tmpdir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/rfp.XXXXXX",
			 t && strlen(t) < 40 ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			tmpdir[0] = '\0';
			die("mkdtemp");
		}
	}
	snprintf(path, size, "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s", name);
	if (ftruncate(fd, FILE_PAGES * pg))
		die("ftruncate");
	for (unsigned int i = 0; i < FILE_PAGES; i++) {
		tag_of(tag, c, i);
		if (pwrite(fd, tag, TAG_LEN, i * pg) != TAG_LEN)
			die("pwrite");
	}
	if (flags != O_RDWR) {
		close(fd);
		fd = open(path, flags | O_CLOEXEC);
		if (fd < 0)
			die("reopen %s", name);
	}
	return fd;
}

/* Map @n pages of @fd (from file page @off) at area page @at, MAP_FIXED. */
static void
place(unsigned int at, unsigned int n, int prot, int flags, int fd,
      unsigned int off)
{
#ifdef __i386__
	/* mm/mmap.c: old_mmap(struct mmap_arg_struct __user *) */
	uint32_t args[6] = { (uint32_t)(uintptr_t)page(area, at), n * pg,
			     (uint32_t)prot, (uint32_t)(flags | MAP_FIXED),
			     (uint32_t)fd, off * pg };

	if (old_mmap) {
		if (syscall(SYS_mmap, args) == -1)
			die("old mmap");
		for (unsigned int i = 0; i < n; i++)
			used[AREA_AT + at + i] = true;
		return;
	}
#endif
	if (mmap(page(area, at), n * pg, prot, flags | MAP_FIXED, fd,
		 (off_t)off * pg) == MAP_FAILED)
		die("mmap");
	for (unsigned int i = 0; i < n; i++)
		used[AREA_AT + at + i] = true;
}

/* Write page tags "P%04u" through the area (anonymous objects). */
static void
tag_area(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		tag_of(page(area, i), 'P', i);
}

#define RW	(PROT_READ | PROT_WRITE)
#define SH	MAP_SHARED

static void
setup_file(const char *kind)
{
	fd_a = make_file(path_a, sizeof(path_a), "A", 'P', O_RDWR);
	a_pages = FILE_PAGES;
	area_pages = 4;
	place(0, 4, RW, SH, fd_a, 0);
	if (!strcmp(kind, "closed")) {
		/* mmap, then close: the mapping is the only reference */
		close(fd_a);
		fd_a = -1;
		reopen_after = true;
	} else if (!strcmp(kind, "deleted")) {
		if (unlink(path_a))
			die("unlink");
		path_a[0] = '\0';
	} else if (!strcmp(kind, "locked")) {
		if (mlock(area, 4 * pg))
			die("mlock");
	} else if (!strcmp(kind, "sealed")) {
		if (syscall(SYS_mseal, area, 4 * pg, 0)) {
			if (errno != ENOSYS)
				die("mseal");
			fprintf(stderr, "rfp: mseal needs Linux 6.10\n");
			exit(77);
		}
	}
}

static void
setup_memfd(void)
{
	char tag[TAG_LEN];

	fd_a = memfd_create("rfp", MFD_CLOEXEC);
	if (fd_a < 0)
		die("memfd_create");
	if (ftruncate(fd_a, FILE_PAGES * pg))
		die("ftruncate");
	for (unsigned int i = 0; i < FILE_PAGES; i++) {
		tag_of(tag, 'P', i);
		if (pwrite(fd_a, tag, TAG_LEN, i * pg) != TAG_LEN)
			die("pwrite");
	}
	a_pages = FILE_PAGES;
	area_pages = 4;
	place(0, 4, RW, SH, fd_a, 0);
}

/* Shared anonymous memory or /dev/zero: a shmem object of OBJ_PAGES. */
static void
setup_shmem(bool devzero)
{
	int fd = -1;

	if (devzero) {
		fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die("open /dev/zero");
	}
	place(0, OBJ_PAGES, RW, SH | (devzero ? 0 : MAP_ANONYMOUS), fd, 0);
	if (fd >= 0)
		close(fd);
	tag_area(OBJ_PAGES);
	/* mremap of old size 0 maps the same object again, linearly */
	view = mremap(area, 0, OBJ_PAGES * pg, MREMAP_MAYMOVE | MREMAP_FIXED,
		      page(res, VIEW_AT));
	if (view == MAP_FAILED)
		die("mremap");
	for (unsigned int i = 0; i < OBJ_PAGES; i++)
		used[VIEW_AT + i] = true;
	a_pages = OBJ_PAGES;
	area_pages = OBJ_PAGES;
}

static void
setup_private(bool anon)
{
	area_pages = 4;
	if (anon) {
		place(0, 4, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		tag_area(4);
		return;
	}
	fd_a = make_file(path_a, sizeof(path_a), "A", 'P', O_RDWR);
	a_pages = FILE_PAGES;
	place(0, 4, RW, MAP_PRIVATE, fd_a, 0);
}

/* Two VMAs side by side (or with a hole) over the area. */
static void
setup_pair(const char *kind)
{
	fd_a = make_file(path_a, sizeof(path_a), "A", 'P', O_RDWR);
	a_pages = FILE_PAGES;
	area_pages = 4;
	if (!strcmp(kind, "rdonly")) {
		close(fd_a);
		fd_a = open(path_a, O_RDONLY | O_CLOEXEC);
		if (fd_a < 0)
			die("open O_RDONLY");
		place(0, 4, PROT_READ, SH, fd_a, 0);
	} else if (!strcmp(kind, "hole")) {
		area_pages = 5;
		place(0, 2, RW, SH, fd_a, 0);
		place(3, 2, RW, SH, fd_a, 2);
	} else if (!strcmp(kind, "split")) {
		place(0, 2, RW, SH, fd_a, 0);
		place(2, 2, RW, SH, fd_a, 5);
	} else if (!strcmp(kind, "twofiles")) {
		fd_b = make_file(path_b, sizeof(path_b), "B", 'Q', O_RDWR);
		place(0, 2, RW, SH, fd_a, 0);
		place(2, 2, RW, SH, fd_b, 0);
	} else if (!strcmp(kind, "reopen")) {
		/* the same file, a second open file description */
		int fd2 = open(path_a, O_RDWR | O_CLOEXEC);

		if (fd2 < 0)
			die("open again");
		place(0, 2, RW, SH, fd_a, 0);
		place(2, 2, RW, SH, fd2, 2);
		close(fd2);
	} else if (!strcmp(kind, "prot")) {
		place(0, 4, RW, SH, fd_a, 0);
		if (mprotect(page(area, 2), 2 * pg, PROT_READ))
			die("mprotect");
	} else if (!strcmp(kind, "end")) {
		place(0, 2, RW, SH, fd_a, 0);
	} else if (!strcmp(kind, "prot-none")) {
		place(0, 4, PROT_NONE, SH, fd_a, 0);
		prot_none = true;
	}
}

struct kind {
	const char *name;
	const char *what;
};

static const struct kind kinds[] = {
	{ "file", "file A (8 pages) mapped shared, pages 0-3" },
	{ "closed", "file A pages 0-3 mapped shared, descriptor closed" },
	{ "deleted", "file A pages 0-3 mapped shared, file unlinked" },
	{ "locked", "file A pages 0-3 mapped shared and mlock()ed" },
	{ "sealed", "file A pages 0-3 mapped shared and mseal()ed" },
	{ "memfd", "memfd A (8 pages) mapped shared, pages 0-3" },
	{ "shanon", "shared anonymous memory, 4 pages" },
	{ "devzero", "/dev/zero mapped shared, 4 pages" },
	{ "private", "file A pages 0-3 mapped private" },
	{ "anon", "private anonymous memory, 4 pages" },
	{ "rdonly", "file A opened O_RDONLY, pages 0-3 mapped shared" },
	{ "hole", "A pages 0-1 at 0-1, hole at 2, A pages 2-3 at 3-4" },
	{ "split", "A pages 0-1 at 0-1, A pages 5-6 at 2-3 (one open file)" },
	{ "twofiles", "A pages 0-1 at 0-1, B pages 0-1 at 2-3" },
	{ "reopen", "A pages 0-1 at 0-1, A opened again, pages 2-3 at 2-3" },
	{ "prot", "A pages 0-3 shared, pages 2-3 mprotect()ed read-only" },
	{ "end", "A pages 0-1 at 0-1, nothing mapped after" },
	{ "prot-none", "A pages 0-3 mapped shared with PROT_NONE" },
};

static void
setup(const char *kind)
{
	struct stat st;

	res = mmap(NULL, RES_PAGES * pg, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("mmap reservation");
	area = page(res, AREA_AT);
	if (!strcmp(kind, "file") || !strcmp(kind, "closed") ||
	    !strcmp(kind, "deleted") || !strcmp(kind, "locked") ||
	    !strcmp(kind, "sealed"))
		setup_file(kind);
	else if (!strcmp(kind, "memfd"))
		setup_memfd();
	else if (!strcmp(kind, "shanon") || !strcmp(kind, "devzero"))
		setup_shmem(!strcmp(kind, "devzero"));
	else if (!strcmp(kind, "private") || !strcmp(kind, "anon"))
		setup_private(!strcmp(kind, "anon"));
	else
		setup_pair(kind);
	/* VMAs of the object at the area's start are labelled "A" */
	ino_a = ino_at(area);
	if (fd_b >= 0 && !fstat(fd_b, &st))
		ino_b = st.st_ino;
	/*
	 * Unmap what the scenario left of the reservation, so holes are real
	 * holes.  From here to the call nothing may map memory.
	 */
	for (unsigned int i = 0; i < RES_PAGES; i++) {
		unsigned int j = i;

		while (j < RES_PAGES && !used[j])
			j++;
		if (j > i && munmap(page(res, i), (j - i) * pg))
			die("munmap");
		i = j;
	}
}

static int
parse_num(const char *s, uint64_t *out)
{
	uint64_t sum = 0;
	char *end;

	for (;;) {
		uint64_t v;

		errno = 0;
		v = strtoull(s, &end, 0);
		if (errno || end == s)
			return -EINVAL;
		if (*end == 'p') {
			v *= pg;
			end++;
		}
		sum += v;
		if (*end != '+')
			break;
		s = end + 1;
	}
	if (*end)
		return -EINVAL;
	*out = sum;
	return 0;
}

static void
print_area(void)
{
	char tag[16];

	if (prot_none &&
	    mprotect(area, area_pages * pg, PROT_READ | PROT_WRITE))
		die("mprotect");
	printf("area:");
	for (unsigned int i = 0; i < area_pages; i++) {
		peek(page(area, i), tag);
		printf(" %s", tag);
	}
	printf("\n");
}

static void
print_object(const char *name, int fd, char *lin, unsigned int n)
{
	char buf[TAG_LEN + 1], tag[16];

	printf("%s:", name);
	for (unsigned int i = 0; i < n; i++) {
		if (lin) {
			peek(page(lin, i), tag);
		} else {
			ssize_t r = pread(fd, buf, TAG_LEN, i * pg);

			memset(tag, 0, sizeof(tag));
			if (r != TAG_LEN)
				snprintf(tag, sizeof(tag), "short");
			else
				memcpy(tag, buf, TAG_LEN);
		}
		printf(" %s", tag);
	}
	printf("\n");
}

static void
write_area(void)
{
	printf("write:");
	char tag[TAG_LEN];

	for (unsigned int i = 0; i < area_pages; i++) {
		int sig;

		tag_of(tag, 'W', i);
		sig = store(page(area, i), tag);
		printf(" %s", sig ? signame(sig) : "ok");
	}
	printf("\n");
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: rfp [-w] [-o] KIND START SIZE PGOFF [PROT [FLAGS]]\n"
		"  START, SIZE in bytes (\"2p\" = two pages, \"1p+100\"),"
		" relative to the area\nkinds:\n");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(stderr, "  %-10s %s\n", kinds[i].name, kinds[i].what);
	exit(2);
}

int
main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	uint64_t start, size, pgoff, prot = 0, flags = 0;
	const struct kind *k = NULL;
	bool do_write = false;
	long ret;
	int err;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	/* a static buffer: printing must not map memory */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (argc > 1 && !strcmp(argv[1], "-w")) {
		do_write = true;
		argv++;
		argc--;
	}
	if (argc > 1 && !strcmp(argv[1], "-o")) {
#ifndef __i386__
		fprintf(stderr, "rfp: -o: old mmap is i386's\n");
		return 77;
#endif
		old_mmap = true;
		argv++;
		argc--;
	}
	if (argc < 5 || argc > 7)
		usage();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i].name))
			k = &kinds[i];
	if (!k || parse_num(argv[2], &start) || parse_num(argv[3], &size) ||
	    parse_num(argv[4], &pgoff) ||
	    (argc > 5 && parse_num(argv[5], &prot)) ||
	    (argc > 6 && parse_num(argv[6], &flags)))
		usage();
	atexit(cleanup);
	catch_faults();
	setup(k->name);
	/* syscall(2) takes longs: a 32-bit build passes each in one. */
	ret = syscall(SYS_remap_file_pages, (unsigned long)((uintptr_t)area +
							   start),
		      (unsigned long)size, (unsigned long)prot,
		      (unsigned long)pgoff, (unsigned long)flags);
	err = errno;

	printf("kind: %s (%s)\n", k->name, k->what);
	printf("call: remap_file_pages(area+%#" PRIx64 ", %#" PRIx64
	       ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ")\n",
	       start, size, prot, pgoff, flags);
	if (ret == 0)
		printf("result: 0\n");
	else
		printf("result: %ld %s\n", ret, strerrorname_np(err));
	print_vmas(area, area_pages, ino_a, ino_b);
	print_area();
	if (do_write)
		write_area();
	if (reopen_after) {
		fd_a = open(path_a, O_RDONLY | O_CLOEXEC);
		if (fd_a < 0)
			die("reopen A");
	}
	if (view || fd_a >= 0)
		print_object("A", fd_a, view, a_pages);
	if (fd_b >= 0)
		print_object("B", fd_b, NULL, FILE_PAGES);
	return 0;
}
