/* t-anon-apart.c - remap_file_pages(2) in shared anonymous memory whose
 * other pieces do not touch the range: the offset it asks for is mapped
 * only by a piece further away.  No descriptor names such memory, so a
 * second mapping of that piece is the one way to reach the offset.
 *
 * Usage: t-anon-apart hole | far | unlocked | future-ended | userns
 *   hole  4 pages of shared anonymous memory, page 1 unmapped: page 0 is
 *         remapped onto offset 3, which only the piece at pages 2-3 maps
 *   far   4 pages duplicated by mremap(old_size 0) 56 pages further
 *         up, then pages 2-3 of the original unmapped: page 0 is remapped
 *         onto offset 3, which only the far copy maps
 *   unlocked  4 pages; a private page is mlocked and munlocked first
 *         (nothing is locked after), then page 1 is remapped onto
 *         offset 3, then onto offset 2, which page 2 maps: the kernel
 *         locks neither, so neither may the piece lent by page 2
 *   future-ended  4 pages; mlockall(MCL_FUTURE), then mlockall(MCL_CURRENT),
 *         which locks what is mapped and ends MCL_FUTURE, then the 4
 *         pages unlocked; page 1 is remapped onto offset 3, then onto
 *         offset 2, as in unlocked (other memory stays locked)
 *   userns  in a user namespace of its own (where CapEff shows every
 *         capability, but CAP_IPC_LOCK is judged in the initial one),
 *         page 1 mlocked, RLIMIT_MEMLOCK one page, then page 1 remapped
 *         onto offset 2: over the limit (EAGAIN), and page 1 stays
 *         locked; never a remap that loses the lock
 * Prints "remap: RESULT" (0 or an errno name) and the tag each page of
 * the original range shows ("A: a - c d", "-" for a page not mapped);
 * unlocked prints VmLck too; future-ended whether VmLck changed.
 * Exit 0 when the scenario ran whatever the call returned, 1 on setup
 * failure, 2 on bad usage.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define AREA_PAGES	128
#define AT		8	/* where the memory lies in the area (pages) */
#define FAR		64	/* where its copy lies */

static void
die(const char *what)
{
	fprintf(stderr, "t-anon-apart: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
said(int r)
{
	printf("remap: %s\n", r == 0 ? "0" : strerrorname_np(errno));
}

/* The tag each page of the range shows, "-" for one not mapped. */
static int
tags(const char *a, long pg)
{
	unsigned char vec;
	int i;

	printf("A:");
	for (i = 0; i < 4; i++) {
		if (mincore((void *)(a + i * pg), pg, &vec) && errno == ENOMEM)
			printf(" -");
		else
			printf(" %c", a[i * pg]);
	}
	printf("\n");
	return 0;
}

/* The process's locked memory (/proc/self/status), kB, or -1. */
static long
vmlck(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *area, *a;
	int i;

	if (argc != 2 || (strcmp(argv[1], "hole") && strcmp(argv[1], "far") &&
			  strcmp(argv[1], "unlocked") &&
			  strcmp(argv[1], "future-ended") &&
			  strcmp(argv[1], "userns"))) {
		fprintf(stderr, "usage: t-anon-apart hole | far | unlocked | "
			"future-ended | userns\n");
		return 2;
	}
	if (!strcmp(argv[1], "userns") && unshare(CLONE_NEWUSER))
		die("unshare");
	/* Room reserved, so that nothing else lands between the pieces. */
	area = mmap(NULL, AREA_PAGES * pg, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	a = mmap(area + AT * pg, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED)
		die("mmap shared");
	for (i = 0; i < 4; i++)
		memset(a + i * pg, 'a' + i, pg);
	if (!strcmp(argv[1], "userns")) {
		struct rlimit one = { (rlim_t)pg, (rlim_t)pg };

		if (mlock(a + pg, pg) || setrlimit(RLIMIT_MEMLOCK, &one))
			die("mlock");
		said(remap_file_pages(a + pg, pg, 0, 2, 0));
		printf("VmLck: %ld kB\n", vmlck());
		return tags(a, pg);
	}
	if (!strcmp(argv[1], "unlocked")) {
		static char other[1 << 16];
		char *page = (char *)(((uintptr_t)other + pg - 1) &
				      ~(uintptr_t)(pg - 1));

		if (mlock(page, pg) || munlock(page, pg))
			die("mlock");
		said(remap_file_pages(a + pg, pg, 0, 3, 0));
		said(remap_file_pages(a + pg, pg, 0, 2, 0));
		printf("VmLck: %ld kB\n", vmlck());
		return tags(a, pg);
	}
	if (!strcmp(argv[1], "future-ended")) {
		long before;

		if (mlockall(MCL_FUTURE) || mlockall(MCL_CURRENT) ||
		    munlock(a, 4 * pg))
			die("mlockall");
		before = vmlck();
		said(remap_file_pages(a + pg, pg, 0, 3, 0));
		said(remap_file_pages(a + pg, pg, 0, 2, 0));
		printf("VmLck %s\n", vmlck() == before ? "unchanged" : "changed");
		return tags(a, pg);
	}
	if (!strcmp(argv[1], "hole")) {
		if (munmap(a + pg, pg))
			die("munmap");
	} else {
		if (mremap(a, 0, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED,
			   area + FAR * pg) == MAP_FAILED)
			die("mremap");
		if (munmap(a + 2 * pg, 2 * pg))
			die("munmap");
	}
	said(remap_file_pages(a, pg, 0, 3, 0));
	return tags(a, pg);
}
