/* test_span.c - the span a judgement reads (emu/span.c) recorded over the
 * real rule book, and the conflict test between a pending remap and a
 * later judgement: every way the kernel's mmap can reach outside a span
 * (overlap, a merge at either edge) against the near misses that cannot.
 */
#include <errno.h>
#include <string.h>

#include "rt_remap.h"
#include "rt_span.h"
#include "tap.h"

#define P	4096ULL
#define RWS	(RT_VM_READ | RT_VM_WRITE | RT_VM_MAYSHARE | RT_VM_SHARED)
#define VMA(s_, e_, off_, ino_) { .start = (s_), .end = (e_), \
			      .offset = (off_), .dev_major = 8, \
			      .dev_minor = 1, .ino = (ino_), \
			      .flags = RWS, .page_size = P }

/*
 * 0x10000-0x12000 file 7 @0, 0x12000-0x14000 file 7 @0x8000 (adjacent, not
 * contiguous), hole, 0x20000-0x21000 file 7 @0x1000, 0x21000-0x23000 file
 * 7 @0x9000 and 0x23000-0x24000 file 7 @0xb000 (one span), then nothing.
 */
static const struct rt_vma vmas[] = {
	VMA(0x10000, 0x12000, 0, 7),
	VMA(0x12000, 0x14000, 0x8000, 7),
	VMA(0x20000, 0x21000, 0x1000, 7),
	VMA(0x21000, 0x23000, 0x9000, 7),
	VMA(0x23000, 0x24000, 0xb000, 7),
};

static int
fake_find(void *ctx, uint64_t addr, bool exact, struct rt_vma *out)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(vmas) / sizeof(vmas[0]); i++) {
		if (vmas[i].end <= addr)
			continue;
		*out = vmas[i];
		out->flags_exact = exact;
		return 0;
	}
	return -ENOENT;
}

/* Judge @a and return the span its judgement read. */
static struct rt_span
judged(uint64_t start, uint64_t size, struct rt_verdict *v)
{
	struct rt_vma_lookup inner = { .find = fake_find }, lk;
	struct rt_remap_args a = { .start = start, .size = size };
	struct rt_span_rec rec;

	rt_span_lookup(&rec, &inner, &lk);
	if (rt_remap_validate(&a, P, &lk, v) != 0)
		tap_bail("validate failed");
	return rec.span;
}

/* The job of a valid call at @start mapping @size bytes at @off. */
static struct rt_span_job
job(uint64_t start, uint64_t size, uint64_t off)
{
	struct rt_verdict v;
	struct rt_span_job j = { .read = judged(start, size, &v) };

	if (v.action != RT_ACT_MMAP)
		tap_bail("job not valid");
	j.maps = true;
	j.addr = v.plan.addr;
	j.len = v.plan.len;
	j.offset = off;
	j.ino = v.first.ino;
	j.dev_major = v.first.dev_major;
	j.dev_minor = v.first.dev_minor;
	return j;
}

static void
test_recorded(void)
{
	struct rt_verdict v;
	struct rt_span s;

	s = judged(0x11000, P, &v);
	is_int(RT_ACT_MMAP, v.action, "one page inside a VMA is valid");
	is_u64(0x10000, s.lo, "span starts at the VMA's start");
	is_u64(0x12000, s.hi, "span ends at the VMA's end");
	ok(s.low_vma, "a VMA starts at lo");
	is_u64(0x10000, s.high.start, "high VMA recorded");

	s = judged(0x20000, 0x4000, &v);
	is_int(RT_ACT_MMAP, v.action, "three-VMA span is valid");
	is_u64(0x20000, s.lo, "span: lo");
	is_u64(0x24000, s.hi, "span: every VMA read");
	is_u64(0x20000, s.low.start, "span: low VMA is the first");
	is_u64(0x23000, s.high.start, "span: high VMA is the last");

	s = judged(0x18000, P, &v);
	is_int(EINVAL, v.err, "start in a hole is EINVAL");
	is_u64(0x18000, s.lo, "hole: lo is the address asked");
	ok(!s.low_vma, "hole: no VMA at lo");
	is_u64(0x21000, s.hi, "hole: up to the end of the VMA found");

	s = judged(0x30000, P, &v);
	is_int(EINVAL, v.err, "start above every VMA is EINVAL");
	is_u64(UINT64_MAX, s.hi, "nothing above: hi is the top");

	s = judged(0x11000, P, &v);
	s = judged(0x11000, P, &v);
	is_u64(0x10000, s.lo, "each lookup starts a fresh span");
}

static void
test_conflicts(void)
{
	struct rt_verdict v;
	struct rt_span_job j;
	struct rt_span k;

	j = job(0x21000, P, 0);
	k = judged(0x21800, P, &v);
	ok(rt_span_conflict(&j, &k), "same VMA: conflict");
	k = judged(0x20000, 0x2000, &v);
	ok(rt_span_conflict(&j, &k), "a span over the job's VMA: conflict");
	k = judged(0x20000, P, &v);
	ok(!rt_span_conflict(&j, &k), "the VMA before it, offsets apart");
	k = judged(0x1f000, P, &v);
	ok(!rt_span_conflict(&j, &k),
	   "a hole whose next VMA is before the job's");
	j = job(0x20000, P, 0);
	ok(rt_span_conflict(&j, &k), "a hole whose next VMA is the job's");
	k = judged(0x30000, P, &v);
	ok(!rt_span_conflict(&j, &k), "nothing above, job below");
	j.read.lo = 0x40000;
	j.read.hi = 0x41000;
	ok(rt_span_conflict(&j, &k), "nothing above, but a job is: conflict");

	/* 0x12000-0x14000 @0x8000 next to 0x10000-0x12000 @0. */
	k = judged(0x10000, P, &v);
	j = job(0x12000, 0x2000, 0x2000);
	ok(rt_span_conflict(&j, &k),
	   "left neighbour whose offset runs on into the mapping: merge");
	j = job(0x12000, 0x2000, 0x3000);
	ok(!rt_span_conflict(&j, &k), "left neighbour, offset gap: no merge");
	j = job(0x13000, P, 0x2000);
	ok(!rt_span_conflict(&j, &k),
	   "mapping not at the span's start: no merge outside");
	j = job(0x12000, 0x2000, 0x2000);
	j.ino = 8;
	ok(!rt_span_conflict(&j, &k), "another file: no merge");
	j.ino = 7;
	j.dev_minor = 2;
	ok(!rt_span_conflict(&j, &k), "another device: no merge");
	j = job(0x12000, 0x2000, 0x2000);
	j.maps = false;
	ok(!rt_span_conflict(&j, &k), "an unmap merges nothing");

	k = judged(0x12000, P, &v);
	j = job(0x10000, 0x2000, 0x6000);
	ok(rt_span_conflict(&j, &k),
	   "right neighbour continuing the mapping's offsets: merge");
	j = job(0x10000, 0x2000, 0x5000);
	ok(!rt_span_conflict(&j, &k), "right neighbour, offset gap");
	j = job(0x10000, P, 0x7000);
	ok(!rt_span_conflict(&j, &k),
	   "mapping not at the span's end: no merge outside");

	/* The bench's layout: adjacent windows, offsets that never run on. */
	k = judged(0x10000, 0x2000, &v);
	j = job(0x12000, 0x2000, 0x8000);
	ok(!rt_span_conflict(&j, &k), "adjacent windows, own offsets");
	j = job(0x12000, 0x2000, 0x2000);
	ok(rt_span_conflict(&j, &k), "adjacent windows, offsets run on");
}

static void
test_empty(void)
{
	struct rt_span_job none = { 0 };
	struct rt_verdict v;
	struct rt_span k = judged(0x11000, P, &v);
	struct rt_span nothing = { 0 };
	struct rt_span_job j = job(0x11000, P, 0);

	ok(!rt_span_conflict(&none, &k), "a job that read nothing");
	ok(!rt_span_conflict(&j, &nothing), "a judgement that read nothing");
}

int
main(void)
{
	test_recorded();
	test_conflicts();
	test_empty();
	return tap_done();
}
