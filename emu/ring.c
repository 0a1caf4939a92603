/* ring.c - the requests sent to an agent, their results not read yet
 * (rt_ring.h): pure bookkeeping for tracer/agent.c.
 */
#include <string.h>

#include "rt_ring.h"

struct rt_agent_sent *
rt_ring_at(struct rt_ring *r, unsigned int i)
{
	return &r->e[(r->head + i) % RT_RING_SIZE];
}

static const struct rt_agent_sent *
at(const struct rt_ring *r, unsigned int i)
{
	return &r->e[(r->head + i) % RT_RING_SIZE];
}

bool
rt_ring_room(const struct rt_ring *r, unsigned int n)
{
	return r->unread + n + 1 <= RT_RING_SIZE;
}

struct rt_agent_sent *
rt_ring_push(struct rt_ring *r)
{
	struct rt_agent_sent *e;

	if (r->unread == RT_RING_SIZE)
		return NULL;
	e = rt_ring_at(r, r->unread++);
	memset(e, 0, sizeof(*e));
	return e;
}

bool
rt_ring_pop(struct rt_ring *r)
{
	bool was_done = r->done > 0;

	if (!r->unread)
		return false;
	if (was_done)
		r->done--;
	r->head = (r->head + 1) % RT_RING_SIZE;
	r->unread--;
	return was_done;
}

bool
rt_ring_busy(const struct rt_ring *r)
{
	return r->unread > r->done;
}

bool
rt_ring_called_again(struct rt_ring *r, pid_t tid)
{
	unsigned int i;

	for (i = r->done; i < r->unread; i++) {
		if (at(r, i)->caller == tid) {
			r->done = i + 1;
			return true;
		}
	}
	return false;
}

bool
rt_ring_conflict(const struct rt_ring *r, const struct rt_span *read)
{
	unsigned int i;

	for (i = r->done; i < r->unread; i++) {
		const struct rt_agent_sent *e = at(r, i);

		if (e->opaque || rt_span_conflict(&e->span, read))
			return true;
	}
	return false;
}
