/* t-rep-db.c - the worked example of doc/debugging-einval.md: a tiny
 * "database" that maps its file and asks remap_file_pages(2) to swap the
 * first and the last record page in its view of the file.  Mapped
 * MAP_PRIVATE (the bug) the first call fails with EINVAL; mapped
 * MAP_SHARED both work.
 *
 * Usage: t-rep-db [--wait] private|shared FILE
 *   Creates FILE with 4 pages ("record 0" .. "record 3"), maps it, and
 *   makes the two calls.  --wait prints "t-rep-db: pid PID maps FILE at ADDR"
 *   and waits for the end of standard input before calling (for
 *   `remaptrace explain`).  Messages go to stderr, unbuffered, so that
 *   they fall in order among remaptrace's log lines.
 * Exit 0 when every call worked, 1 when one failed, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGES	4

static long pg;

static char *
open_db(const char *path, bool shared)
{
	char rec[16];
	char *p;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, PAGES * pg))
		return NULL;
	for (int i = 0; i < PAGES; i++) {
		snprintf(rec, sizeof(rec), "record %d", i);
		if (pwrite(fd, rec, strlen(rec) + 1, i * pg) < 0)
			return NULL;
	}
	p = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Show file page @pgoff in page @at of the mapping. */
static int
show(char *map, int at, long pgoff)
{
	if (syscall(SYS_remap_file_pages, map + at * pg, pg, 0, pgoff, 0)) {
		fprintf(stderr, "t-rep-db: remap_file_pages(page %d, record "
			"%ld): %s\n", at, pgoff, strerror(errno));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	bool wait = argc > 1 && !strcmp(argv[1], "--wait");
	char *map, buf[64];

	argv += wait;
	argc -= wait;
	if (argc != 3 || (strcmp(argv[1], "private") &&
			  strcmp(argv[1], "shared"))) {
		fprintf(stderr, "usage: t-rep-db [--wait] private|shared FILE\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	map = open_db(argv[2], !strcmp(argv[1], "shared"));
	if (!map) {
		fprintf(stderr, "t-rep-db: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (wait) {
		fprintf(stderr, "t-rep-db: pid %d maps %s at %p\n",
			(int)getpid(), argv[2], (void *)map);
		while (read(0, buf, sizeof(buf)) > 0)
			;
	}
	if (show(map, 0, 3) || show(map, 3, 0))
		return 1;
	fprintf(stderr, "t-rep-db: the pages read: %s, %s, %s, %s\n", map,
		map + pg, map + 2 * pg, map + 3 * pg);
	return 0;
}
