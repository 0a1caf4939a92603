/* ranges.c - sorted tables for open-file identity: a binary search driven
 * by any comparison, and disjoint address ranges kept in order (pure).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_ranges.h"

int
rt_sorted_find(size_t n, int (*cmp)(const void *arg, size_t i),
	       const void *arg, size_t *pos)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(arg, mid);

		if (c == RT_SORTED_ERR)
			return -EIO;
		if (c == 0) {
			*pos = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return 0;
}

int
rt_sorted_insert(void **a, size_t *n, size_t *cap, size_t size, size_t pos,
		 const void *elem)
{
	char *p = *a;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;

		p = realloc(p, c * size);
		if (!p)
			return -ENOMEM;
		*a = p;
		*cap = c;
	}
	memmove(p + (pos + 1) * size, p + pos * size, (*n - pos) * size);
	memcpy(p + pos * size, elem, size);
	(*n)++;
	return 0;
}

void
rt_sorted_remove(void *a, size_t *n, size_t size, size_t pos, size_t count)
{
	char *p = a;

	memmove(p + pos * size, p + (pos + count) * size,
		(*n - pos - count) * size);
	*n -= count;
}

/* Descending by start: @addr sorts before ranges that lie below it. */
static int
cmp_addr(const void *arg, size_t i)
{
	const struct {
		const struct rt_ranges *rs;
		uint64_t addr;
	} *q = arg;
	const struct rt_range *r = &q->rs->r[i];

	if (q->addr >= r->end)
		return -1;
	return q->addr < r->start ? 1 : 0;
}

const struct rt_range *
rt_ranges_find(const struct rt_ranges *rs, uint64_t addr)
{
	struct {
		const struct rt_ranges *rs;
		uint64_t addr;
	} q = { rs, addr };
	size_t pos;

	return rt_sorted_find(rs->n, cmp_addr, &q, &pos) == 1 ? &rs->r[pos] :
								NULL;
}

/* The first range (in order) that starts below @e. */
static size_t
first_below(const struct rt_ranges *rs, uint64_t e)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].start >= e)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
rt_ranges_punch(struct rt_ranges *rs, uint64_t s, uint64_t e,
		rt_ranges_ref_fn *ref, void *arg)
{
	size_t i = first_below(rs, e), j, gone = 0, from;
	struct rt_range *r;

	if (s >= e || i == rs->n || rs->r[i].end <= s)
		return 0;
	r = &rs->r[i];
	if (r->start < s && r->end > e) {
		/* Around the hole: the tail stays here, the head follows. */
		struct rt_range head = *r;

		head.end = s;
		r->off += e - r->start;
		r->start = e;
		if (rt_sorted_insert((void **)&rs->r, &rs->n, &rs->cap,
				     sizeof(head), i + 1, &head) < 0)
			return -ENOMEM;
		ref(arg, head.key, 1);
		return 0;
	}
	if (r->end > e) {
		r->off += e - r->start;
		r->start = e;
		i++;
	}
	from = i;
	for (j = i; j < rs->n && rs->r[j].end > s; j++) {
		r = &rs->r[j];
		if (r->start < s) {
			r->end = s;	/* the last one: its head stays */
			break;
		}
		gone++;
	}
	for (j = from; j < from + gone; j++)
		ref(arg, rs->r[j].key, -1);
	rt_sorted_remove(rs->r, &rs->n, sizeof(*rs->r), from, gone);
	return 0;
}

int
rt_ranges_add(struct rt_ranges *rs, const struct rt_range *r,
	      rt_ranges_ref_fn *ref, void *arg)
{
	int ret = rt_ranges_punch(rs, r->start, r->end, ref, arg);

	if (ret < 0)
		return ret;
	ret = rt_sorted_insert((void **)&rs->r, &rs->n, &rs->cap, sizeof(*r),
			       first_below(rs, r->end), r);
	if (ret == 0)
		ref(arg, r->key, 1);
	return ret;
}

size_t
rt_ranges_filter(struct rt_ranges *rs,
		 int (*keep)(void *arg, const struct rt_range *r),
		 rt_ranges_ref_fn *ref, void *arg)
{
	size_t i, n = 0, dropped = 0;

	for (i = 0; i < rs->n; i++) {
		if (keep(arg, &rs->r[i])) {
			rs->r[n++] = rs->r[i];
			continue;
		}
		ref(arg, rs->r[i].key, -1);
		dropped++;
	}
	rs->n = n;
	return dropped;
}

void
rt_ranges_free(struct rt_ranges *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}
