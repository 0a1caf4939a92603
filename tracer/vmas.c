/* vmas.c - a tracee's VMAs for the pure rule book (emu/validate.c):
 * PROCMAP_QUERY when it tells enough, smaps when it does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_compat.h"
#include "rt_maps.h"
#include "rt_features.h"
#include "rt_shm.h"
#include "rt_vmas.h"
#include "rt_util.h"

void
rt_vmas_init(struct rt_vmas *vs, pid_t tid, pid_t tgid,
	     unsigned long page_size, struct rt_proc *proc,
	     const struct rt_ident *ident)
{
	memset(vs, 0, sizeof(*vs));
	vs->tid = tid;
	vs->tgid = tgid;
	vs->page_size = page_size;
	vs->proc = proc;
	vs->ident = ident;
	vs->smaps_fd = -1;
}

int
rt_vmas_open(struct rt_vmas *vs, pid_t pid)
{
	char path[64];

	rt_vmas_init(vs, pid, pid, sysconf(_SC_PAGESIZE), NULL, NULL);
	vs->own_proc = (struct rt_proc){ .tgid = pid, .maps_fd = -1,
					 .smaps_fd = -1, .pidfd = -1,
					 .hidden_flags = true };
	vs->proc = &vs->own_proc;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
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

/* ---- exact path: smaps ---- */

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
load_smaps(struct rt_vmas *vs)
{
	char path[64];
	int r;

	if (vs->smaps_fd < 0 && vs->proc && vs->proc->smaps_fd >= 0) {
		/* Opened ahead (rt_vmas_keep_open()): read it from the top. */
		vs->smaps_fd = dup(vs->proc->smaps_fd);
		if (vs->smaps_fd < 0 || lseek(vs->smaps_fd, 0, SEEK_SET) < 0)
			return rt_neg_errno();
	}
	if (vs->smaps_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/smaps", vs->tid);
		vs->smaps_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (vs->smaps_fd < 0)
			return errno == ENOENT ? -ESRCH : rt_neg_errno();
	}
	vs->smaps_reads++;
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

static int
find_smaps(struct rt_vmas *vs, uint64_t addr, struct rt_vma *out)
{
	size_t lo = 0, hi;
	int r;

	if (!vs->loaded) {
		r = load_smaps(vs);
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
	return 0;
}

/* ---- fast path: PROCMAP_QUERY ---- */

static int
maps_fd(struct rt_vmas *vs)
{
	char path[64];

	if (vs->proc->maps_fd >= 0)
		return vs->proc->maps_fd;
	snprintf(path, sizeof(path), "/proc/%d/maps", vs->tid);
	vs->proc->maps_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vs->proc->maps_fd < 0)
		return errno == ENOENT ? -ESRCH : rt_neg_errno();
	vs->fresh_maps = true;
	return vs->proc->maps_fd;
}

/*
 * VM_SHARED is VM_MAYSHARE of a file opened for writing (do_mmap() drops
 * VM_SHARED and VM_MAYWRITE without FMODE_WRITE), which PROCMAP_QUERY does
 * not show.  A writable VMA says it without more: without VM_MAYWRITE,
 * PROT_WRITE could never have been granted.  For a read-only one only the
 * kernel's own per-VMA flags can be believed: the "sh" of its smaps
 * VmFlags.  Not the mode of its map_files link, which the program can
 * make stale (the dentry keeps the mode of the first file looked up at
 * that range), nor a record of ours, which an unfollowed mremap() or
 * another ABI's mmap can make stale: either would let a read-only open
 * file pass for a writable one.
 */
static int
exact_if_read_only(struct rt_vmas *vs, uint64_t addr, struct rt_vma *out)
{
	struct rt_vma ex;
	int r;

	if (out->flags_exact || (out->flags & RT_VM_WRITE))
		return 0;
	r = find_smaps(vs, addr, &ex);
	if (r < 0)
		return r;
	*out = ex;
	return 0;
}

void
rt_vmas_keep_open(struct rt_proc *proc)
{
	char path[64];

	if (proc->maps_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/maps", proc->tgid);
		proc->maps_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (proc->smaps_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/smaps", proc->tgid);
		proc->smaps_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
}

static int
find_query(struct rt_vmas *vs, uint64_t addr, struct rt_vma *out)
{
	char name[PATH_MAX];
	struct procmap_query q = {
		.size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
		.query_addr = addr,
		.vma_name_addr = (uintptr_t)name,
		.vma_name_size = sizeof(name),
	};
	int fd;

	if (!rt_features_has(RT_FEAT_PROCMAP_QUERY))
		return -ENOTTY;		/* as before 6.11: smaps instead */
	/* What the kernel writes there is not seen by tools that do not
	 * know PROCMAP_QUERY (valgrind): the part we copy starts defined. */
	memset(name, 0, sizeof(((struct rt_vma *)0)->name));
	fd = maps_fd(vs);
	if (fd < 0)
		return fd;
	vs->queries++;
	if (ioctl(fd, PROCMAP_QUERY, &q) < 0)
		return errno == ENOENT ? -ENOENT : rt_neg_errno();
	memset(out, 0, sizeof(*out));
	out->start = q.vma_start;
	out->end = q.vma_end;
	out->offset = q.vma_offset;
	out->ino = q.inode;
	out->dev_major = q.dev_major;
	out->dev_minor = q.dev_minor;
	out->page_size = q.vma_page_size;
	if (q.vma_flags & PROCMAP_QUERY_VMA_READABLE)
		out->flags |= RT_VM_READ;
	if (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE)
		out->flags |= RT_VM_WRITE;
	if (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE)
		out->flags |= RT_VM_EXEC;
	if (q.vma_flags & PROCMAP_QUERY_VMA_SHARED)
		out->flags |= RT_VM_MAYSHARE;
	if (q.vma_page_size > vs->page_size)
		out->flags |= RT_VM_HUGETLB;
	if (q.vma_name_size) {
		/* Shown, and told apart (SysV shm, devices): identity goes by
		 * device, inode and key. */
		name[sizeof(out->name) - 1] = '\0';
		memcpy(out->name, name, strlen(name) + 1);
	}
	return 0;
}

static int
find(void *arg, uint64_t addr, bool exact, struct rt_vma *out)
{
	struct rt_vmas *vs = arg;
	const struct rt_ident_key *k = NULL;
	bool wr, inferred;
	int r = -ENOTTY;

	/*
	 * In a process without hidden flags, VMAs of one open file differ
	 * only in what PROCMAP_QUERY shows, so it serves span checks too.
	 * In one with them (mlock, madvise...), only span checks need every
	 * flag: a call within its first VMA is judged from PROCMAP_QUERY and
	 * emulated by a second mapping of that VMA, which carries all of its
	 * flags (emulate.c), so smaps is not read for it.
	 */
	if (!vs->proc->hidden_flags || !exact)
		r = find_query(vs, addr, out);
	if (r == -ENOTTY || r == -EINVAL)	/* before 6.11 */
		r = find_smaps(vs, addr, out);
	if (r < 0)
		return r;
	if (!(out->flags & RT_VM_MAYSHARE))
		return 0;
	r = exact_if_read_only(vs, addr, out);
	if (r < 0)
		return r;
	wr = out->flags_exact ? !!(out->flags & RT_VM_SHARED) : true;
	if (vs->ident) {
		k = rt_ident_find(vs->ident, vs->tgid, vs->tid, out, &inferred);
		/*
		 * A key must be the same kind of open file as the VMA's own:
		 * a stale record (the range unmapped, then a read-only open
		 * file of the same inode moved there) must never lend the
		 * write access of the open file it remembers.
		 */
		if (k && k->writable != wr)
			k = NULL;
		out->file_id = k ? k->id : 0;
		out->file_id_inferred = k && inferred;
	}
	if (!out->flags_exact)
		out->flags |= RT_VM_SHARED;
	return 0;
}

/*
 * May @v be of @like's very open file?  Where we know which open file
 * @like maps (a followed mmap), @v must be known to map the same one: the
 * inode mapped through two open files must not lend the other.  Where we
 * do not (shared memory no descriptor ever named), the inode decides.
 */
static bool
same_open_file(const struct rt_vmas *vs, const struct rt_vma *like,
	       const struct rt_vma *v)
{
	const struct rt_ident_key *k;
	bool inferred;

	/*
	 * Shared memory no descriptor names: the VMAs no record vouches
	 * for are of its own open file (or of another attach of the same
	 * SysV segment: README, Differences); a piece mapped from a file
	 * the program opened anew (rt_ident_stand_in()) is not, whichever
	 * @like is.
	 */
	if (rt_shm_unnamed(like))
		return !vs->ident ||
		       !rt_ident_find(vs->ident, vs->tgid, vs->tid, v, &inferred);
	if (!like->file_id || like->file_id_inferred)
		return !like->file_id;
	if (!vs->ident)
		return false;
	k = rt_ident_find(vs->ident, vs->tgid, vs->tid, v, &inferred);
	return k && !inferred && k->id == like->file_id;
}

static struct rt_piece *
piece(struct rt_proc *proc, uint64_t ino, uint64_t pgoff)
{
	return &proc->pieces[(ino * 31 + pgoff) % RT_PIECES];
}

void
rt_vmas_note_piece(struct rt_proc *proc, uint64_t ino, uint64_t off,
		   uint64_t addr, uint64_t page_size)
{
	struct rt_piece *p = piece(proc, ino, off / page_size);

	*p = (struct rt_piece){ .ino = ino, .pgoff = off / page_size,
				.addr = addr };
}

/* How far around the first VMA, and over how many VMAs, a donor is sought. */
#define RT_DONOR_REACH	(256ULL << 20)
#define RT_DONOR_VMAS	16

/* The best donor so far (rt_vmas_donor()). */
struct donor {
	const struct rt_vma *like;
	uint64_t off, src, best;	/* best: lead, UINT64_MAX for none */
	bool narrow;			/* src's VMA has more of rwx */
};

/* Is @v a donor for @d, and a better one?  true when it maps the offset
 * itself (the search is over). */
static bool
consider(struct rt_vmas *vs, struct donor *d, const struct rt_vma *v)
{
	const uint64_t rwx = RT_VM_READ | RT_VM_WRITE | RT_VM_EXEC;
	const struct rt_vma *like = d->like;
	uint64_t last;

	if (vs->proc && v->ino == like->ino)
		rt_vmas_note_piece(vs->proc, v->ino, v->offset, v->start,
				   vs->page_size);
	if (v->ino != like->ino || v->dev_major != like->dev_major ||
	    v->dev_minor != like->dev_minor ||
	    (v->flags & RT_VM_MAYSHARE) != (like->flags & RT_VM_MAYSHARE) ||
	    (like->flags & rwx & ~v->flags) || d->off < v->offset ||
	    !same_open_file(vs, like, v))
		return false;
	/*
	 * (More of rwx will do: the piece is narrowed with mprotect, as the
	 * program could itself; a rw- piece of the very open file reaches
	 * further than a r-- piece of another, which would not merge.)
	 */
	if (d->off - v->offset < v->end - v->start) {
		d->src = v->start + (d->off - v->offset);
		d->best = 0;
		d->narrow = (v->flags & rwx) != (like->flags & rwx);
		return true;
	}
	/* Its last page is nearest below @off. */
	last = v->offset + (v->end - v->start) - vs->page_size;
	if (d->off - last < d->best) {
		d->best = d->off - last;
		d->src = v->end - vs->page_size;
		d->narrow = (v->flags & rwx) != (like->flags & rwx);
	}
	return false;
}

/*
 * Consider the VMAs that touch @d's first VMA on one side, each adjacent
 * to the last (@up: from its end; else from its start, down).  1 when one
 * maps the offset itself, else 0 or -errno.
 */
static int
walk_touching(struct rt_vmas *vs, struct donor *d, bool up)
{
	uint64_t addr = up ? d->like->end : d->like->start;
	unsigned int seen;
	struct rt_vma v;
	int r;

	for (seen = 0; seen < RT_DONOR_VMAS && (up || addr); seen++) {
		/* below: the VMA covering the address under @addr */
		r = find_query(vs, up ? addr : addr - 1, &v);
		if (r == -ENOENT ||
		    (r == 0 && (up ? v.start != addr : v.start >= addr)))
			return 0;
		if (r < 0)
			return r;
		if (consider(vs, d, &v))
			return 1;
		addr = up ? v.end : v.start;
	}
	return 0;
}

int
rt_vmas_donor(struct rt_vmas *vs, const struct rt_vma *like, uint64_t off,
	      bool quick, uint64_t *src, uint64_t *lead, bool *narrow)
{
	struct donor d = { like, off, 0, UINT64_MAX, false };
	uint64_t addr, end;
	unsigned int seen;
	struct rt_vma v;
	int r;

	/*
	 * Only the neighbourhood of @like, a bounded number of VMAs: the
	 * pieces of one mapping lie together, and the per-call cost must not
	 * grow with the address space.
	 */
	/* Where a piece of that page was last seen, first. */
	if (vs->proc) {
		const struct rt_piece *p = piece(vs->proc, like->ino,
						 off / vs->page_size);

		if (p->ino == like->ino && p->pgoff == off / vs->page_size &&
		    find_query(vs, p->addr, &v) == 0 && v.start <= p->addr &&
		    consider(vs, &d, &v))
			goto found;
	}
	if (quick)
		return -ENOENT;
	/* Then the VMAs that touch @like, one after the other, above it and
	 * below it. */
	r = walk_touching(vs, &d, true) ?: walk_touching(vs, &d, false);
	if (r < 0)
		return r;
	if (r > 0)
		goto found;
	if (d.best != UINT64_MAX)
		goto found;
	/*
	 * Else whatever lies within reach, from below: pieces of one
	 * mapping a hole or an mremap set apart, which for shared memory no
	 * descriptor names are the only way to its other offsets
	 * (t-anon-apart).
	 */
	addr = like->start > RT_DONOR_REACH ? like->start - RT_DONOR_REACH : 0;
	end = like->end + RT_DONOR_REACH;
	for (seen = 0; seen < RT_DONOR_VMAS && addr < end; seen++) {
		r = find_query(vs, addr, &v);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		if (consider(vs, &d, &v))
			goto found;
		if (v.end <= addr)
			break;
		addr = v.end;
	}
found:
	if (d.best == UINT64_MAX)
		return -ENOENT;
	*src = d.src;
	*lead = d.best;
	*narrow = d.narrow;
	return 0;
}

void
rt_vmas_lookup(struct rt_vmas *vs, struct rt_vma_lookup *lk)
{
	lk->find = find;
	lk->ctx = vs;
}
