/* t-pipe.c - two threads remap overlapping ranges at once, in a way where
 * the verdict of one depends on whether the other ran first; the outcome
 * must be one the kernel can give, whichever order it picked.
 *
 * Usage: t-pipe ROUNDS [CHILDREN]
 * Each round maps a fresh 4-page window W of a 16-page memfd (file page p
 * holds p) and marks it MADV_DONTFORK (a flag a new mapping lacks).  Then
 * thread A remaps W's page 1 to file page 5 while thread K remaps W's
 * pages 0-2 to file pages 8-10.  The kernel serialises their mmaps on the
 * mmap lock:
 *   K first: both succeed, W shows 8 5 10 3;
 *   A first: A splits W into three VMAs, the middle one without
 *            VM_DONTCOPY, so K's range spans VMAs of other flags: K fails
 *            with EINVAL and W shows 0 5 2 3;
 *   K first, torn A: A looked W up before K's mmap and, relocked after it
 *            (6.12+, around security_mmap_file()), finds other vm_flags:
 *            A fails with EINVAL and W shows 8 9 10 3.
 * Anything else is impossible: a supervisor that judged K against W as it
 * was before A's mmap ran, but ran K's after, leaves both succeeded and
 * W = 8 9 10 3.  Prints "rounds=R impossible=I" and then, on a second
 * line, how often each order won (which varies from run to run).
 * With CHILDREN, the main thread also forks a child in each of the first
 * CHILDREN rounds while A and K run (each waits in pause() until killed
 * at the end): a supervisor that serves the forks while a call waits for
 * the agent must not lose track of the calling process.
 * Exit 0 (the line tells), 1 on setup failure, 2 on bad usage.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-rob.h"

#define PIPE_FILE_PAGES	16

struct round {
	pthread_barrier_t go, done;
	char *w;
	long pg;
	int err_a, err_k;
	int stop;
};

static int
rfp(void *addr, size_t size, size_t pgoff)
{
	return remap_file_pages(addr, size, 0, pgoff, 0) ? errno : 0;
}

/* A or K: page @first of W and @pages after it to file page @pgoff. */
struct remapper {
	struct round *r;
	long first, pages;
	size_t pgoff;
	int *err;
};

static void *
remapper(void *arg)
{
	const struct remapper *m = arg;
	struct round *r = m->r;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		*m->err = rfp(r->w + m->first * r->pg, m->pages * r->pg,
			      m->pgoff);
		pthread_barrier_wait(&r->done);
	}
}

static uint64_t
page(const struct round *r, int i)
{
	return *(volatile uint64_t *)(r->w + i * r->pg);
}

int
main(int argc, char **argv)
{
	struct round r = { .pg = sysconf(_SC_PAGESIZE) };
	long rounds, i, k_first = 0, a_first = 0, a_torn = 0, impossible = 0;
	long children = 0, forked = 0;
	pid_t *kids = NULL;
	struct remapper a = { &r, 1, 1, 5, &r.err_a };
	struct remapper k = { &r, 0, 3, 8, &r.err_k };
	pthread_t ta, tk;
	int fd;

	if (argc < 2 || argc > 3 || (rounds = atol(argv[1])) <= 0 ||
	    (argc == 3 && (children = atol(argv[2])) < 0)) {
		fprintf(stderr, "usage: t-pipe ROUNDS [CHILDREN]\n");
		return 2;
	}
	if (children && !(kids = calloc((size_t)children, sizeof(*kids))))
		die("calloc");
	fd = file_of_pages("t-pipe", r.pg, PIPE_FILE_PAGES);
	for (uint64_t p = 0; p < PIPE_FILE_PAGES; p++)
		if (pwrite(fd, &p, sizeof(p), (off_t)(p * r.pg)) != sizeof(p))
			die("pwrite");
	pthread_barrier_init(&r.go, NULL, 3);
	pthread_barrier_init(&r.done, NULL, 3);
	if (pthread_create(&ta, NULL, remapper, &a) ||
	    pthread_create(&tk, NULL, remapper, &k))
		die("pthread_create");
	for (i = 0; i < rounds; i++) {
		r.w = mmap(NULL, 4 * r.pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (r.w == MAP_FAILED || madvise(r.w, 4 * r.pg, MADV_DONTFORK))
			die("mmap");
		pthread_barrier_wait(&r.go);
		if (forked < children) {
			kids[forked] = fork();
			if (kids[forked] < 0)
				die("fork");
			if (kids[forked] == 0) {
				pause();
				_exit(0);
			}
			forked++;
		}
		pthread_barrier_wait(&r.done);
		if (!r.err_a && !r.err_k && page(&r, 0) == 8 &&
		    page(&r, 1) == 5 && page(&r, 2) == 10 && page(&r, 3) == 3)
			k_first++;
		else if (!r.err_a && r.err_k == EINVAL && page(&r, 0) == 0 &&
			 page(&r, 1) == 5 && page(&r, 2) == 2 &&
			 page(&r, 3) == 3)
			a_first++;
		else if (r.err_a == EINVAL && !r.err_k && page(&r, 0) == 8 &&
			 page(&r, 1) == 9 && page(&r, 2) == 10 &&
			 page(&r, 3) == 3)
			a_torn++;
		else if (impossible++ < 3)
			fprintf(stderr, "t-pipe: round %ld: A %s, K %s, "
				"window %lu %lu %lu %lu\n", i, strerror(r.err_a),
				strerror(r.err_k), (unsigned long)page(&r, 0),
				(unsigned long)page(&r, 1),
				(unsigned long)page(&r, 2),
				(unsigned long)page(&r, 3));
		munmap(r.w, 4 * r.pg);
	}
	r.stop = 1;
	pthread_barrier_wait(&r.go);
	pthread_join(ta, NULL);
	pthread_join(tk, NULL);
	for (i = 0; i < forked; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < forked; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	printf("rounds=%ld impossible=%ld\n", rounds, impossible);
	printf("k_first=%ld a_first=%ld a_torn=%ld\n", k_first, a_first,
	       a_torn);
	return 0;
}
