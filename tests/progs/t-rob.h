/* t-rob.h - shared by the robustness test programs: failing loudly, a
 * window onto a freshly tagged memfd (file page p holds "P%04d"), and a
 * process's name, state and parent from /proc.
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

/* A fresh memfd @name of @pages pages. */
static inline int
file_of_pages(const char *name, long pg, long pages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, pages * pg))
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
	int fd = file_of_pages(name, pg, FILE_PAGES);

	for (int p = 0; p < FILE_PAGES; p++) {
		char t[16];

		snprintf(t, sizeof(t), "P%04d", p);
		if (pwrite(fd, t, 5, p * pg) != 5)
			die("pwrite");
	}
	return window_of(fd, pg);
}

/* Name and state of @pid from /proc/PID/stat; 0 on success. */
static inline int
stat_of(pid_t pid, char *name, size_t size, char *state, pid_t *ppid)
{
	char path[64], buf[512], *l, *r;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = '\0';
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || sscanf(r + 2, "%c %d", state, ppid) != 2)
		return -1;
	snprintf(name, size, "%.*s", (int)(r - l - 1), l + 1);
	return 0;
}

#endif
