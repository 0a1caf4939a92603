/* vmas.c - VMA snapshots of a tracee from /proc/TID/smaps, for the pure
 * rule book (emu/validate.c) to look at.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_maps.h"
#include "rt_tracer.h"
#include "rt_util.h"

int
rt_vmas_open(struct rt_vmas *vs, pid_t tid)
{
	char path[64];

	memset(vs, 0, sizeof(*vs));
	vs->tid = tid;
	snprintf(path, sizeof(path), "/proc/%d/smaps", tid);
	vs->smaps_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vs->smaps_fd < 0)
		return errno == ENOENT ? -ESRCH : rt_neg_errno();
	return 0;
}

void
rt_vmas_close(struct rt_vmas *vs)
{
	if (vs->smaps_fd >= 0)
		close(vs->smaps_fd);
	vs->smaps_fd = -1;
	free(vs->buf);
	free(vs->v);
	vs->buf = NULL;
	vs->v = NULL;
}

static int
read_all(struct rt_vmas *vs)
{
	ssize_t n;

	vs->len = 0;
	for (;;) {
		if (vs->cap - vs->len < 65536) {
			size_t cap = vs->cap ? vs->cap * 2 : 262144;
			char *b = realloc(vs->buf, cap);

			if (!b)
				return -ENOMEM;
			vs->buf = b;
			vs->cap = cap;
		}
		n = read(vs->smaps_fd, vs->buf + vs->len, vs->cap - vs->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ESRCH ? -ESRCH : rt_neg_errno();
		if (n == 0)
			return 0;
		vs->len += n;
	}
}

static int
load(struct rt_vmas *vs)
{
	int r;

	r = read_all(vs);
	if (r < 0)
		return r;
	for (;;) {
		if (!vs->cap_v) {
			vs->cap_v = 256;
			vs->v = malloc(vs->cap_v * sizeof(*vs->v));
			if (!vs->v)
				return -ENOMEM;
		}
		r = rt_smaps_parse(vs->buf, vs->len, vs->v, vs->cap_v, &vs->n);
		if (r != -E2BIG)
			break;
		free(vs->v);
		vs->cap_v *= 4;
		vs->v = malloc(vs->cap_v * sizeof(*vs->v));
		if (!vs->v)
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	vs->loaded = true;
	return 0;
}

/* find_vma(): the first VMA whose end lies above addr. */
static int
find(void *arg, uint64_t addr, bool exact, struct rt_vma *out)
{
	struct rt_vmas *vs = arg;
	size_t lo = 0, hi;
	int r;

	(void)exact;	/* smaps always gives the exact flags */
	if (!vs->loaded) {
		r = load(vs);
		if (r < 0)
			return r;
	}
	hi = vs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vs->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == vs->n)
		return -ENOENT;
	*out = vs->v[lo];
	if (vs->ident) {
		const struct rt_ident_key *k;

		k = rt_ident_find(vs->ident, vs->tgid, out);
		out->file_id = k ? k->id : 0;
	}
	return 0;
}

void
rt_vmas_lookup(struct rt_vmas *vs, struct rt_vma_lookup *lk)
{
	lk->find = find;
	lk->ctx = vs;
}
