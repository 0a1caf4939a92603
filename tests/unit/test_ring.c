/* test_ring.c - the agent's ring of requests sent, results unread
 * (emu/ring.c): order, room, what is known to have run, and which
 * judgements a request that may still run forbids.
 */
#include <string.h>

#include "rt_ring.h"
#include "tap.h"

/* Push a request answering @caller (0: none) whose call maps [a, a+len). */
static struct rt_agent_sent *
send(struct rt_ring *r, pid_t caller, uint64_t a, uint64_t len)
{
	struct rt_agent_sent *e = rt_ring_push(r);

	if (!e)
		return NULL;
	e->caller = caller;
	e->span.maps = true;
	e->span.addr = a;
	e->span.len = len;
	e->span.ino = 7;
	e->span.read.any = true;
	e->span.read.lo = a;
	e->span.read.hi = a + len;
	return e;
}

static void
test_order_and_room(void)
{
	struct rt_ring r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	ok(!rt_ring_busy(&r), "an empty ring: nothing may still run");
	ok(rt_ring_room(&r, RT_RING_SIZE - 1), "room for all but one");
	ok(!rt_ring_room(&r, RT_RING_SIZE), "the last slot is kept for a drain");
	for (i = 0; i < RT_RING_SIZE; i++)
		send(&r, 100 + (pid_t)i, 0x1000 * (i + 1), 0x1000);
	ok(rt_ring_push(&r) == NULL, "full: no more pushes");
	is_int(100, rt_ring_at(&r, 0)->caller, "the oldest first");
	ok(!rt_ring_pop(&r), "the oldest leaves, not known to have run");
	is_int(101, rt_ring_at(&r, 0)->caller, "then the next");
	ok(send(&r, 500, 0x900000, 0x1000) != NULL,
	   "a popped slot is reused (the ring wraps)");
	is_int(500, rt_ring_at(&r, RT_RING_SIZE - 1)->caller,
	       "as the newest");
	while (r.unread)
		rt_ring_pop(&r);
	ok(!rt_ring_busy(&r), "all read: idle again");
}

static void
test_called_again(void)
{
	struct rt_ring r;

	memset(&r, 0, sizeof(r));
	send(&r, 10, 0x1000, 0x1000);
	send(&r, 0, 0x2000, 0x1000);	/* answers nobody */
	send(&r, 11, 0x3000, 0x1000);
	send(&r, 12, 0x4000, 0x1000);
	ok(!rt_ring_called_again(&r, 99), "a thread it did not answer");
	is_int(0, (int)r.done, "changes nothing");
	ok(rt_ring_called_again(&r, 11), "thread 11 called again");
	is_int(3, (int)r.done,
	       "its request, and every one before it, have run");
	ok(rt_ring_busy(&r), "12's may still run");
	ok(rt_ring_pop(&r), "the first read was known to have run");
	is_int(2, (int)r.done, "one fewer known");
	ok(!rt_ring_called_again(&r, 10), "10's request has left the ring");
	rt_ring_pop(&r);
	rt_ring_pop(&r);
	ok(!rt_ring_pop(&r), "12's was not known to have run");
	ok(!rt_ring_busy(&r), "empty");
}

static void
test_conflict(void)
{
	struct rt_span read = { .any = true, .lo = 0x8000, .hi = 0xa000 };
	struct rt_span far = { .any = true, .lo = 0x40000, .hi = 0x41000 };
	struct rt_ring r;

	memset(&r, 0, sizeof(r));
	send(&r, 10, 0x9000, 0x1000);
	ok(rt_ring_conflict(&r, &read),
	   "a pending mmap inside what a judgement read conflicts");
	ok(!rt_ring_conflict(&r, &far), "one far from it does not");
	rt_ring_called_again(&r, 10);
	ok(!rt_ring_conflict(&r, &read),
	   "once known to have run, it conflicts no more");
	rt_ring_push(&r)->opaque = true;
	ok(rt_ring_conflict(&r, &far),
	   "an opaque request (anything may change) conflicts with all");
}

int
main(void)
{
	test_order_and_room();
	test_called_again();
	test_conflict();
	return tap_done();
}
