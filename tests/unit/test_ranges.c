/* test_ranges.c - the sorted tables behind open-file identity
 * (emu/ranges.c): binary search, insert and remove in a sorted index, and
 * address ranges that new mappings and unmappings punch, trim and split,
 * with every reference gained or lost reported.
 */
#include <errno.h>
#include <string.h>

#include "rt_ranges.h"
#include "tap.h"

/* ---- the sorted index: ints, compared as kcmp orders file pointers ---- */

struct ints {
	int *v;
	size_t n, cap;
};

struct probe {
	const struct ints *x;
	int want;
	int fail_at;	/* element value whose comparison fails, or -1 */
};

static int
cmp_int(const void *arg, size_t i)
{
	const struct probe *p = arg;
	int v = p->x->v[i];

	if (v == p->fail_at)
		return RT_SORTED_ERR;
	return (p->want > v) - (p->want < v);
}

static int
put(struct ints *x, int want)
{
	struct probe p = { x, want, -1 };
	size_t pos;
	int r = rt_sorted_find(x->n, cmp_int, &p, &pos);

	if (r != 0)
		return r;	/* 1: already there */
	return rt_sorted_insert((void **)&x->v, &x->n, &x->cap, sizeof(int),
				pos, &want);
}

static void
test_index(void)
{
	static const int in[] = { 50, 10, 90, 30, 70, 20, 80, 60, 40, 0 };
	static const struct {
		int want_r;
		int want_pos;
		int find;
		int fail_at;
	} cases[] = {
		{ 1, 0, 0, -1 },	/* first */
		{ 1, 9, 90, -1 },	/* last */
		{ 1, 4, 40, -1 },
		{ 0, 5, 45, -1 },	/* between: where it goes */
		{ 0, 10, 99, -1 },	/* after all */
		{ -EIO, 0, 45, 40 },	/* the comparison failed */
	};
	struct ints x = { 0 };
	size_t i, pos;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		is_int(0, put(&x, in[i]), "insert %d", in[i]);
	is_int(1, put(&x, 30), "a second insert of 30 finds it");
	is_u64(10, x.n, "10 elements");
	for (i = 0; i + 1 < x.n; i++)
		if (x.v[i] >= x.v[i + 1])
			break;
	is_u64(x.n - 1, i, "kept in order");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe p = { &x, cases[i].find, cases[i].fail_at };
		int r = rt_sorted_find(x.n, cmp_int, &p, &pos);

		is_int(cases[i].want_r, r, "find %d: result", cases[i].find);
		if (r >= 0)
			is_u64(cases[i].want_pos, pos, "find %d: position",
			       cases[i].find);
	}
	rt_sorted_remove(x.v, &x.n, sizeof(int), 4, 1);	/* 40 */
	rt_sorted_remove(x.v, &x.n, sizeof(int), 0, 2);	/* 0, 10 */
	is_u64(7, x.n, "3 removed");
	is_int(20, x.v[0], "20 is first now");
	is_int(50, x.v[2], "40 is gone");
	{
		struct probe p = { &x, 40, -1 };

		is_int(0, rt_sorted_find(x.n, cmp_int, &p, &pos),
		       "40 not found after removal");
		is_u64(2, pos, "40 would go at 2");
	}
	free(x.v);
}

/* ---- address ranges ---- */

static int refs[8];

static void
count_ref(void *arg, uint64_t key, int delta)
{
	(void)arg;
	refs[key] += delta;
}

#define R(s_, e_, off_, key_) \
	((struct rt_range){ .start = (s_), .end = (e_), .off = (off_), \
			    .key = (key_) })

/* "start-end@off:key ..." in ascending order, for comparison. */
static const char *
show(const struct rt_ranges *rs)
{
	static char buf[512];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = rs->n; i-- > 0;)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%llx-%llx@%llx:%llu",
			      n ? " " : "",
			      (unsigned long long)rs->r[i].start,
			      (unsigned long long)rs->r[i].end,
			      (unsigned long long)rs->r[i].off,
			      (unsigned long long)rs->r[i].key);
	return buf;
}

static int
keep_key1(void *arg, const struct rt_range *r)
{
	(void)arg;
	return r->key == 1;
}

static void
test_ranges(void)
{
	struct rt_ranges rs = { 0 };
	const struct rt_range *f;

	/* top-down, as mmap places them */
	is_int(0, rt_ranges_add(&rs, &R(0x9000, 0xa000, 0, 1), count_ref,
				NULL), "add 1");
	is_int(0, rt_ranges_add(&rs, &R(0x5000, 0x8000, 0x1000, 2), count_ref,
				NULL), "add 2");
	is_int(0, rt_ranges_add(&rs, &R(0x1000, 0x3000, 0, 3), count_ref,
				NULL), "add 3");
	is_str("1000-3000@0:3 5000-8000@1000:2 9000-a000@0:1", show(&rs),
	       "three ranges in order");
	f = rt_ranges_find(&rs, 0x7fff);
	ok(f && f->key == 2, "0x7fff is in range 2");
	ok(!rt_ranges_find(&rs, 0x8000), "0x8000 (an end) is in none");
	ok(!rt_ranges_find(&rs, 0x4000), "a hole is in none");
	f = rt_ranges_find(&rs, 0x9000);
	ok(f && f->key == 1, "0x9000 (a start) is in range 1");

	/* split: the middle page of range 2 unmapped */
	is_int(0, rt_ranges_punch(&rs, 0x6000, 0x7000, count_ref, NULL),
	       "punch the middle of 2");
	is_str("1000-3000@0:3 5000-6000@1000:2 7000-8000@3000:2 "
	       "9000-a000@0:1", show(&rs), "split, the tail's offset moved");
	is_int(2, refs[2], "key 2 named twice");

	/* a new mapping over the end of 3, a hole and the head of 2 */
	is_int(0, rt_ranges_add(&rs, &R(0x2000, 0x5800, 0, 4), count_ref,
				NULL), "add 4 across 3 and 2");
	is_str("1000-2000@0:3 2000-5800@0:4 5800-6000@1800:2 "
	       "7000-8000@3000:2 9000-a000@0:1", show(&rs),
	       "3 trimmed at its end, 2 at its start");
	/* one covering several */
	is_int(0, rt_ranges_add(&rs, &R(0x1000, 0x9000, 0, 5), count_ref,
				NULL), "add 5 over 3, 4 and both pieces of 2");
	is_str("1000-9000@0:5 9000-a000@0:1", show(&rs), "all replaced");
	is_int(0, refs[2], "key 2 named by none");
	is_int(0, refs[3], "key 3 named by none");
	is_int(0, refs[4], "key 4 named by none");
	is_int(1, refs[5], "key 5 once");
	/* an exact unmap, and one of nothing */
	is_int(0, rt_ranges_punch(&rs, 0x1000, 0x9000, count_ref, NULL),
	       "unmap 5");
	is_int(0, rt_ranges_punch(&rs, 0x20000, 0x30000, count_ref, NULL),
	       "unmap a hole");
	is_str("9000-a000@0:1", show(&rs), "only 1 is left");
	is_int(0, rt_ranges_add(&rs, &R(0x20000, 0x21000, 0, 6), count_ref,
				NULL), "add 6 above 1: a move");
	is_str("9000-a000@0:1 20000-21000@0:6", show(&rs), "in order");
	is_u64(1, rt_ranges_filter(&rs, keep_key1, count_ref, NULL),
	       "filter drops one");
	is_str("9000-a000@0:1", show(&rs), "key 1 kept");
	is_int(0, refs[6], "key 6 let go");
	is_int(1, refs[1], "key 1 still once");
	rt_ranges_free(&rs);
}

int
main(void)
{
	test_index();
	test_ranges();
	return tap_done();
}
