/* t-exec.c - one remap_file_pages on a file of its own, what it saw, then
 * exec the rest of its arguments: a chain of 64-bit and 32-bit builds of
 * it (tests/integration/16-i386.bats) is a tree whose ABI changes at
 * each exec.
 *
 * Usage: t-exec [PROGRAM ARGS...]
 * Prints "<bits>-bit: remap = R, page 0 holds P"; exit 0, 1 when it
 * could not set up, 127 when the exec failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE), r;
	unsigned int *m;
	int fd, i;

	fd = memfd_create("t-exec", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4 * pg) < 0)
		return 1;
	m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	for (i = 0; i < 4; i++)
		m[i * pg / sizeof(*m)] = 100 + i;
	/* syscall(2) takes longs: one argument each, in either build. */
	r = syscall(SYS_remap_file_pages, (unsigned long)m, (unsigned long)pg,
		    0UL, 3UL, 0UL);
	printf("%d-bit: remap = %ld%s%s, page 0 holds %u\n",
	       (int)(sizeof(long) * 8), r, r ? " " : "",
	       r ? strerror(errno) : "", m[0]);
	fflush(stdout);
	if (argc < 2)
		return 0;
	execv(argv[1], argv + 1);
	perror("t-exec: execv");
	return 127;
}
