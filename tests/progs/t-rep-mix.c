/* t-rep-mix.c - a known mix of valid and invalid remap_file_pages(2)
 * calls, for the report tests (-c counts, --json, modes, --inject).
 *
 * Usage: t-rep-mix VALID INVALID [NAME]
 *   Makes VALID calls on a shared 4-page memfd mapping (each moves file
 *   page i % 4 into the first page), then INVALID calls on private
 *   anonymous memory (EINVAL, the mapping is not VM_SHARED).  Prints
 *   "call N: 0" or "call N: -1 ENAME" per call and the file page the first
 *   page shows at the end ("first page: P2"), so native and traced runs
 *   compare line by line.  NAME names the memfd (default "t-rep-mix"),
 *   which /proc/PID/maps shows as "/memfd:NAME (deleted)": any bytes a
 *   test wants a path in the log to hold.
 *   Exit 0; 2 on bad usage; 1 if setup failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *
errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	default: return "E?";
	}
}

static void
report(int n, long ret)
{
	if (ret == 0)
		printf("call %d: 0\n", n);
	else
		printf("call %d: -1 %s\n", n, errname(errno));
}

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	int valid, invalid, fd, n = 0;
	char *shared, *priv;

	if (argc != 3 && argc != 4)
		goto usage;
	valid = atoi(argv[1]);
	invalid = atoi(argv[2]);
	if (valid < 0 || invalid < 0)
		goto usage;
	fd = memfd_create(argc == 4 ? argv[3] : "t-rep-mix", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4 * pg))
		return perror("t-rep-mix: memfd"), 1;
	shared = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		return perror("t-rep-mix: mmap"), 1;
	for (int i = 0; i < 4; i++)
		snprintf(shared + i * pg, 8, "P%d", i);

	for (int i = 1; i <= valid; i++)
		report(++n, syscall(SYS_remap_file_pages, shared, pg, 0, i % 4,
				    0));
	for (int i = 0; i < invalid; i++)
		report(++n, syscall(SYS_remap_file_pages, priv, pg, 0, 0, 0));
	printf("first page: %s\n", shared);
	return 0;
usage:
	fprintf(stderr, "usage: t-rep-mix VALID INVALID [NAME]\n");
	return 2;
}
