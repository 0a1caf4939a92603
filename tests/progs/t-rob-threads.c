/* t-rob-threads.c - many threads (and processes) calling remap_file_pages(2)
 * at once, each checking after every call that its own window shows
 * exactly the file pages it asked for; two more threads play ping-pong over
 * pipes meanwhile, to show that threads which do not call keep running.
 *
 * Usage: t-rob-threads [-p PROCS] THREADS CALLS [ROUNDS]
 *        t-rob-threads -c ROUNDS
 *   PROCS processes (default 1) each run THREADS threads; every thread has
 *   its own 8-page memfd and a 4-page shared window on it, and makes CALLS
 *   calls, each moving one file page into one window page, then compares
 *   all four window pages with the pages it expects.  ROUNDS (default
 *   1000) ping-pong round trips run concurrently in each process.
 * Prints, per process, "proc N: calls=C fails=F wrong=W pingpong=R" and
 * at the end "total: calls=C fails=F wrong=W"; the first failure of each
 * thread is described on stdout ("thread T call I: ...").  A call "lost"
 * (answered without its effect), "answered twice" or applied to another
 * thread's window shows as wrong, a failed call as fails.
 * -c: thread churn instead: ROUNDS rounds of 8 threads that each make 5
 * checked calls on a window of their own and exit, the next round made
 * as soon as these are joined; prints "churn: threads=N fails=F
 * wrong=W".
 * Exit 0 when every call succeeded and showed right, 1 otherwise or on
 * setup failure, 2 on bad usage.
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

#define FILE_PAGES	8
#define WIN_PAGES	4
#define TAG_LEN		8	/* "t001p007" */
#define MAX_THREADS	64

struct worker {
	pthread_t th;
	int id;
	long calls, fails, wrong;
};

static long pg;
static long ncalls;
static long nrounds = 1000;
static pthread_barrier_t start;

static void __attribute__((noreturn))
die(const char *what, int err)
{
	fprintf(stderr, "t-rob-threads: %s: %s\n", what, strerror(err));
	exit(1);
}

static void
tag(char *buf, int id, int page)
{
	char t[32];

	snprintf(t, sizeof(t), "t%03dp%03d", id % 1000, page % 1000);
	memcpy(buf, t, TAG_LEN);
}

/* 0 when every window page shows the file page @model says. */
static int
check(const char *win, int id, const int *model)
{
	char want[TAG_LEN];

	for (int j = 0; j < WIN_PAGES; j++) {
		tag(want, id, model[j]);
		if (memcmp(win + j * pg, want, TAG_LEN))
			return j + 1;
	}
	return 0;
}

static void *
remapper(void *arg)
{
	struct worker *w = arg;
	int model[WIN_PAGES], fd, bad;
	char *win;

	fd = memfd_create("t-rob-threads", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg))
		die("memfd", errno);
	for (int p = 0; p < FILE_PAGES; p++) {
		char t[TAG_LEN];

		tag(t, w->id, p);
		if (pwrite(fd, t, TAG_LEN, p * pg) != TAG_LEN)
			die("pwrite", errno);
	}
	win = mmap(NULL, WIN_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (win == MAP_FAILED)
		die("mmap", errno);
	close(fd);
	for (int p = 0; p < WIN_PAGES; p++)
		model[p] = p;
	pthread_barrier_wait(&start);
	for (long i = 0; i < ncalls; i++) {
		int j = i % WIN_PAGES;
		int f = (int)((i * 3 + w->id) % FILE_PAGES);
		long r;

		r = syscall(SYS_remap_file_pages, win + j * pg, pg, 0, f, 0);
		w->calls++;
		if (r) {
			if (!w->fails++)
				printf("thread %d call %ld: %s\n", w->id, i,
				       strerrorname_np(errno));
			continue;
		}
		model[j] = f;
		bad = check(win, w->id, model);
		if (bad && !w->wrong++)
			printf("thread %d call %ld: window page %d shows "
			       "\"%.8s\"\n", w->id, i, bad - 1,
			       win + (bad - 1) * pg);
	}
	munmap(win, WIN_PAGES * pg);
	return NULL;
}

struct pingpong {
	int to[2], back[2];
	long rounds;
};

static void *
ponger(void *arg)
{
	struct pingpong *pp = arg;
	char c;

	while (read(pp->to[0], &c, 1) == 1)
		if (write(pp->back[1], &c, 1) != 1)
			break;
	return NULL;
}

static void *
pinger(void *arg)
{
	struct pingpong *pp = arg;
	char c = 'x';

	pthread_barrier_wait(&start);
	for (long i = 0; i < nrounds; i++) {
		if (write(pp->to[1], &c, 1) != 1 ||
		    read(pp->back[0], &c, 1) != 1)
			break;
		pp->rounds++;
	}
	close(pp->to[1]);
	return NULL;
}

struct result {
	long calls, fails, wrong, rounds;
};

/* One process's share, its counts in @res. */
static void
run(int proc, int nthreads, struct result *res)
{
	struct worker w[MAX_THREADS] = { 0 };
	struct pingpong pp = { .rounds = 0 };
	pthread_t pi, po;
	long calls = 0, fails = 0, wrong = 0;
	int e;

	if (pipe(pp.to) || pipe(pp.back))
		die("pipe", errno);
	if ((e = pthread_barrier_init(&start, NULL, nthreads + 1)))
		die("pthread_barrier_init", e);
	if ((e = pthread_create(&po, NULL, ponger, &pp)) ||
	    (e = pthread_create(&pi, NULL, pinger, &pp)))
		die("pthread_create", e);
	for (int t = 0; t < nthreads; t++) {
		w[t].id = proc * nthreads + t;
		if ((e = pthread_create(&w[t].th, NULL, remapper, &w[t])))
			die("pthread_create", e);
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(w[t].th, NULL);
		calls += w[t].calls;
		fails += w[t].fails;
		wrong += w[t].wrong;
	}
	pthread_join(pi, NULL);
	pthread_join(po, NULL);
	*res = (struct result){ calls, fails, wrong, pp.rounds };
}

static int
churn(long rounds)
{
	struct worker w[8];
	long fails = 0, wrong = 0;
	int e;

	ncalls = 5;
	for (long r = 0; r < rounds; r++) {
		for (int t = 0; t < 8; t++) {
			w[t] = (struct worker){ .id = (int)((r * 8 + t) % 1000) };
			if ((e = pthread_create(&w[t].th, NULL, remapper,
						&w[t])))
				die("pthread_create", e);
		}
		for (int t = 0; t < 8; t++) {
			pthread_join(w[t].th, NULL);
			fails += w[t].fails;
			wrong += w[t].wrong;
		}
	}
	printf("churn: threads=%ld fails=%ld wrong=%ld\n", rounds * 8, fails,
	       wrong);
	return fails || wrong;
}

int
main(int argc, char **argv)
{
	int nprocs = 1, nthreads, bad = 0, opt;
	struct result *res;

	while ((opt = getopt(argc, argv, "p:c:")) != -1) {
		if (opt == 'c') {
			pg = sysconf(_SC_PAGESIZE);
			/* no barrier: each thread starts at once */
			if (pthread_barrier_init(&start, NULL, 1))
				die("pthread_barrier_init", errno);
			return churn(atol(optarg));
		}
		if (opt != 'p')
			goto usage;
		nprocs = atoi(optarg);
	}
	if (argc - optind < 2 || argc - optind > 3)
		goto usage;
	nthreads = atoi(argv[optind]);
	ncalls = atol(argv[optind + 1]);
	if (argc - optind == 3)
		nrounds = atol(argv[optind + 2]);
	if (nprocs < 1 || nprocs > 16 || nthreads < 1 ||
	    nthreads > MAX_THREADS - 1 || ncalls < 0 || nrounds < 0)
		goto usage;
	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* results shared with the parent, printed in process order */
	res = mmap(NULL, nprocs * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("mmap", errno);

	if (nprocs == 1) {
		run(0, nthreads, &res[0]);
	} else {
		pid_t pids[16];
		int st;

		for (int p = 0; p < nprocs; p++) {
			pids[p] = fork();
			if (pids[p] < 0)
				die("fork", errno);
			if (pids[p] == 0) {
				run(p, nthreads, &res[p]);
				_exit(0);
			}
		}
		for (int p = 0; p < nprocs; p++) {
			if (waitpid(pids[p], &st, 0) != pids[p])
				die("waitpid", errno);
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				printf("proc %d: %s %d\n", p,
				       WIFEXITED(st) ? "exited" : "killed by",
				       WIFEXITED(st) ? WEXITSTATUS(st) :
				       WTERMSIG(st));
				bad = 1;
			}
		}
	}
	long calls = 0, fails = 0, wrong = 0;

	for (int p = 0; p < nprocs; p++) {
		printf("proc %d: calls=%ld fails=%ld wrong=%ld pingpong=%ld\n",
		       p, res[p].calls, res[p].fails, res[p].wrong,
		       res[p].rounds);
		calls += res[p].calls;
		fails += res[p].fails;
		wrong += res[p].wrong;
		if (res[p].rounds != nrounds)
			bad = 1;
	}
	printf("total: calls=%ld fails=%ld wrong=%ld\n", calls, fails, wrong);
	bad |= fails || wrong || calls != nprocs * nthreads * ncalls;
	return bad;
usage:
	fprintf(stderr, "usage: t-rob-threads [-p PROCS] THREADS CALLS "
		"[ROUNDS] | -c ROUNDS\n");
	return 2;
}
