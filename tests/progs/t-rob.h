/* t-rob.h - shared by the t-rob-* test programs: failing loudly, and a
 * window onto a freshly tagged memfd (file page p holds "P%04d").
 */
#ifndef T_ROB_H
#define T_ROB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FILE_PAGES	8
#define WIN_PAGES	4

static inline void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

/* A fresh memfd @name of FILE_PAGES pages. */
static inline int
file_of_pages(const char *name, long pg)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg))
		die("memfd");
	return fd;
}

/* @fd's first WIN_PAGES mapped MAP_SHARED; @fd is closed. */
static inline char *
window_of(int fd, long pg)
{
	char *win = mmap(NULL, WIN_PAGES * pg, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);

	if (win == MAP_FAILED)
		die("mmap");
	close(fd);
	return win;
}

/* A fresh memfd @name of FILE_PAGES tagged pages, mapped MAP_SHARED over
 * its first WIN_PAGES; the descriptor is closed again. */
static inline char *
tagged_window(const char *name, long pg)
{
	int fd = file_of_pages(name, pg);

	for (int p = 0; p < FILE_PAGES; p++) {
		char t[16];

		snprintf(t, sizeof(t), "P%04d", p);
		if (pwrite(fd, t, 5, p * pg) != 5)
			die("pwrite");
	}
	return window_of(fd, pg);
}

#endif
