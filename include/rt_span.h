/* rt_span.h - what a judgement read, and whether a pending remap can
 * change it (emu/span.c).
 *
 * The agent runs a process's mmaps in order, after they were judged.
 * While one still runs, another call of the same process may be judged only
 * if that mmap can change nothing the judgement read: no VMA it looked at
 * and no hole it saw.  The kernel serialises both calls on mmap_lock, and
 * the two orders then give the same verdicts and the same memory.
 */
#ifndef RT_SPAN_H
#define RT_SPAN_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_vma.h"

/* The part of a VMA that decides whether the kernel merges into it. */
struct rt_span_vma {
	uint64_t start, end, offset, ino;
	uint32_t dev_major, dev_minor;
};

/*
 * struct rt_span - the addresses a judgement read: [lo, hi) (hi is
 * UINT64_MAX when it saw no VMA above some address), with the VMA of
 * lowest start (@low, if one starts at lo: @low_vma) and that of highest
 * end (@high: hi == high.end whenever hi is finite).
 */
struct rt_span {
	bool any;
	bool low_vma;
	uint64_t lo, hi;
	struct rt_span_vma low, high;
};

/* A lookup that records into @span what it hands out from @inner. */
struct rt_span_rec {
	struct rt_span span;
	struct rt_vma_lookup inner;
};

/* Make @out a lookup through @inner that records into @rec (reset). */
void rt_span_lookup(struct rt_span_rec *rec, const struct rt_vma_lookup *inner,
		    struct rt_vma_lookup *out);

/*
 * struct rt_span_job - a judged call whose mmap may still run: the span
 * its judgement read (all it can change lies inside), and, when @maps, the
 * mapping it creates ([addr, addr + len) at byte @offset of file @ino),
 * which the kernel may merge with a VMA next to the span.
 */
struct rt_span_job {
	struct rt_span read;
	bool maps;
	uint64_t addr, len, offset, ino;
	uint32_t dev_major, dev_minor;
};

/* Can running @job change anything a judgement that read @later saw? */
bool rt_span_conflict(const struct rt_span_job *job,
		      const struct rt_span *later);

#endif
