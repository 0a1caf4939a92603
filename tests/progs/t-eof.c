/* t-eof.c - the most common remap_file_pages bug: a valid call whose
 * pages lie past the end of a small file, then an access that dies of
 * SIGBUS.
 *
 * Usage: t-eof DIR FILE_PAGES PGOFF [touch]
 *   Prints "pid: N", creates DIR/f of FILE_PAGES pages, maps 2 of its
 *   pages MAP_SHARED read-write, prints "addr: 0x...", remaps the first
 *   page to PGOFF and prints "remap: 0" or "remap: -1 ERRNO".  With "touch" it then reads that page (SIGBUS when
 *   PGOFF is past the end) and prints "read: ok".  Exit 0; 1 if the set-up
 *   failed; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[4096];
	volatile char *p;
	long pages, pgoff;
	int fd;

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "touch"))) {
		fprintf(stderr, "usage: t-eof DIR FILE_PAGES PGOFF [touch]\n");
		return 2;
	}
	printf("pid: %d\n", (int)getpid());
	pages = atol(argv[2]);
	pgoff = atol(argv[3]);
	snprintf(path, sizeof(path), "%s/f", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, pages * pg) < 0) {
		perror("t-eof: file");
		return 1;
	}
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("t-eof: mmap");
		return 1;
	}
	printf("addr: %p\n", (void *)p);
	if (syscall(SYS_remap_file_pages, p, pg, 0, pgoff, 0) == 0)
		printf("remap: 0\n");
	else
		printf("remap: -1 %s\n", strerror(errno));
	fflush(stdout);
	if (argc == 5) {
		(void)p[0];
		printf("read: ok\n");
	}
	return 0;
}
