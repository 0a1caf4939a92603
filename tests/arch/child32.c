/* child32.c - the 32-bit program of t-inject-i386 (built with gcc -m32):
 * a file of three pages "0...", "1...", "2..." open at descriptor 10, a
 * stop for the tracer, then one getpid through the vDSO, whose result it
 * prints (the tracer makes it 4242).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	char page[4096];
	int fd = memfd_create("child32", 0), i;

	if (fd < 0 || dup2(fd, 10) != 10)
		return 99;
	for (i = 0; i < 3; i++) {
		memset(page, '0' + i, sizeof(page));
		if (write(10, page, sizeof(page)) != sizeof(page))
			return 99;
	}
	printf("sizeof(long) %zu\n", sizeof(long));
	fflush(stdout);
	raise(SIGSTOP);
	printf("getpid %ld\n", syscall(SYS_getpid));
	return 0;
}
