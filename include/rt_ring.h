/* rt_ring.h - the requests sent to an agent whose results are not read
 * yet, oldest first (emu/ring.c): pure bookkeeping, unit-tested alone.
 *
 * The agent runs requests in order and writes their results in order, so
 * the oldest unread entry is the one the next result belongs to.  The
 * first 'done' entries are known to have run already (a thread one of
 * them answered has called again); the others may still run, and a
 * judgement must not read what they may change (rt_ring_conflict()).
 */
#ifndef RT_RING_H
#define RT_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/seccomp.h>

#include "rt_span.h"

#define RT_RING_SIZE	64

/* A request sent, its result not read yet. */
struct rt_agent_sent {
	struct rt_span_job span;	/* what its call may change */
	bool opaque;			/* unknown: it may change anything */
	pid_t caller;			/* the thread to answer, or 0 */
	struct seccomp_notif notif;	/* ... and that thread's notification */
	uint64_t want;			/* the result that means success */
	int64_t answer_err;		/* answer this -errno whatever it did */
	uint64_t sent_ns;		/* when it was sent (monotonic) */
	bool dup_first;			/* mremap(src, 0, ...): its result */
	uint64_t dup_len;		/* the move after it: its length */
};

struct rt_ring {
	struct rt_agent_sent e[RT_RING_SIZE];
	unsigned int head;	/* the oldest unread */
	unsigned int unread;
	unsigned int done;	/* of the unread, the first ones known run */
};

/* Entry @i of the unread ones, 0 the oldest. */
struct rt_agent_sent *rt_ring_at(struct rt_ring *r, unsigned int i);

/* Room for @n more requests (and the one a drain may need)? */
bool rt_ring_room(const struct rt_ring *r, unsigned int n);

/*
 * rt_ring_push() - a request was sent: its entry, zeroed, as the newest;
 * NULL when the ring is full (rt_ring_room() says so first).
 */
struct rt_agent_sent *rt_ring_push(struct rt_ring *r);

/*
 * rt_ring_pop() - the oldest unread entry's result was read: it leaves.
 * Returns true when it was known to have run (one of the 'done').
 */
bool rt_ring_pop(struct rt_ring *r);

/* May a request still run (one not known to have run)? */
bool rt_ring_busy(const struct rt_ring *r);

/*
 * rt_ring_called_again() - thread @tid called again: the request that
 * answered it has run, and every one before it.  Returns true when one of
 * the unread entries answered @tid.
 */
bool rt_ring_called_again(struct rt_ring *r, pid_t tid);

/* May a request that may still run change what a judgement that read
 * @read saw? */
bool rt_ring_conflict(const struct rt_ring *r, const struct rt_span *read);

#endif
