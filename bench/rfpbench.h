/* rfpbench.h - what the ops of rfpbench share: the options and the few
 * helpers rfpbench.c lends to rfpdb.c (the "db" op). */
#ifndef RFPBENCH_H
#define RFPBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define EXIT_VERIFY	2
#define EXIT_USAGE	64

/* The unrelated call made before the timed loop (--hidden). */
enum rfp_hidden {
	RFP_HIDDEN_NONE,
	RFP_HIDDEN_MLOCK,	/* mlock + munlock of another mapping */
	RFP_HIDDEN_MADVISE,	/* madvise(MADV_DONTDUMP) of another one */
	RFP_HIDDEN_MLOCKALL,	/* mlockall(MCL_CURRENT) + munlockall */
};

struct opts {
	const char *op;		/* "remap", "getppid", "mmaps" or "db" */
	long count;		/* mmaps: how many */
	bool unmap;		/* mmaps: munmap each one at once */
	long pages;
	long iters;
	long warmup;		/* -1: default */
	long vmas;
	long threads;
	double time_limit;	/* seconds, 0: none */
	bool bare_filter;
	pid_t sup_pid;		/* 0: TracerPid, else parent */
	enum rfp_hidden hidden;	/* remap: the call before the loop */
	long procs;		/* db: worker processes */
	long pool_mib;		/* db: size of the buffer pool */
	long windows;		/* db: windows per worker */
};

extern long rfp_page_size;

/* CLOCK_MONOTONIC in ns. */
uint64_t rfp_now_ns(void);

/**
 * rfp_make_file() - a memfd of @npages pages, page i holding i in its
 * first 8 bytes.  Returns 0 (the descriptor in *@fdp) or -errno.
 */
int rfp_make_file(long npages, int *fdp);

/* Lines of /proc/self/maps, in *@n.  Returns 0 or -errno. */
int rfp_count_vmas(long *n);

/**
 * rfp_db_run() - the "db" op: @o->procs processes share a locked pool,
 * each pages @o->windows windows of it.  Returns the exit code.
 */
int rfp_db_run(const struct opts *o);

#endif
