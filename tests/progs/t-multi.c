/* t-multi.c - remap_file_pages(2) from another thread or another process
 * than the one remaptrace started: the calls must be emulated there too.
 *
 * Usage: t-multi thread   a second thread remaps page 0 of a shared memfd
 *        t-multi fork     a forked child remaps its (shared) mapping
 * Prints the result and the page tags seen, with no addresses or pids.
 * Exit 0 when the program ran (whatever the call returned), 1 on setup
 * failure, 2 on bad usage.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 4

static long pg;
static char *area;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "t-multi: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The call every mode makes: show file page 3 at area page 0. */
static void
call(const char *who)
{
	long ret = syscall(SYS_remap_file_pages, area, pg, 0, 3, 0);

	if (ret)
		printf("%s: result %ld %s\n", who, ret, strerrorname_np(errno));
	else
		printf("%s: result 0\n", who);
}

static void
show(const char *who)
{
	printf("%s: area", who);
	for (int i = 0; i < PAGES; i++)
		printf(" %.5s", area + i * pg);
	printf("\n");
	fflush(stdout);
}

static void *
thread_main(void *arg)
{
	(void)arg;
	call("thread");
	show("thread");
	return NULL;
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc != 2 || (strcmp(argv[1], "thread") && strcmp(argv[1], "fork"))) {
		fprintf(stderr, "usage: t-multi thread|fork\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	fd = memfd_create("t-multi", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, PAGES * pg))
		die("memfd");
	area = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (area == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < PAGES; i++)
		snprintf(area + i * pg, 6, "P%04d", i);
	show("main");

	if (!strcmp(argv[1], "thread")) {
		pthread_t t;

		if ((errno = pthread_create(&t, NULL, thread_main, NULL)))
			die("pthread_create");
		if ((errno = pthread_join(t, NULL)))
			die("pthread_join");
		show("main");	/* threads share the address space */
		return 0;
	}

	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		call("child");
		show("child");
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	printf("main: child %s %d\n", WIFEXITED(st) ? "exited" : "killed by",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	show("main");	/* the parent's mapping is its own: unchanged */
	return 0;
}
