/* t-stack.c - remap_file_pages(2) called from functions with known names,
 * for -k: the unwound stack must name them.  Built with frame pointers
 * and debug info, without inlining (the Makefile's PROG_CFLAGS).
 *
 * Usage: t-stack valid     one valid call (shared memfd mapping)
 *        t-stack invalid   one invalid call (private anonymous memory)
 * Prints "result: 0" or "result: -1 EINVAL".  Exit 0; 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* noinline and used: each keeps its own frame, named in the symbol table. */
static __attribute__((noinline, used)) long
rt_stack_caller(char *p, long pg)
{
	return syscall(SYS_remap_file_pages, p, pg, 0, 1, 0);
}

static __attribute__((noinline, used)) long
rt_stack_outer(char *p, long pg)
{
	long r = rt_stack_caller(p, pg);

	/* keeps this frame a real caller, not a tail call */
	__asm__ volatile("" ::: "memory");
	return r;
}

int
main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p;
	int fd;

	if (argc != 2 || (strcmp(argv[1], "valid") && strcmp(argv[1], "invalid"))) {
		fprintf(stderr, "usage: t-stack valid|invalid\n");
		return 2;
	}
	if (!strcmp(argv[1], "valid")) {
		fd = memfd_create("t-stack", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 2 * pg))
			return perror("t-stack: memfd"), 1;
		p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
	} else {
		p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED)
		return perror("t-stack: mmap"), 1;
	if (rt_stack_outer(p, pg) == 0)
		printf("result: 0\n");
	else
		printf("result: -1 %s\n", errno == EINVAL ? "EINVAL" :
		       strerror(errno));
	return 0;
}
