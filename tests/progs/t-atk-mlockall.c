/* t-atk-mlockall.c - an mlockall() that waits on the program itself must
 * not hold remaptrace: the kernel pages in every mapping, and a page
 * userfaultfd holds back makes the call wait until the program's own
 * handler thread gives the page.  Here the handler makes a
 * remap_file_pages call first.  A supervisor that held every other call
 * until the mlockall returned (catching its thread on its way out, as
 * 6ba9204 did) never serves that remap: program and supervisor wait on
 * each other for good.
 *
 * Usage: t-atk-mlockall (as root: userfaultfd for the kernel's faults)
 *   Thread A calls mlockall(MCL_CURRENT) while a page is held; the main
 *   thread, told the page was asked for, remaps a shared file page, then
 *   gives the page.  Prints "remap: RESULT", "mlockall: RESULT" and the
 *   page the window shows.
 * Exit 0 when the scenario ran whatever the calls returned, 1 on setup
 * failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "t-held.h"

static long mlockall_r;
static int mlockall_errno;

static void *
lock_all(void *arg)
{
	(void)arg;
	mlockall_r = mlockall(MCL_CURRENT);
	mlockall_errno = errno;
	return NULL;
}

static const char *
said(long r, int e)
{
	return r == 0 ? "0" : strerrorname_np(e);
}

int
main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct held_page h;
	pthread_t t;
	char *win;
	long r;
	int fd, e, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = memfd_create("t-atk-mlockall", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4 * pg))
		held_die("memfd");
	win = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (win == MAP_FAILED)
		held_die("mmap");
	for (i = 0; i < 4; i++)
		snprintf(win + i * pg, 8, "F%04d", i);
	held_open(&h, pg);
	/* A's mlockall waits in the kernel for the held page. */
	t = held_call(&h, lock_all);
	r = remap_file_pages(win, pg, 0, 3, 0);
	e = errno;
	printf("remap: %s\n", said(r, e));
	held_give(&h, "held", 5);
	pthread_join(t, NULL);
	printf("mlockall: %s\n", said(mlockall_r, mlockall_errno));
	printf("window: %.5s\n", win);
	return 0;
}
