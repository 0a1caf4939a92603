/* layout.c - which file page backs each page of a remapped range, read
 * back from /proc/TID/maps after an emulated call (--layout).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_maps.h"
#include "rt_layout.h"
#include "rt_util.h"

#define RUN_MIN		5	/* ascending runs this long print as a-b */
#define PICTURE_MAX	2048	/* longer pictures end in "..." */

struct maps {
	struct rt_vma *v;	/* in address order, as the kernel lists them */
	size_t n;
};

static int
load_maps(pid_t tid, struct maps *m)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, cap = 0, cap_v = 0;
	char path[64], *line, *nl;
	struct rt_vma *nv;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/maps", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_neg_errno();
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(text, cap = cap ? cap * 2 : 65536);

			if (!nb)
				return -ENOMEM;
			text = nb;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rt_neg_errno();
		if (n == 0)
			break;
		len += n;
	}
	text[len] = '\0';
	for (line = text; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		nv = rt_grow(m->v, m->n, &cap_v, sizeof(*nv), 256);
		if (!nv)
			return -ENOMEM;
		m->v = nv;
		*nl = '\0';
		if (rt_maps_parse_line(line, &m->v[m->n]) == 0)
			m->n++;
		if (nl == text + len)
			break;
	}
	return 0;
}

static bool
same_object(const struct rt_vma *a, const struct rt_vma *b)
{
	return a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
	       a->ino == b->ino;
}

/* Index of the VMA containing @addr, or -1. */
static long
vma_at(const struct maps *m, uint64_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end)
			return (long)i;
	return -1;
}

/*
 * Widen [*lo, *hi) over neighbours without a hole that map the same
 * object, so that a window remapped one page at a time shows whole.
 */
static void
widen(const struct maps *m, const struct rt_vma *obj, uint64_t *lo,
      uint64_t *hi)
{
	long i = vma_at(m, *lo);

	while (i > 0 && m->v[i - 1].end == m->v[i].start &&
	       same_object(&m->v[i - 1], obj))
		*lo = m->v[--i].start;
	i = vma_at(m, *hi - 1);
	while (i >= 0 && (size_t)i + 1 < m->n &&
	       m->v[i + 1].start == m->v[i].end &&
	       same_object(&m->v[i + 1], obj))
		*hi = m->v[++i].end;
}

/* The object page behind @addr, or -1 unmapped, -2 another object. */
static int64_t
page_at(const struct maps *m, const struct rt_vma *obj, uint64_t addr,
	unsigned long ps)
{
	long i = vma_at(m, addr);

	if (i < 0)
		return -1;
	if (!same_object(&m->v[i], obj))
		return -2;
	return (int64_t)((m->v[i].offset + addr - m->v[i].start) / ps);
}

/*
 * How many pages from @a (which shows object page @p) show p, p + 1, ...:
 * the rest of its VMA, and of following VMAs that continue it.
 */
static uint64_t
run_length(const struct maps *m, const struct rt_vma *obj, uint64_t a,
	   uint64_t hi, unsigned long ps, int64_t p)
{
	long i = vma_at(m, a);
	uint64_t k = 0, stop;

	for (;;) {
		stop = m->v[i].end < hi ? m->v[i].end : hi;
		k += (stop - a) / ps;
		a = stop;
		if (a >= hi || (size_t)i + 1 >= m->n ||
		    m->v[i + 1].start != a ||
		    page_at(m, obj, a, ps) != p + (int64_t)k)
			return k;
		i++;
	}
}

static void
picture(FILE *f, const struct maps *m, const struct rt_vma *obj, uint64_t lo,
	uint64_t hi, unsigned long ps)
{
	uint64_t a = lo, k;
	int64_t p;

	fprintf(f, "%#" PRIx64 " [", lo);
	while (a < hi && ftell(f) < PICTURE_MAX) {
		if (a != lo)
			fputc(' ', f);
		p = page_at(m, obj, a, ps);
		if (p < 0) {
			fputc(p == -1 ? '.' : '-', f);
			a += ps;
			continue;
		}
		k = run_length(m, obj, a, hi, ps, p);
		if (k >= RUN_MIN)
			fprintf(f, "%" PRId64 "-%" PRId64, p,
				p + (int64_t)k - 1);
		else
			for (uint64_t i = 0; i < k; i++)
				fprintf(f, "%s%" PRId64, i ? " " : "",
					p + (int64_t)i);
		a += k * ps;
	}
	fputs(a < hi ? " ...]" : "]", f);
}

/**
 * rt_layout_describe() - the file page behind each page of the mapping
 * an emulated call changed, read back from /proc/TID/maps.
 * @tid: the caller, still stopped after the injected mmap.
 * @v: the call's verdict: v->first is the mapping that contained start,
 *	v->plan the range that was mapped.
 * @page_size: the base page size; pages are numbered in it, as pgoff is.
 *
 * The range is [first.start, max(first.end, plan end)), widened over
 * neighbours of the same object (device and inode) with no hole between.
 * Each page shows its page number in that object; "." an unmapped page,
 * "-" a page of something else.  Ascending runs of RUN_MIN pages or more
 * print as "a-b".  Example: "0x7f3c00000000 [3 1 2 3]".
 *
 * Return: a malloc'd string, or NULL (no memory, or the maps unreadable).
 */
char *
rt_layout_describe(pid_t tid, const struct rt_verdict *v,
		   unsigned long page_size)
{
	struct maps m = { 0 };
	uint64_t lo = v->first.start, hi = v->first.end;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (v->plan.addr + v->plan.len > hi)
		hi = v->plan.addr + v->plan.len;
	if (!page_size || lo >= hi || load_maps(tid, &m) < 0) {
		free(m.v);
		return NULL;
	}
	widen(&m, &v->first, &lo, &hi);
	f = open_memstream(&out, &len);
	if (f) {
		picture(f, &m, &v->first, lo, hi, page_size);
		if (fclose(f) != 0) {
			free(out);
			out = NULL;
		}
	}
	free(m.v);
	return out;
}
