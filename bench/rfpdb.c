/* rfpdb.c - the "db" op of rfpbench: a database's buffer pool, the load
 * remap_file_pages(2) was made for (indirect data buffers).
 *
 * One pool of M MiB (a memfd: shared memory, as a SysV segment would be;
 * pool page i holds i) is shared by P worker processes.  Each worker locks
 * its view of the whole pool (mlock: the pool stays resident, and
 * VM_LOCKED is a flag PROCMAP_QUERY does not show), then maps W windows
 * of N pages onto pool pages, MAP_LOCKED too, one guard page apart so no
 * two merge: thousands of mappings per process.  The timed loop remaps a
 * random window onto a random pool page and reads what it now shows.
 * At the end every page of every window must show the pool page it was
 * last remapped to; each one that does not is counted in wrong=.
 *
 * Workers set up, signal ready on a pipe, and are all released at once
 * when the parent closes the other pipe; each writes its figures to a
 * shared page.  remaps_per_s is every worker's calls over the span from
 * the first start to the last end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rfpbench.h"

/* One worker's figures, in memory shared with the parent. */
struct db_result {
	uint64_t t_begin, t_end;
	long calls;
	long wrong;		/* window pages showing the wrong pool page */
	long vmas_total;	/* lines of its /proc/self/maps */
	int err;		/* errno of what failed, 0 */
	int line;		/* where it failed */
};

/* The state of one worker, in its own process. */
struct db_worker {
	const struct opts *o;
	long pool_pages;
	unsigned char **win;	/* windows[W] */
	uint64_t *at;		/* pool page each window shows */
	uint64_t rng;
};

static uint64_t
next_rand(uint64_t *s)
{
	/* xorshift64: cheap, and the same sequence natively and traced */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
rand_pgoff(struct db_worker *w)
{
	return next_rand(&w->rng) %
	       (uint64_t)(w->pool_pages - w->o->pages + 1);
}

#define FAIL(res)	do { (res)->err = errno; (res)->line = __LINE__; \
			     return -1; } while (0)

/* The locked view of the pool and the W windows, guard pages between. */
static int
db_map(struct db_worker *w, int fd, struct db_result *res)
{
	const struct opts *o = w->o;
	size_t ps = (size_t)rfp_page_size, wlen = (size_t)o->pages * ps;
	size_t plen = (size_t)w->pool_pages * ps;
	unsigned char *pool, *area;

	pool = mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pool == MAP_FAILED || mlock(pool, plen))
		FAIL(res);
	w->win = calloc((size_t)o->windows, sizeof(*w->win));
	w->at = calloc((size_t)o->windows, sizeof(*w->at));
	if (!w->win || !w->at)
		FAIL(res);
	area = mmap(NULL, (size_t)o->windows * (wlen + ps), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		FAIL(res);
	for (long i = 0; i < o->windows; i++) {
		w->at[i] = rand_pgoff(w);
		w->win[i] = mmap(area + (size_t)i * (wlen + ps), wlen,
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_LOCKED, fd,
				 (off_t)(w->at[i] * ps));
		if (w->win[i] == MAP_FAILED)
			FAIL(res);
	}
	return 0;
}

/* Window pages not showing their pool page. */
static long
db_verify(const struct db_worker *w)
{
	long wrong = 0;

	for (long i = 0; i < w->o->windows; i++)
		for (long k = 0; k < w->o->pages; k++) {
			uint64_t got = *(volatile uint64_t *)
				(w->win[i] + k * rfp_page_size);

			wrong += got != w->at[i] + (uint64_t)k;
		}
	return wrong;
}

/* One call, and a read of what the window shows now (as a query would). */
static int
db_remap(struct db_worker *w, long *wrong)
{
	long i = (long)(next_rand(&w->rng) % (uint64_t)w->o->windows);
	uint64_t p = rand_pgoff(w);

	if (remap_file_pages(w->win[i], (size_t)w->o->pages *
			     (size_t)rfp_page_size, 0, p, 0))
		return -errno;
	w->at[i] = p;
	*wrong += *(volatile uint64_t *)w->win[i] != p;
	return 0;
}

/* Map, warm up (the first calls may set up the supervisor's side), count. */
static int
db_setup(struct db_worker *w, int fd, struct db_result *res, long *wrong)
{
	int r;

	if (db_map(w, fd, res) < 0)
		return -1;
	for (long i = 0; i < w->o->warmup; i++)
		if ((r = db_remap(w, wrong)) < 0) {
			errno = -r;
			FAIL(res);
		}
	if (rfp_count_vmas(&res->vmas_total) < 0)
		FAIL(res);
	return 0;
}

static int
db_worker_run(const struct opts *o, long idx, int fd, int ready, int go,
	      struct db_result *res)
{
	struct db_worker w = {
		.o = o,
		.pool_pages = o->pool_mib * (1L << 20) / rfp_page_size,
		.rng = 0x9e3779b97f4a7c15ull * (uint64_t)(idx + 1),
	};
	uint64_t deadline;
	long wrong = 0;
	int r = db_setup(&w, fd, res, &wrong);
	char c = r < 0 ? 'f' : 'r';

	/* a byte even when set-up failed: the parent waits for P of them */
	if (write(ready, &c, 1) != 1 && r == 0)
		FAIL(res);
	if (r < 0)
		return 1;
	/* released when the parent closes the pipe: read returns 0 */
	if (read(go, &c, 1) < 0)
		FAIL(res);
	res->t_begin = rfp_now_ns();
	deadline = o->time_limit > 0 ?
		res->t_begin + (uint64_t)(o->time_limit * 1e9) : UINT64_MAX;
	for (long i = 0; i < o->iters && rfp_now_ns() <= deadline; i++) {
		r = db_remap(&w, &wrong);
		if (r < 0) {
			errno = -r;
			res->t_end = rfp_now_ns();
			FAIL(res);
		}
		res->calls++;
	}
	res->t_end = rfp_now_ns();
	res->wrong = wrong + db_verify(&w);
	return 0;
}

/* Fork the workers; returns how many started (the rest failed). */
static long
db_fork(const struct opts *o, int fd, int ready[2], int go[2],
	struct db_result *res, pid_t *pids)
{
	long n;

	for (n = 0; n < o->procs; n++) {
		pids[n] = fork();
		if (pids[n] < 0) {
			fprintf(stderr, "rfpbench: fork: %s\n",
				strerror(errno));
			break;
		}
		if (pids[n] == 0) {
			close(ready[0]);
			close(go[1]);
			_exit(db_worker_run(o, n, fd, ready[1], go[0],
					    &res[n]) ? 1 : 0);
		}
	}
	close(ready[1]);
	close(go[0]);
	return n;
}

/* Wait for @n workers to say ready (or die), release them, reap them. */
static int
db_release(long n, int ready, int go, const pid_t *pids)
{
	int ret = 0, st;
	char c;

	for (long i = 0; i < n; i++)
		if (read(ready, &c, 1) != 1)
			break;	/* never, unless one was killed: a timeout ends us */
	close(go);
	for (long i = 0; i < n; i++) {
		if (waitpid(pids[i], &st, 0) < 0 ||
		    !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "rfpbench: db worker %ld failed "
				"(status 0x%x)\n", i, (unsigned)st);
			ret = 1;
		}
	}
	close(ready);
	return ret;
}

static int
db_report(const struct opts *o, const struct db_result *res)
{
	uint64_t t_begin = UINT64_MAX, t_end = 0, busy = 0;
	long calls = 0, wrong = 0;
	int ret = 0;

	for (long i = 0; i < o->procs; i++) {
		if (res[i].err) {
			fprintf(stderr, "rfpbench: db worker %ld, rfpdb.c:%d: "
				"%s\n", i, res[i].line, strerror(res[i].err));
			ret = 1;
		}
		if (res[i].t_begin < t_begin)
			t_begin = res[i].t_begin;
		if (res[i].t_end > t_end)
			t_end = res[i].t_end;
		busy += res[i].t_end - res[i].t_begin;
		calls += res[i].calls;
		wrong += res[i].wrong;
	}
	if (ret)
		return ret;
	if (!calls) {
		fprintf(stderr, "rfpbench: no call finished in time\n");
		return 1;
	}
	printf("rfpbench op=db procs=%ld pool_mib=%ld windows=%ld pages=%ld "
	       "iters=%ld vmas_total=%ld calls=%ld wall_s=%.6f "
	       "remaps_per_s=%.0f ns_per_call=%.1f wrong=%ld\n", o->procs,
	       o->pool_mib, o->windows, o->pages, o->iters,
	       res[0].vmas_total, calls, (double)(t_end - t_begin) / 1e9,
	       (double)calls * 1e9 / (double)(t_end - t_begin),
	       (double)busy / (double)calls, wrong);
	if (wrong)
		fprintf(stderr, "rfpbench: %ld window pages show the wrong "
			"pool page\n", wrong);
	return wrong ? EXIT_VERIFY : 0;
}

int
rfp_db_run(const struct opts *o)
{
	long pool_pages = o->pool_mib * (1L << 20) / rfp_page_size, n;
	size_t rlen = (size_t)o->procs * sizeof(struct db_result);
	struct db_result *res;
	int fd, r, ready[2], go[2];
	pid_t *pids;

	if (o->pages > pool_pages) {
		fprintf(stderr, "rfpbench: windows larger than the pool\n");
		return EXIT_USAGE;
	}
	r = rfp_make_file(pool_pages, &fd);
	if (r < 0) {
		fprintf(stderr, "rfpbench: pool: %s\n", strerror(-r));
		return 1;
	}
	res = mmap(NULL, rlen, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc((size_t)o->procs, sizeof(*pids));
	if (res == MAP_FAILED || !pids || pipe2(ready, O_CLOEXEC) ||
	    pipe2(go, O_CLOEXEC)) {
		fprintf(stderr, "rfpbench: setup: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	n = db_fork(o, fd, ready, go, res, pids);
	r = db_release(n, ready[0], go[1], pids);
	if (n < o->procs)
		return 1;
	n = db_report(o, res);
	return n ? (int)n : r;
}
