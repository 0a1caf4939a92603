/* demo-window.c - the classic use of remap_file_pages(2): a small window
 * onto a large file of records, rearranged page by page without new
 * mmap calls.  Prints a narrative with no addresses in it, so a native run
 * and a run under remaptrace can be compared with diff.
 * Exit 0 when every step behaved as the kernel documents, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILE_PAGES	16
#define WIN_PAGES	4

struct record {
	int page;		/* the file page the record was written to */
	char name[28];
};

static const char *const names[FILE_PAGES] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
	"hotel", "india", "juliett", "kilo", "lima", "mike", "november",
	"oscar", "papa",
};

static long pg;
static char dir[64], path[96];
static int failures;

static void
cleanup(void)
{
	if (path[0])
		unlink(path);
	if (dir[0])
		rmdir(dir);
}

static void __attribute__((noreturn))
fail(const char *what)
{
	fprintf(stderr, "demo-window: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long
rfp(void *start, size_t size, int prot, size_t pgoff)
{
	return syscall(SYS_remap_file_pages, start, size, prot, pgoff, 0);
}

/* Print what each window page shows, read through the window. */
static void
show(const char *label, const char *win)
{
	printf("   %-8s", label);
	for (int i = 0; i < WIN_PAGES; i++) {
		const struct record *r = (const void *)(win + i * pg);

		printf(" [%2d %-8s]", r->page, r->name);
	}
	printf("\n");
}

/* Remap one window page and say so; counts a failure if it fails. */
static void
point(char *win, int wpage, int fpage)
{
	long ret = rfp(win + wpage * pg, pg, 0, fpage);

	printf("   remap_file_pages(window + %d pages, 1 page, 0, %2d, 0) = %ld\n",
	       wpage, fpage, ret);
	if (ret) {
		printf("   unexpected: %s\n", strerror(errno));
		failures++;
	}
}

/* How many mappings (VMAs) make up [@p, @p + @len), from /proc/self/maps. */
static int
count_vmas(const char *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long s, e;
	char line[512];
	int n = 0;

	if (!f)
		fail("open /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	fclose(f);
	return n;
}

static int
make_file(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/demo-window.XXXXXX");
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		fail("mkdtemp");
	}
	snprintf(path, sizeof(path), "%s/records", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg))
		fail("create the data file");
	printf("A data file of %d pages holds one record per page:\n",
	       FILE_PAGES);
	for (int i = 0; i < FILE_PAGES; i++) {
		struct record r = { .page = i };

		snprintf(r.name, sizeof(r.name), "%s", names[i]);
		if (pwrite(fd, &r, sizeof(r), i * pg) != sizeof(r))
			fail("write a record");
		printf("%s[%2d %-8s]%s", i % 4 ? " " : "   ", i, names[i],
		       i % 4 == 3 ? "\n" : "");
	}
	return fd;
}

static void
refusals(char *win, int fd)
{
	struct record before[WIN_PAGES];
	char *priv;
	int changed = 0;
	long ret;

	for (int i = 0; i < WIN_PAGES; i++)
		memcpy(&before[i], win + i * pg, sizeof(before[i]));
	printf("\n5. Invalid calls are refused exactly as the kernel refuses them:\n");
	ret = rfp(win, pg, PROT_READ, 0);
	printf("   prot != 0:                 = %ld %s\n", ret,
	       ret ? strerrorname_np(errno) : "");
	failures += !(ret == -1 && errno == EINVAL);
	priv = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	if (priv == MAP_FAILED)
		fail("mmap private");
	ret = rfp(priv, pg, 0, 1);
	printf("   on a MAP_PRIVATE mapping:  = %ld %s\n", ret,
	       ret ? strerrorname_np(errno) : "");
	failures += !(ret == -1 && errno == EINVAL);
	munmap(priv, pg);
	show("window:", win);
	for (int i = 0; i < WIN_PAGES; i++)
		changed |= memcmp(&before[i], win + i * pg, sizeof(before[i]));
	printf("   (the window is %s)\n", changed ? "CHANGED" : "unchanged");
	failures += changed != 0;
}

int
main(void)
{
	struct record back;
	char *win;
	long ret;
	int fd;

	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(cleanup);
	fd = make_file();

	printf("\n1. mmap(MAP_SHARED) a window of %d pages onto file pages 0-3:\n",
	       WIN_PAGES);
	win = mmap(NULL, WIN_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (win == MAP_FAILED)
		fail("mmap the window");
	show("window:", win);

	printf("\n2. Slide the whole window to file pages 12-15 in one call:\n");
	ret = rfp(win, WIN_PAGES * pg, 0, 12);
	printf("   remap_file_pages(window, %d pages, 0, 12, 0) = %ld\n",
	       WIN_PAGES, ret);
	failures += ret != 0;
	show("window:", win);

	printf("\n3. Pick pages in any order, one call per window page:\n");
	point(win, 0, 9);
	point(win, 1, 3);
	point(win, 2, 14);
	point(win, 3, 6);
	show("window:", win);
	printf("   The same file page may show twice:\n");
	point(win, 3, 9);
	show("window:", win);

	printf("\n4. Write through the window; the write lands in the file:\n");
	snprintf(((struct record *)(win + 2 * pg))->name, 28, "OSCAR*");
	printf("   window page 2 := \"OSCAR*\"\n");
	if (pread(fd, &back, sizeof(back), 14 * pg) != sizeof(back))
		fail("pread");
	printf("   pread(file page 14) -> [%2d %-8s]\n", back.page, back.name);
	failures += strcmp(back.name, "OSCAR*") != 0;
	show("window:", win);

	refusals(win, fd);

	printf("\n6. Since Linux 4.0 the kernel emulates remap_file_pages with mmap,\n"
	       "   so the window is now made of %d mappings (VMAs).\n",
	       count_vmas(win, WIN_PAGES * pg));
	printf("\n%s\n", failures ? "Something went wrong (see above)."
				  : "Every step behaved as documented.");
	return failures ? 1 : 0;
}
