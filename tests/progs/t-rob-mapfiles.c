/* t-rob-mapfiles.c - many shared mmaps, each of an open file of its own,
 * then remap_file_pages calls in a child and in the program itself.
 *
 *   t-rob-mapfiles N
 *
 * Prints its RLIMIT_NOFILE (which must be what it is natively), maps one
 * page of a tagged memfd N times, each through a new open file (open(2) of
 * /proc/self/fd/M; the descriptor is closed after its mmap), then a child
 * and the program each remap a fresh window and print the page they see.
 * Exit: 0 ok; 1 a call failed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "t-rob.h"

/* Remap page 3 into the first page of a fresh window, print what shows. */
static void
remap_one(int fd, long pg, const char *who)
{
	char *w = mmap(NULL, WIN_PAGES * pg, PROT_READ, MAP_SHARED, fd, 0);
	int r;

	if (w == MAP_FAILED)
		die("window");
	r = remap_file_pages(w, pg, 0, 3, 0);
	printf("%s: rfp=%d%s%s page=%.5s\n", who, r, r ? " " : "",
	       r ? strerror(errno) : "", w);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE), n, i;
	struct rlimit rl;
	char path[64];
	int fd, status;
	pid_t pid;

	if (argc != 2 || (n = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: t-rob-mapfiles N\n");
		return 64;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	printf("nofile: soft=%llu hard=%llu\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max);
	fd = file_of_pages("mapfiles", pg, FILE_PAGES);
	for (i = 0; i < FILE_PAGES; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "P%04ld", i);
		if (pwrite(fd, tag, 5, i * pg) != 5)
			die("pwrite");
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (i = 0; i < n; i++) {
		int f = open(path, O_RDONLY | O_CLOEXEC);

		if (f < 0 || mmap(NULL, pg, PROT_READ, MAP_SHARED, f, 0) ==
			     MAP_FAILED)
			die("open or mmap");
		close(f);
	}
	printf("mapped: %ld open files\n", n);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		remap_one(fd, pg, "child");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status)
		die("child");
	remap_one(fd, pg, "program");
	return 0;
}
