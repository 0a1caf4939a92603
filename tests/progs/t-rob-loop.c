/* t-rob-loop.c - threads that call remap_file_pages(2) without end, for
 * tests that act on a running program from outside (job control, killing
 * it, killing remaptrace, attaching a debugger, counting descriptors).
 *
 * Usage: t-rob-loop [-t THREADS] [-r READY] [-n CALLS] [-k] [-m] [-p]
 *                   [-s SIG]... [-d SIG]...
 *   THREADS threads (default 2) each remap a window of their own memfd,
 *   checking every call as t-rob-threads does.  When every thread has
 *   made READY calls (default 10), the program prints "ready PID" (its
 *   pid) and goes on until standard input reaches end of file; then each
 *   thread makes CALLS (default 10) more calls, and the program prints
 *   "done: threads=T fails=0 wrong=0 fds=same" and exits 0.
 *   -k  once ready, another thread kills the whole process with SIGKILL
 *       while the others keep calling (calls in flight).
 *   -m  the main thread (the thread-group leader) is one of the callers;
 *       otherwise only non-leader threads call.
 *   -p  pause: once ready, the threads make no call until a first line
 *       arrives on standard input (so that something can be done to the
 *       program, or to remaptrace, while no call is in flight).
 *   -s SIG  a handler for SIG (a name: TERM) ends the run as end of file
 *       does; "got SIGTERM" is printed before the done line.
 *   -d SIG  SIG gets its default action (a shell may have started us
 *       with SIGINT and SIGQUIT ignored).
 * The first failed call of the run is printed as "fail: ENAME after
 * ready" (or "before ready") and the program exits 5 at once: remaptrace
 * killed shows as "fail: ENOSYS after ready".  A call that returns
 * something other than 0 or -1 is printed as "fail: returned N" (exit 5).
 * "fds=" compares the descriptor table (numbers and targets) before the
 * first call and at the end: "same", or what changed.
 * Exit 1 on setup failure, 2 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t-rob.h"

#define MAX_THREADS	32
#define MAX_FDS		64

static long pg;
static int nthreads = 2;
static long extra = 10;
static long ready_at = 10;	/* -r */
static int nready;		/* threads that made their first READY calls */
static int eof;			/* standard input ended, or -s signal */
static volatile sig_atomic_t got;	/* the -s signal that came */
static int ready_printed;
static bool pause_ready;	/* -p */
static int resumed;		/* -p: the first line came */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

/* "N->target" for each open descriptor, in one string. */
static void
fd_table(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int fd = 0; fd < MAX_FDS; fd++) {
		char path[64], target[PATH_MAX];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		len += snprintf(buf + len, size - len, " %d->%s", fd, target);
		if (len >= size)
			break;
	}
}

static void
fail(const char *what)
{
	/* stdout is line buffered: the line leaves whole, then we go */
	pthread_mutex_lock(&lock);
	printf("fail: %s %s ready\n", what, ready_printed ? "after" :
	       "before");
	fflush(stdout);
	_exit(5);
}

static void *
remapper(void *arg)
{
	int id = (int)(long)arg, model[WIN_PAGES], fd;
	char *win, t[16];
	long after = -1;

	fd = file_of_pages("t-rob-loop", pg, FILE_PAGES);
	for (int p = 0; p < FILE_PAGES; p++) {
		snprintf(t, sizeof(t), "t%02dp%d", id, p);
		if (pwrite(fd, t, 6, p * pg) != 6)
			die("pwrite");
	}
	win = window_of(fd, pg);
	for (int p = 0; p < WIN_PAGES; p++)
		model[p] = p;

	for (long i = 0; after != 0; i++) {
		int j = i % WIN_PAGES, f = (int)((i * 3 + id) % FILE_PAGES);
		long r;

		r = syscall(SYS_remap_file_pages, win + j * pg, pg, 0, f, 0);
		if (r == -1) {
			fail(strerrorname_np(errno));
		} else if (r != 0) {
			snprintf(t, sizeof(t), "returned %ld", r);
			fail(t);
		}
		model[j] = f;
		for (int p = 0; p < WIN_PAGES; p++) {
			snprintf(t, sizeof(t), "t%02dp%d", id, model[p]);
			if (memcmp(win + p * pg, t, 6)) {
				char w[64];

				snprintf(w, sizeof(w), "wrong page %.6s",
					 win + p * pg);
				fail(w);
			}
		}
		if (i == ready_at - 1) {
			pthread_mutex_lock(&lock);
			nready++;
			pthread_cond_broadcast(&cond);
			while (pause_ready && !resumed)
				pthread_cond_wait(&cond, &lock);
			pthread_mutex_unlock(&lock);
		}
		if (after > 0)
			after--;
		else if (after < 0 && __atomic_load_n(&eof, __ATOMIC_ACQUIRE))
			after = extra;
	}
	return NULL;
}

static void *
killer(void *arg)
{
	(void)arg;
	kill(getpid(), SIGKILL);
	return NULL;
}

static bool kill_self;

static void
on_signal(int sig)
{
	got = sig;
	__atomic_store_n(&eof, 1, __ATOMIC_RELEASE);
}

/* "TERM" or "SIGTERM" -> SIGTERM; 0 when unknown. */
static int
signum(const char *name)
{
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (int s = 1; s < NSIG; s++) {
		const char *a = sigabbrev_np(s);

		if (a && !strcmp(a, name))
			return s;
	}
	return 0;
}

/* Waits for the threads to be ready, says so, then kills the process
 * (-k) or waits for the end of standard input. */
static void *
control(void *arg)
{
	pthread_t k;
	char buf[256];

	(void)arg;
	pthread_mutex_lock(&lock);
	while (nready < nthreads)
		pthread_cond_wait(&cond, &lock);
	printf("ready %d\n", getpid());
	ready_printed = 1;
	pthread_mutex_unlock(&lock);

	if (kill_self) {
		if ((errno = pthread_create(&k, NULL, killer, NULL)))
			die("pthread_create");
		for (;;)
			pause();	/* SIGKILL ends this */
	}
	if (pause_ready) {
		/* one byte at a time: only the first line */
		while (read(0, buf, 1) == 1 && buf[0] != '\n')
			;
		pthread_mutex_lock(&lock);
		resumed = 1;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	while (read(0, buf, sizeof(buf)) > 0)
		;
	__atomic_store_n(&eof, 1, __ATOMIC_RELEASE);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS], ctl;
	char before[4096], after[4096];
	struct sigaction sa = { .sa_handler = on_signal };
	bool main_calls = false;
	int opt, sig;

	while ((opt = getopt(argc, argv, "t:kmn:pr:s:d:")) != -1) {
		switch (opt) {
		case 'r': ready_at = atol(optarg); break;
		case 'p': pause_ready = true; break;
		case 's':
		case 'd':
			sig = signum(optarg);
			if (!sig)
				goto usage;
			if (opt == 'd')
				signal(sig, SIG_DFL);
			else if (sigaction(sig, &sa, NULL))
				die("sigaction");
			break;
		case 't': nthreads = atoi(optarg); break;
		case 'k': kill_self = true; break;
		case 'm': main_calls = true; break;
		case 'n': extra = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAX_THREADS ||
	    extra < 0 || ready_at < 1)
		goto usage;
	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd_table(before, sizeof(before));

	if ((errno = pthread_create(&ctl, NULL, control, NULL)))
		die("pthread_create");
	for (int t = main_calls; t < nthreads; t++)
		if ((errno = pthread_create(&th[t], NULL, remapper,
					    (void *)(long)t)))
			die("pthread_create");
	if (main_calls)
		remapper((void *)0L);
	for (int t = main_calls; t < nthreads; t++)
		pthread_join(th[t], NULL);
	if (got)
		printf("got SIG%s\n", sigabbrev_np(got));
	else
		pthread_join(ctl, NULL);

	fd_table(after, sizeof(after));
	printf("done: threads=%d fails=0 wrong=0 fds=%s\n", nthreads,
	       strcmp(before, after) ? "changed" : "same");
	if (strcmp(before, after))
		printf("fds before:%s\nfds after:%s\n", before, after);
	return 0;
usage:
	fprintf(stderr, "usage: t-rob-loop [-t THREADS] [-k] [-m] [-p] "
		"[-r READY] [-n CALLS] [-s SIG]... [-d SIG]...\n");
	return 2;
}
