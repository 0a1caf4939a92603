/* span.c - what a judgement read, and whether a pending remap can change
 * it (rt_span.h).  Pure: no system calls.
 *
 * What an mmap(MAP_FIXED) of [addr, addr + len) changes (mm/vma.c): the
 * VMAs it covers are split at addr and addr + len and the part between
 * replaced; the new VMA may then be merged with the VMA that ends at addr
 * and the one that starts at addr + len, and with nothing else.  A valid
 * call's range lies inside the VMAs its judgement read, so only two VMAs
 * outside that span can change: the one ending at its low end, when the
 * mapping starts there, and the one starting at its high end, when the
 * mapping ends there; and only if their file offsets run on (a merge needs
 * vm_pgoff contiguity and the same file, is_mergeable_vma()).
 */
#include <errno.h>
#include <string.h>

#include "rt_span.h"

static void
edge(struct rt_span_vma *e, const struct rt_vma *v)
{
	e->start = v->start;
	e->end = v->end;
	e->offset = v->offset;
	e->ino = v->ino;
	e->dev_major = v->dev_major;
	e->dev_minor = v->dev_minor;
}

/* Add the answer of find(@addr) to @s: @v, or none above (@r -ENOENT). */
static void
add(struct rt_span *s, uint64_t addr, int r, const struct rt_vma *v)
{
	uint64_t lo = addr, hi = UINT64_MAX;

	if (r == 0) {
		/* find() gives the VMA at addr or the next one above. */
		lo = v->start < addr ? v->start : addr;
		hi = v->end;
	}
	if (!s->any || lo < s->lo) {
		s->lo = lo;
		s->low_vma = r == 0 && v->start <= addr;
		if (r == 0)
			edge(&s->low, v);
	}
	if (!s->any || hi > s->hi) {
		s->hi = hi;
		if (r == 0)
			edge(&s->high, v);
	}
	s->any = true;
}

static int
find(void *arg, uint64_t addr, bool exact, struct rt_vma *out)
{
	struct rt_span_rec *rec = arg;
	int r = rec->inner.find(rec->inner.ctx, addr, exact, out);

	if (r == 0 || r == -ENOENT)
		add(&rec->span, addr, r, out);
	return r;
}

void
rt_span_lookup(struct rt_span_rec *rec, const struct rt_vma_lookup *inner,
	       struct rt_vma_lookup *out)
{
	memset(&rec->span, 0, sizeof(rec->span));
	rec->inner = *inner;
	out->find = find;
	out->ctx = rec;
}

static bool
same_file(const struct rt_span_vma *v, const struct rt_span_job *j)
{
	return v->ino == j->ino && v->dev_major == j->dev_major &&
	       v->dev_minor == j->dev_minor;
}

bool
rt_span_conflict(const struct rt_span_job *job, const struct rt_span *later)
{
	const struct rt_span *w = &job->read;

	if (!w->any || !later->any)
		return false;	/* reads nothing, changes nothing */
	if (later->lo < w->hi && w->lo < later->hi)
		return true;	/* read what it changes */
	if (!job->maps)
		return false;	/* munmap: merges nothing */
	/* The VMA ending where the job's span starts. */
	if (later->hi == w->lo && job->addr == w->lo &&
	    same_file(&later->high, job) &&
	    later->high.offset + (later->high.end - later->high.start) ==
	    job->offset)
		return true;
	/* The VMA starting where it ends (not a hole seen there). */
	if (later->lo == w->hi && later->low_vma &&
	    job->addr + job->len == w->hi && same_file(&later->low, job) &&
	    job->offset + job->len == later->low.offset)
		return true;
	return false;
}
