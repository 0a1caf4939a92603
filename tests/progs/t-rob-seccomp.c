/* t-rob-seccomp.c - a program that installs seccomp filters of its own and
 * then calls remap_file_pages(2): under remaptrace its calls must still be
 * emulated, and where its own filter is stricter than a user notification
 * (ERRNO, TRAP) its filter must win, as the kernel decides natively.
 *
 * Usage: t-rob-seccomp MODE [threads]
 *   other   a filter that fails getppid(2) with EPERM and allows the rest
 *   log     a filter that logs remap_file_pages (SECCOMP_RET_LOG)
 *   errno   a filter that fails remap_file_pages with EACCES
 *   trap    a filter that raises SIGSYS for remap_file_pages
 *   stack   five filters, one over the other, each allowing everything
 *   threads (after MODE) the filter is installed with TSYNC and the call
 *           made from a second thread
 * Prints "filter: installed", what getppid(2) returned ("getppid: ok" or
 * "getppid: EPERM"), the remap result ("result: 0" / "result: -1 ENAME",
 * "result: SIGSYS" when a handler caught it) and the page tags seen
 * through the window.  Exit 0; 1 on setup failure; 2 on bad usage.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t-rob.h"


static long pg;
static char *win;
static volatile sig_atomic_t got_sigsys;

/* Syscall @nr gets @action; everything else is allowed. */
static void
install(int nr, unsigned int action, unsigned int flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]), .filter = f,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog))
		die("seccomp");
}

static void
on_sigsys(int sig)
{
	(void)sig;
	got_sigsys = 1;
}

static int go[2] = { -1, -1 };	/* threads: the filter is in */

static void *
call(void *arg)
{
	long r;
	char c;

	(void)arg;
	if (go[0] >= 0 && read(go[0], &c, 1) != 1)
		die("read");
	errno = 0;
	if (syscall(SYS_getppid) < 0)
		printf("getppid: %s\n", strerrorname_np(errno));
	else
		printf("getppid: ok\n");
	r = syscall(SYS_remap_file_pages, win, pg, 0, 5, 0);
	if (got_sigsys)
		printf("result: SIGSYS\n");
	else if (r)
		printf("result: -1 %s\n", strerrorname_np(errno));
	else
		printf("result: 0\n");
	printf("area:");
	for (int i = 0; i < WIN_PAGES; i++)
		printf(" %.5s", win + i * pg);
	printf("\n");
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned int flags = 0;
	const char *mode;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "threads")))
		goto usage;
	mode = argv[1];
	if (argc == 3)
		flags = SECCOMP_FILTER_FLAG_TSYNC;
	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	win = tagged_window("t-rob-seccomp", pg);
	signal(SIGSYS, on_sigsys);
	/* threads: the caller exists before the filter, TSYNC gives it */
	pthread_t t;

	if (flags) {
		if (pipe(go))
			die("pipe");
		if ((errno = pthread_create(&t, NULL, call, NULL)))
			die("pthread_create");
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
	if (!strcmp(mode, "other"))
		install(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, flags);
	else if (!strcmp(mode, "log"))
		install(SYS_remap_file_pages, SECCOMP_RET_LOG, flags);
	else if (!strcmp(mode, "errno"))
		install(SYS_remap_file_pages, SECCOMP_RET_ERRNO | EACCES, flags);
	else if (!strcmp(mode, "trap"))
		install(SYS_remap_file_pages, SECCOMP_RET_TRAP, flags);
	else if (!strcmp(mode, "stack"))
		for (int i = 0; i < 5; i++)
			install(SYS_remap_file_pages, SECCOMP_RET_ALLOW, flags);
	else
		goto usage;
	printf("filter: installed\n");

	if (flags) {
		if (write(go[1], "g", 1) != 1)
			die("write");
		pthread_join(t, NULL);
	} else {
		call(NULL);
	}
	return 0;
usage:
	fprintf(stderr, "usage: t-rob-seccomp other|log|errno|trap|stack "
		"[threads]\n");
	return 2;
}
