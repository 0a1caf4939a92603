/* ident.c - open-file identity of shared mappings.
 *
 * The kernel maps vma->vm_file, and a range spanning VMAs must stay in
 * one open file (struct file), not merely one inode (spec 2.9).  /proc
 * shows only device and inode, so the supervisor follows the tracee's
 * shared file mmaps: at each one it takes the tracee's descriptor with
 * pidfd_getfd (so it holds that very open file), learns the address from
 * the call's return, and records the range.  Emulated remaps are recorded
 * the same way.  A record is trusted only while the VMA it names still
 * agrees with it (inode and file offset), so stale ones are harmless.
 *
 * Costs: the copies are kept in kcmp(KCMP_FILE) order (kcmp orders the
 * file pointers: 0 equal, 1 less, 2 greater), so a new mmap costs a binary
 * search; records and per-inode counts are sorted arrays (emu/ranges.c).
 * The copies never exceed a budget below the descriptor limit: past it
 * the least recently used one of the process that brought the most is let
 * go (clock), and its ranges are then identified by device and inode
 * only.  A process mapping thousands of open files so pushes out its own
 * copies, never those of the others.
 *
 * Where the kernel can be asked which open file each VMA maps (a BPF
 * iterator, root: vmfile.c), an mmap is not caught after it to read its
 * address: its copy is kept, "not yet placed", and the records of such
 * mappings are made from the VMAs themselves when first needed.  That
 * saves the ptrace stop per shared mmap, most of what following costs.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "rt_features.h"
#include "rt_ident.h"
#include "rt_maps.h"
#include "rt_procs.h"
#include "rt_shm.h"
#include "rt_util.h"
#include "rt_vmfile.h"

#define SWEEP_MIN	1024	/* records before unmapped ones are looked for */
/* VMAs of the process, or descriptors of ours, the iterators read in the
 * time of one ptrace stop (measured: about 0.5 us a VMA, 0.3 us a
 * descriptor, 100 us a stop) */
#define PLACE_READS_PER_STOP	200

static struct rt_ident_key *
key_by_id(const struct rt_ident *id, uint64_t key_id)
{
	uint32_t slot = (uint32_t)key_id;

	if (!key_id || slot >= id->nslots || id->keys[slot].id != key_id)
		return NULL;
	return &id->keys[slot];
}

void
rt_ident_budget(struct rt_ident *id, uint64_t limit)
{
	uint64_t reserve = limit / 4 > 64 ? limit / 4 : 64;

	id->budget = limit > reserve + 16 ? limit - reserve : 16;
}

/* ---- the copies, in kcmp order ---- */

/* Key @from shares its open file with key @to, which stays. */
struct twin_pair {
	uint64_t from, to;
};

struct file_q {
	const struct rt_ident *id;
	int fd;
	const struct stat *st;
};

/* kcmp(KCMP_FILE) of two descriptors of ours: 0 one open file, 1 @a
 * sorts first, 2 @b does, else -1. */
static long
kcmp_ours(const struct rt_ident *id, int a, int b)
{
	return syscall(SYS_kcmp, id->self, id->self, KCMP_FILE, a, b);
}

/*
 * Where open file @q->fd sorts against the copy at order[@i].  Without
 * kcmp (CONFIG_KCMP off) device and inode are all there is to compare.
 */
static int
cmp_file(const void *arg, size_t i)
{
	const struct file_q *q = arg;
	const struct rt_ident_key *k = &q->id->keys[q->id->order[i]];
	long r;

	if (q->id->kcmp_state > 0) {
		r = kcmp_ours(q->id, q->fd, k->fd);
		return r == 0 ? 0 : r == 1 ? -1 : r == 2 ? 1 : RT_SORTED_ERR;
	}
#define CMP(a, b) if ((a) != (b)) return (a) < (b) ? -1 : 1
	CMP(major(q->st->st_dev), k->dev_major);
	CMP(minor(q->st->st_dev), k->dev_minor);
	CMP(q->st->st_ino, k->ino);
#undef CMP
	return 0;
}

static int
find_file(const struct rt_ident *id, int fd, const struct stat *st,
	  size_t *pos)
{
	struct file_q q = { id, fd, st };

	return rt_sorted_find(id->norder, cmp_file, &q, pos);
}

/* @owner holds one copy more (@delta 1) or fewer (-1). */
static void
held(struct rt_ident *id, pid_t owner, int delta)
{
	struct rt_ident_owner *o = NULL;
	size_t i;

	/* One entry per process holding copies: a handful. */
	for (i = 0; i < id->nowners && !o; i++)
		if (id->owners[i].tgid == owner)
			o = &id->owners[i];
	if (!o && delta > 0) {
		o = rt_grow(id->owners, id->nowners, &id->cap_owners,
			    sizeof(*o), 8);
		if (!o)
			return;	/* uncounted: evict() may take it first */
		id->owners = o;
		o = &id->owners[id->nowners++];
		*o = (struct rt_ident_owner){ .tgid = owner };
	}
	if (!o || (delta < 0 && !o->held))
		return;
	o->held += delta;
	if (!o->held)
		*o = id->owners[--id->nowners];
}

/*
 * Close @k's copy and take it out of the order.  Within a batch (a
 * process gone, a sweep: id->batch), the order is mended once at its end
 * (end_batch()) rather than searched for each copy.
 */
static void
let_go(struct rt_ident *id, struct rt_ident_key *k)
{
	struct stat st = {
		.st_dev = makedev(k->dev_major, k->dev_minor),
		.st_ino = k->ino,
	};
	size_t pos;

	if (k->fd < 0)
		return;
	held(id, k->owner, -1);
	if (k->pending) {	/* (not in the order) */
		close(k->fd);
		k->fd = -1;
		k->pending = false;
		id->npending--;
		return;
	}
	if (id->batch) {
		close(k->fd);
		k->fd = -1;
		id->unordered = true;
		return;
	}
	if (find_file(id, k->fd, &st, &pos) == 1 &&
	    &id->keys[id->order[pos]] == k)
		rt_sorted_remove(id->order, &id->norder, sizeof(*id->order),
				 pos, 1);
	close(k->fd);
	k->fd = -1;
}

static void
begin_batch(struct rt_ident *id)
{
	id->batch++;
}

/* Drop from the order the slots let go in the batch: one pass. */
static void
end_batch(struct rt_ident *id)
{
	size_t i, n = 0;

	if (--id->batch || !id->unordered)
		return;
	for (i = 0; i < id->norder; i++)
		if (id->keys[id->order[i]].id && id->keys[id->order[i]].fd >= 0)
			id->order[n++] = id->order[i];
	id->norder = n;
	id->unordered = false;
}

static void
key_free(struct rt_ident *id, struct rt_ident_key *k)
{
	uint32_t slot = (uint32_t)(k - id->keys);

	let_go(id, k);
	k->id = 0;
	/* Room for every slot was made when the slot was (new_slot()). */
	id->free[id->nfree++] = slot;
}

/*
 * Whose copy goes when @tgid needs room: the process that brought the
 * most, if it holds more than @tgid; else @tgid's own; 0: anybody's.
 * (A look over the owners, beside the clock's over the slots.)
 */
static pid_t
evict_from(const struct rt_ident *id, pid_t tgid)
{
	const struct rt_ident_owner *top = NULL;
	size_t i, mine = 0;

	for (i = 0; i < id->nowners; i++) {
		if (id->owners[i].tgid == tgid)
			mine = id->owners[i].held;
		if (!top || id->owners[i].held > top->held)
			top = &id->owners[i];
	}
	if (top && top->held > mine)
		return top->tgid;
	return mine ? tgid : 0;
}

/*
 * The budget is full: let go of the least recently used copy (clock) of
 * the process evict_from() names, or of anybody's when it has none.
 */
static void
evict(struct rt_ident *id, pid_t tgid)
{
	pid_t from = evict_from(id, tgid);
	size_t step;

	for (step = 0; step < 4 * id->nslots + 2; step++) {
		struct rt_ident_key *k = &id->keys[id->hand];

		/* two turns of the hand for @from's, then anybody's */
		if (step == 2 * id->nslots + 1)
			from = 0;
		id->hand = (id->hand + 1) % id->nslots;
		if (!k->id || k->fd < 0 || (from && k->owner != from))
			continue;
		if (k->used) {
			k->used = false;
			continue;
		}
		id->dropped++;
		if (k->refs)
			let_go(id, k);
		else
			key_free(id, k);
		return;
	}
}

static struct rt_ident_key *
new_slot(struct rt_ident *id)
{
	struct rt_ident_key *k;
	uint32_t *f;

	if (id->nfree)
		return &id->keys[id->free[--id->nfree]];
	k = rt_grow(id->keys, id->nslots, &id->cap_keys, sizeof(*k), 64);
	if (!k)
		return NULL;
	id->keys = k;
	f = rt_grow(id->free, id->nslots, &id->cap_free, sizeof(*f), 64);
	if (!f)
		return NULL;
	id->free = f;
	return &id->keys[id->nslots++];
}

/* A new key for our copy @fd of an open file (fstat @st, F_GETFL @fl). */
static struct rt_ident_key *
new_key(struct rt_ident *id, pid_t owner, int fd, const struct stat *st,
	int fl, bool pending)
{
	struct rt_ident_key *k = new_slot(id);

	if (!k)
		return NULL;
	*k = (struct rt_ident_key){
		.id = (++id->next_seq << 32) | (uint64_t)(k - id->keys),
		.fd = fd, .ino = st->st_ino,
		.dev_major = major(st->st_dev), .dev_minor = minor(st->st_dev),
		.writable = (fl & O_ACCMODE) != O_RDONLY,
		.pending = pending, .owner = owner,
	};
	held(id, owner, 1);
	return k;
}

static void
kcmp_init(struct rt_ident *id)
{
	if (!id->kcmp_state) {
		id->kcmp_state = rt_features_has(RT_FEAT_KCMP) ? 1 : -1;
		id->self = getpid();	/* (the supervisor never forks) */
	}
}

static void merge(struct rt_ident *id, struct twin_pair *t, size_t n);
static struct rt_ident_mm *mm_get(struct rt_ident *id, pid_t tgid,
				  bool create);

/*
 * Put the pending keys in the order (a search each), merging any that
 * shares its open file with a key there.  One whose search fails stays
 * pending.
 */
static void
settle(struct rt_ident *id)
{
	_cleanup_free_ struct twin_pair *t = NULL;
	size_t i, nt = 0, pos;

	if (!id->npending)
		return;
	t = malloc(id->npending * sizeof(*t));
	if (!t)
		return;
	for (i = 0; i < id->nslots; i++) {
		struct rt_ident_key *k = &id->keys[i];
		struct stat st = {
			.st_dev = makedev(k->dev_major, k->dev_minor),
			.st_ino = k->ino,
		};
		int r;

		if (!k->id || !k->pending)
			continue;
		r = find_file(id, k->fd, &st, &pos);
		if (r == 1) {
			t[nt++] = (struct twin_pair){
				k->id, id->keys[id->order[pos]].id };
		} else if (r == 0 &&
			   rt_sorted_insert((void **)&id->order, &id->norder,
					    &id->cap_order, sizeof(*id->order),
					    pos, &(uint32_t){ (uint32_t)i }) == 0) {
			k->pending = false;
			id->npending--;
		}
	}
	merge(id, t, nt);
}

int64_t
rt_ident_adopt(struct rt_ident *id, pid_t tgid, int fd)
{
	struct rt_ident_key *k;
	struct stat st;
	size_t pos;
	int r;

	if (fstat(fd, &st) < 0)
		return rt_neg_errno();
	kcmp_init(id);
	settle(id);
	r = find_file(id, fd, &st, &pos);
	if (r == 0 && id->budget && id->norder + id->npending >= id->budget) {
		evict(id, tgid);
		r = find_file(id, fd, &st, &pos);
	}
	if (r < 0)
		return r;
	if (r == 1) {
		k = &id->keys[id->order[pos]];
		k->used = true;
		close(fd);
		return (int64_t)k->id;
	}
	k = new_key(id, tgid, fd, &st, fcntl(fd, F_GETFL), false);
	if (!k)
		return -ENOMEM;
	if (rt_sorted_insert((void **)&id->order, &id->norder, &id->cap_order,
			     sizeof(*id->order), pos, &(uint32_t){
				     (uint32_t)(k - id->keys) }) < 0) {
		held(id, tgid, -1);
		k->fd = -1;	/* the caller still owns @fd */
		key_free(id, k);
		return -ENOMEM;
	}
	return (int64_t)k->id;
}

int64_t
rt_ident_adopt_lazy(struct rt_ident *id, pid_t tgid, int fd, int tfd,
		    const struct stat *st, int fl)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	const struct rt_ident_hint *h;
	struct rt_ident_key *k;

	kcmp_init(id);
	if (id->kcmp_state < 0 || !rt_features_has(RT_FEAT_VMFILE_ITER))
		return rt_ident_adopt(id, tgid, fd);
	h = m && tfd >= 0 ? &m->recent[tfd % RT_IDENT_RECENT] : NULL;
	k = h && h->tfd == tfd ? key_by_id(id, h->key_id) : NULL;
	if (k && k->fd >= 0 && kcmp_ours(id, fd, k->fd) == 0) {
		k->used = true;
		close(fd);
		return (int64_t)k->id;
	}
	if (id->budget && id->norder + id->npending >= id->budget)
		evict(id, tgid);
	k = new_key(id, tgid, fd, st, fl, true);
	if (!k)
		return -ENOMEM;
	id->npending++;
	return (int64_t)k->id;
}

/* ---- per process: records, which inodes they name, hints ---- */

struct use_q {
	uint32_t dev_major, dev_minor;
	uint64_t ino, key_id;
	const struct rt_ident_mm *m;
};

static int
cmp_use(const void *arg, size_t i)
{
	const struct use_q *q = arg;
	const struct rt_ident_use *u = &q->m->uses[i];

#define CMP(a, b) if ((a) != (b)) return (a) < (b) ? -1 : 1
	CMP(q->dev_major, u->dev_major);
	CMP(q->dev_minor, u->dev_minor);
	CMP(q->ino, u->ino);
	CMP(q->key_id, u->key_id);
#undef CMP
	return 0;
}

/* A record of @m naming @k came (@delta 1) or went (-1). */
static void
use_count(struct rt_ident_mm *m, const struct rt_ident_key *k, int delta)
{
	struct use_q q = { k->dev_major, k->dev_minor, k->ino, k->id, m };
	struct rt_ident_use u = {
		.dev_major = k->dev_major, .dev_minor = k->dev_minor,
		.ino = k->ino, .key_id = k->id, .n = 1,
	};
	size_t pos;

	if (rt_sorted_find(m->nu, cmp_use, &q, &pos) == 1) {
		m->uses[pos].n += delta;
		if (!m->uses[pos].n)
			rt_sorted_remove(m->uses, &m->nu, sizeof(u), pos, 1);
	} else if (delta > 0) {
		/* Out of memory: infer() then sees one open file too few. */
		rt_sorted_insert((void **)&m->uses, &m->nu, &m->cap_u,
				 sizeof(u), pos, &u);
	}
}

struct ref_arg {
	struct rt_ident *id;
	struct rt_ident_mm *m;
};

static void
ref(void *arg, uint64_t key_id, int delta)
{
	struct ref_arg *a = arg;
	struct rt_ident_key *k = key_by_id(a->id, key_id);

	if (!k)
		return;
	use_count(a->m, k, delta);
	if (delta > 0)
		k->refs++;
	else if (!--k->refs)
		key_free(a->id, k);
}

static struct rt_ident_mm *
mm_get(struct rt_ident *id, pid_t tgid, bool create)
{
	struct rt_ident_mm *m;
	size_t i;

	/* One entry per traced process: a handful. */
	for (i = 0; i < id->nmms; i++)
		if (id->mms[i].tgid == tgid)
			return &id->mms[i];
	if (!create)
		return NULL;
	m = rt_grow(id->mms, id->nmms, &id->cap_mms, sizeof(*m), 8);
	if (!m)
		return NULL;
	id->mms = m;
	m = &id->mms[id->nmms++];
	*m = (struct rt_ident_mm){ .tgid = tgid, .sweep_at = SWEEP_MIN };
	return m;
}

/* ---- keys found to share an open file ---- */

static int
cmp_twin(const void *a, const void *b)
{
	uint64_t x = ((const struct twin_pair *)a)->from;
	uint64_t y = ((const struct twin_pair *)b)->from;

	return (x > y) - (x < y);
}

/* What key @key_id stands for now: its twin's id if merged away. */
static uint64_t
merged(const struct twin_pair *t, size_t n, uint64_t key_id)
{
	struct twin_pair q = { .from = key_id };
	const struct twin_pair *f = bsearch(&q, t, n, sizeof(*t), cmp_twin);

	return f ? f->to : key_id;
}

static int
cmp_use_entry(const void *a, const void *b)
{
	const struct rt_ident_use *x = a, *y = b;

#define CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
	CMP(dev_major);
	CMP(dev_minor);
	CMP(ino);
	CMP(key_id);
#undef CMP
	return 0;
}

/* @m's records, counts and hints name @t's survivors only. */
static void
merge_mm(struct rt_ident_mm *m, const struct twin_pair *t, size_t n)
{
	bool moved = false;
	size_t i, j;

	for (i = 0; i < m->recs.n; i++)
		m->recs.r[i].key = merged(t, n, m->recs.r[i].key);
	for (i = 0; i < m->nu; i++) {
		uint64_t to = merged(t, n, m->uses[i].key_id);

		moved |= to != m->uses[i].key_id;
		m->uses[i].key_id = to;
	}
	if (moved) {
		qsort(m->uses, m->nu, sizeof(*m->uses), cmp_use_entry);
		for (i = 0, j = 0; i < m->nu; i++) {
			if (j && !cmp_use_entry(&m->uses[j - 1], &m->uses[i])) {
				m->uses[j - 1].n += m->uses[i].n;
				m->uses[j - 1].unplaced += m->uses[i].unplaced;
			} else {
				m->uses[j++] = m->uses[i];
			}
		}
		m->nu = j;
	}
	/* A hint names one key; the survivor keeps its own. */
	for (i = 0, j = 0; i < m->nh; i++)
		if (merged(t, n, m->hints[i].key_id) == m->hints[i].key_id)
			m->hints[j++] = m->hints[i];
	m->nh = j;
	for (i = 0; i < RT_IDENT_RECENT; i++)
		m->recent[i].key_id = merged(t, n, m->recent[i].key_id);
}

/*
 * Keys @t[].from share their open files with keys @t[].to (which no
 * pair merges away): whatever named them names the survivors, and their
 * copies go.  O(records + counts) per process, once for all the pairs.
 */
static void
merge(struct rt_ident *id, struct twin_pair *t, size_t n)
{
	size_t i;

	if (!n)
		return;
	qsort(t, n, sizeof(*t), cmp_twin);
	for (i = 0; i < id->nmms; i++)
		merge_mm(&id->mms[i], t, n);
	for (i = 0; i < n; i++) {
		struct rt_ident_key *from = key_by_id(id, t[i].from);
		struct rt_ident_key *to = key_by_id(id, t[i].to);

		if (!from || !to)
			continue;
		to->refs += from->refs;
		to->used = true;
		from->refs = 0;
		key_free(id, from);
	}
}

/* What /proc/PID/maps says is mapped (shared file mappings only). */
struct live {
	struct rt_vma *v;
	size_t n, cap;
	const struct rt_ident *id;
};

static int
read_live(pid_t tgid, struct live *lv)
{
	char path[64], *buf = NULL, *line, *nl;
	size_t len = 0, cap = 0;
	ssize_t got;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_neg_errno();
	for (;;) {
		if (cap - len < 65536) {
			char *b = realloc(buf, cap ? cap * 2 : 1 << 20);

			if (!b) {
				r = -ENOMEM;
				break;
			}
			buf = b;
			cap = cap ? cap * 2 : 1 << 20;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got <= 0) {
			r = got < 0 ? rt_neg_errno() : 0;
			break;
		}
		len += (size_t)got;
	}
	close(fd);
	for (line = buf; r == 0 && line && line < buf + len; line = nl) {
		struct rt_vma v, *a;

		buf[len] = '\0';
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (rt_maps_parse_line(line, &v) < 0 ||
		    !(v.flags & RT_VM_MAYSHARE) || !v.ino)
			continue;
		a = rt_grow(lv->v, lv->n, &lv->cap, sizeof(*a), 256);
		if (!a) {
			r = -ENOMEM;
			break;
		}
		lv->v = a;
		lv->v[lv->n++] = v;
	}
	free(buf);
	return r;
}

/*
 * The index of the element of @a (@n of @size bytes, ascending, apart)
 * whose [start, end) (uint64_t at @off_start, @off_end) holds @addr, or
 * @n.
 */
static size_t
covering(const void *a, size_t n, size_t size, size_t off_start,
	 size_t off_end, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = (const char *)a + mid * size;
		uint64_t start, end;

		memcpy(&start, e + off_start, sizeof(start));
		memcpy(&end, e + off_end, sizeof(end));
		if (addr >= end)
			lo = mid + 1;
		else if (addr < start)
			hi = mid;
		else
			return mid;
	}
	return n;
}

/* Is @r still mapped as recorded?  (The maps are in ascending order.) */
static int
still_mapped(void *arg, const struct rt_range *r)
{
	const struct live *lv = arg;
	const struct rt_ident_key *k = key_by_id(lv->id, r->key);
	size_t i = covering(lv->v, lv->n, sizeof(*lv->v),
			    offsetof(struct rt_vma, start),
			    offsetof(struct rt_vma, end), r->start);
	const struct rt_vma *v;

	if (i == lv->n || !k)
		return 0;
	v = &lv->v[i];
	return v->ino == k->ino && v->dev_major == k->dev_major &&
	       v->dev_minor == k->dev_minor &&
	       v->offset + (r->start - v->start) == r->off;
}

struct drop_arg {
	struct ref_arg ra;
	struct live *lv;
};

static int
keep_live(void *arg, const struct rt_range *r)
{
	return still_mapped(((struct drop_arg *)arg)->lv, r);
}

static void
ref_dropped(void *arg, uint64_t key_id, int delta)
{
	ref(&((struct drop_arg *)arg)->ra, key_id, delta);
}

/*
 * munmap is not followed (it would cost every program a notification per
 * munmap): records of ranges unmapped since are found here, against
 * /proc/PID/maps, when the records have doubled since the last look.
 * Amortised O(1) per record.  Hints of keys gone go too.
 */
static bool place(struct rt_ident *id, struct rt_ident_mm *m, bool sweep,
		  pid_t tid);

/* What a sweep may find gone: records, hints, mappings not yet placed. */
static size_t
tracked(const struct rt_ident_mm *m)
{
	return m->recs.n + m->nh + m->nunplaced;
}

static void
sweep(struct rt_ident *id, struct rt_ident_mm *m, pid_t tid)
{
	struct live lv = { .id = id };
	struct drop_arg a = { { id, m }, &lv };
	size_t i, n = 0;

	/* The kernel's own word, where it can be had, is cheaper than
	 * /proc/PID/maps (whose paths cost most of a sweep), except for
	 * the records of copies let go, which it cannot check. */
	begin_batch(id);
	if (!place(id, m, true, tid) || id->dropped) {
		if (read_live(m->tgid, &lv) == 0)
			rt_ranges_filter(&m->recs, keep_live, ref_dropped, &a);
		free(lv.v);
	}
	for (i = 0; i < m->nh; i++)
		if (key_by_id(id, m->hints[i].key_id))
			m->hints[n++] = m->hints[i];
	m->nh = n;
	end_batch(id);
	n = tracked(m);
	m->sweep_at = n * 2 > SWEEP_MIN ? n * 2 : SWEEP_MIN;
}

int
rt_ident_record(struct rt_ident *id, pid_t tgid, uint64_t start,
		uint64_t len, uint64_t off, uint64_t key_id)
{
	struct rt_range r = {
		.start = start, .end = start + len, .off = off, .key = key_id,
	};
	struct rt_ident_mm *m = mm_get(id, tgid, true);
	struct rt_ident_key *k = key_by_id(id, key_id);
	struct ref_arg a = { id, m };
	int ret;

	if (!m || !k)
		return -ENOMEM;
	k->refs++;	/* held across the punch, which may drop the last */
	ret = rt_ranges_add(&m->recs, &r, ref, &a);
	if (!--k->refs)
		key_free(id, k);	/* not recorded, named by nothing */
	if (ret == 0 && tracked(m) >= m->sweep_at)
		sweep(id, m, 0);
	return ret;
}

void
rt_ident_before_unplaced(struct rt_ident *id, pid_t tgid, pid_t tid)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);

	/* (+2: the mapping and its descriptor hint) */
	if (m && tracked(m) + 2 >= m->sweep_at)
		sweep(id, m, tid);
}

bool
rt_ident_may_leave(const struct rt_ident *id, pid_t tgid, pid_t tid)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);

	return !m || (!m->no_leaving &&
		      (!m->nunplaced || m->unplaced_tid == tid));
}

int
rt_ident_unplaced(struct rt_ident *id, pid_t tgid, pid_t tid, long nr,
		  uint64_t key_id)
{
	struct rt_ident_mm *m = mm_get(id, tgid, true);
	struct rt_ident_key *k = key_by_id(id, key_id);
	struct use_q q;
	size_t pos;

	if (!m || !k || !rt_ident_may_leave(id, tgid, tid))
		return -ENOMEM;
	m->unplaced_tid = tid;
	m->unplaced_nr = nr;
	m->left++;
	q = (struct use_q){ k->dev_major, k->dev_minor, k->ino, k->id, m };
	use_count(m, k, 1);
	if (rt_sorted_find(m->nu, cmp_use, &q, &pos) != 1)
		return -ENOMEM;	/* (use_count() says why) */
	m->uses[pos].unplaced++;
	m->nunplaced++;
	k->refs++;
	return 0;
}

/* Forget the mappings of @m not yet placed: their keys' counts go. */
static void
drop_unplaced(struct rt_ident *id, struct rt_ident_mm *m)
{
	size_t i = 0;

	while (m->nunplaced && i < m->nu) {
		struct rt_ident_use *u = &m->uses[i];
		struct rt_ident_key *k = key_by_id(id, u->key_id);
		unsigned int n = u->unplaced;

		if (!n) {
			i++;
			continue;
		}
		m->nunplaced -= n;
		u->unplaced = 0;
		u->n -= n;
		if (!u->n)
			rt_sorted_remove(m->uses, &m->nu, sizeof(*u), i, 1);
		else
			i++;
		if (k && !(k->refs -= n))
			key_free(id, k);
	}
	m->nunplaced = 0;
}

struct fd_key {
	int fd;
	uint64_t key_id;
};

static int
cmp_fd_key(const void *a, const void *b)
{
	int x = ((const struct fd_key *)a)->fd, y = ((const struct fd_key *)b)->fd;

	return (x > y) - (x < y);
}

/* The VMAs of our open files, by address, while placing. */
struct placed {
	const struct rt_vmfile_ours *v;
	size_t n;
	const struct fd_key *fk;
	size_t nk;
	const struct rt_ident *id;
	uint64_t page;
};

/* The key of our descriptor @fd, or 0. */
static uint64_t
fd_key_of(const struct placed *pl, int fd)
{
	struct fd_key q = { .fd = fd };
	const struct fd_key *f = bsearch(&q, pl->fk, pl->nk, sizeof(*pl->fk),
					 cmp_fd_key);

	return f ? f->key_id : 0;
}

struct prune_arg {
	struct ref_arg ra;
	const struct placed *pl;
};

/* Does a VMA of our open files agree with record @r (same key, same
 * offset at its start)?  Records of copies let go are not ours to say. */
static int
placed_agrees(void *arg, const struct rt_range *r)
{
	const struct placed *pl = ((const struct prune_arg *)arg)->pl;
	const struct rt_ident_key *k = key_by_id(pl->id, r->key);
	size_t i;

	if (!k || k->fd < 0)
		return 1;
	i = covering(pl->v, pl->n, sizeof(*pl->v),
		     offsetof(struct rt_vmfile_ours, start),
		     offsetof(struct rt_vmfile_ours, end), r->start);
	return i < pl->n && fd_key_of(pl, pl->v[i].fd) == r->key &&
	       pl->v[i].pgoff * pl->page + (r->start - pl->v[i].start) ==
	       r->off;
}

static void
ref_pruned(void *arg, uint64_t key_id, int delta)
{
	ref(&((struct prune_arg *)arg)->ra, key_id, delta);
}

/* Which of two keys sharing an open file stays: one in the order, else
 * the older. */
static uint64_t
survivor(const struct rt_ident *id, uint64_t a, uint64_t b)
{
	const struct rt_ident_key *ka = key_by_id(id, a);
	const struct rt_ident_key *kb = key_by_id(id, b);

	if (!ka)
		return b;
	if (!kb)
		return a;
	if (ka->pending != kb->pending)
		return ka->pending ? b : a;
	return a < b ? a : b;	/* (ids grow with time) */
}

/*
 * The kernel said which of our copies share an open file (@twin, from
 * rt_vmfile_ours(), for @fk in fd order): pending keys among them merge
 * into one survivor, and @fk names it for all of them.
 */
static void
merge_twins(struct rt_ident *id, struct fd_key *fk, const size_t *twin,
	    size_t nk)
{
	_cleanup_free_ uint64_t *best = NULL;
	_cleanup_free_ struct twin_pair *t = NULL;
	size_t i, nt = 0;

	for (i = 0; i < nk; i++)
		if (twin[i] != i)
			break;
	if (i == nk)
		return;		/* no two share one */
	best = calloc(nk, sizeof(*best));
	t = malloc(nk * sizeof(*t));
	if (!best || !t)
		return;
	for (i = 0; i < nk; i++)
		best[twin[i]] = survivor(id, best[twin[i]], fk[i].key_id);
	for (i = 0; i < nk; i++) {
		const struct rt_ident_key *k = key_by_id(id, fk[i].key_id);
		uint64_t to = best[twin[i]];

		/* (two keys in the order never share one: kcmp said so) */
		if (to == fk[i].key_id || !k || !k->pending)
			continue;
		t[nt++] = (struct twin_pair){ fk[i].key_id, to };
		fk[i].key_id = to;
	}
	merge(id, t, nt);
}

/*
 * Place every mapping of @m not yet placed: ask the kernel which of our
 * copies each VMA of the process maps (rt_vmfile_ours()) and record the
 * VMAs that map one.  That is the truth of the moment, so every record
 * it makes is exact.  With @sweep, also where nothing waits to be
 * placed, and the records of our copies that no VMA agrees with go too.
 *
 * The mappings not yet placed are then forgotten (a key no VMA maps was
 * unmapped, or its mmap failed, and goes), but only when the look-up is
 * made for thread @tid that made them: its mmaps have returned, as it is
 * making another call; or when /proc says that thread is past its mmap
 * (gone, or in another call: rt_procs_past_call()).  For any other
 * thread (one the tracer may not even know: CLONE_UNTRACED), the last of
 * them may still be running, and they stay to be placed again.  Nothing is forgotten or pruned where
 * the kernel's answer could not be had whole.  Returns whether it was.
 */
static bool
place(struct rt_ident *id, struct rt_ident_mm *m, bool sweep, pid_t tid)
{
	_cleanup_free_ struct rt_vmfile_ours *v = NULL;
	_cleanup_free_ struct fd_key *fk = NULL;
	_cleanup_free_ int *fds = NULL;
	_cleanup_free_ size_t *twin = NULL;
	struct ref_arg a = { id, m };
	struct placed pl = { .id = id };
	size_t nv = 0, nk = 0, nread = 0, i;
	bool asked = false;
	static uint64_t page;

	if (!m->nunplaced && !(sweep && rt_features_has(RT_FEAT_VMFILE_ITER)))
		return false;
	if (!page)
		page = (uint64_t)sysconf(_SC_PAGESIZE);
	begin_batch(id);
	fk = malloc((id->nslots ? id->nslots : 1) * sizeof(*fk));
	fds = malloc((id->nslots ? id->nslots : 1) * sizeof(*fds));
	if (!fk || !fds)
		goto out;
	for (i = 0; i < id->nslots; i++)
		if (id->keys[i].id && id->keys[i].fd >= 0)
			fk[nk++] = (struct fd_key){ id->keys[i].fd,
						    id->keys[i].id };
	qsort(fk, nk, sizeof(*fk), cmp_fd_key);
	for (i = 0; i < nk; i++)
		fds[i] = fk[i].fd;
	if (id->npending) {
		twin = malloc((nk ? nk : 1) * sizeof(*twin));
		if (!twin)
			goto out;
	}
	if (rt_vmfile_ours(m->tgid, fds, nk, twin, &v, &nv, &nread) < 0)
		goto out;
	id->placements++;
	id->place_reads += nread;
	if (twin)
		merge_twins(id, fk, twin, nk);
	/*
	 * A look-up that must place has read every VMA of the process, and
	 * every copy of ours, whoever's, for the mappings left since the
	 * last: where that costs more than the stops they saved, the
	 * process's mmaps are caught after them again (a program that maps
	 * a window and remaps in it, among thousands of VMAs, paid 16 ms a
	 * call, 150 us with the stops; or beside another process holding
	 * 15,000 mapped open files, 4.5 ms).
	 */
	if (!sweep && nread > PLACE_READS_PER_STOP * (m->left + 1))
		m->no_leaving = true;
	m->left = 0;
	pl = (struct placed){ v, nv, fk, nk, id, page };
	asked = true;
	/* From the top down, as the records are kept: mmap places new
	 * mappings below the old ones, and each then goes at the end of the
	 * records with nothing moved (bottom up, each moved all those of
	 * this placement before it: 3% of the mmaps row of make bench). */
	for (i = nv; i-- > 0;) {
		uint64_t key = fd_key_of(&pl, v[i].fd);
		const struct rt_range *old = rt_ranges_find(&m->recs,
							    v[i].start);
		struct rt_ident_key *k = key_by_id(id, key);
		struct rt_range r = {
			.start = v[i].start, .end = v[i].end,
			.off = v[i].pgoff * page, .key = key,
		};

		if (!k)
			continue;
		if (old && old->start == r.start && old->end == r.end &&
		    old->off == r.off && old->key == key)
			continue;	/* known already */
		k->refs++;	/* held across the punch, which may drop the
				 * last */
		if (rt_ranges_add(&m->recs, &r, ref, &a) < 0)
			asked = false;
		if (!--k->refs)
			key_free(id, k);
		if (!asked)
			break;
	}
	if (asked && sweep) {
		struct prune_arg pa = { a, &pl };

		rt_ranges_filter(&m->recs, placed_agrees, ref_pruned, &pa);
	}
	if (asked && ((tid && tid == m->unplaced_tid) ||
		      rt_procs_past_call(m->unplaced_tid, m->unplaced_nr)))
		drop_unplaced(id, m);
out:
	end_batch(id);
	return asked;
}

/* Where @m's uses of @vma's inode begin (*@first), and how many. */
static size_t
inode_uses(const struct rt_ident_mm *m, const struct rt_vma *vma,
	   size_t *first)
{
	struct use_q q = { vma->dev_major, vma->dev_minor, vma->ino, 0, m };
	size_t end;

	rt_sorted_find(m->nu, cmp_use, &q, first);
	for (end = *first; end < m->nu; end++) {
		const struct rt_ident_use *u = &m->uses[end];

		if (u->ino != vma->ino || u->dev_major != vma->dev_major ||
		    u->dev_minor != vma->dev_minor)
			break;
	}
	return end - *first;
}

/* Are mappings of @vma's inode in @m not yet placed? */
static bool
inode_unplaced(const struct rt_ident_mm *m, const struct rt_vma *vma)
{
	size_t first, n;

	if (!m->nunplaced)
		return false;
	for (n = inode_uses(m, vma, &first); n; n--, first++)
		if (m->uses[first].unplaced)
			return true;
	return false;
}

int
rt_ident_forget(struct rt_ident *id, pid_t tgid, uint64_t start, uint64_t len)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	struct ref_arg a = { id, m };

	if (!m)
		return 0;
	return rt_ranges_punch(&m->recs, start, start + len, ref, &a);
}

static bool
key_is(const struct rt_ident_key *k, const struct rt_vma *vma)
{
	return k && k->ino == vma->ino && k->dev_major == vma->dev_major &&
	       k->dev_minor == vma->dev_minor;
}

/*
 * No record vouches for the VMA (it came from a path not followed, such
 * as mremap moving a mapping).  If the process has used exactly one open
 * file of that inode, that is the one; with two or more it is unknown.
 */
static struct rt_ident_key *
infer(const struct rt_ident *id, const struct rt_ident_mm *m,
      const struct rt_vma *vma)
{
	size_t first;

	if (inode_uses(m, vma, &first) != 1)
		return NULL;
	return key_by_id(id, m->uses[first].key_id);
}

const struct rt_ident_key *
rt_ident_find(const struct rt_ident *id, pid_t tgid, pid_t tid,
	      const struct rt_vma *vma, bool *inferred)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);
	const struct rt_range *r;
	struct rt_ident_key *k;

	*inferred = false;
	if (!m)
		return NULL;
	/* A record here may be stale where a mapping of the inode is
	 * not placed yet: it may have landed on it. */
	if (inode_unplaced(m, vma))
		place((struct rt_ident *)id, m, false, tid);
	r = rt_ranges_find(&m->recs, vma->start);
	k = r ? key_by_id(id, r->key) : NULL;
	/* The same inode and file offset at that address, or the record is
	 * stale. */
	if (!key_is(k, vma) || r->off + (vma->start - r->start) != vma->offset) {
		/*
		 * Not for shared memory no descriptor names: no mmap of it
		 * is followed, so the one open file used of its inode is one
		 * the program opened anew, never the VMA's own
		 * (rt_ident_stand_in()).
		 */
		*inferred = true;
		k = rt_shm_unnamed(vma) ? NULL : infer(id, m, vma);
	}
	/* A copy let go for the budget: device and inode identify it. */
	if (!k || k->fd < 0)
		return NULL;
	k->used = true;
	return k;
}

uint64_t
rt_ident_stand_in(const struct rt_ident *id, pid_t tgid,
		  const struct rt_vma *vma, bool writable)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);
	struct rt_ident_key *k = m ? infer(id, m, vma) : NULL;

	if (!k || k->fd < 0 || k->writable != writable)
		return 0;
	k->used = true;
	return k->id;
}

int
rt_ident_dup_range(struct rt_ident *id, pid_t tgid, pid_t tid,
		   uint64_t old_addr, uint64_t new_addr, uint64_t len)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	const struct rt_range *r;

	if (m)
		place(id, m, false, tid);
	r = m ? rt_ranges_find(&m->recs, old_addr) : NULL;
	if (!r)
		return 0;
	return rt_ident_record(id, tgid, new_addr, len,
			       r->off + (old_addr - r->start), r->key);
}

static int
cmp_hint(const void *arg, size_t i)
{
	const struct {
		const struct rt_ident_mm *m;
		uint64_t key_id;
	} *q = arg;
	uint64_t k = q->m->hints[i].key_id;

	return q->key_id < k ? -1 : q->key_id > k;
}

void
rt_ident_set_fd_hint(struct rt_ident *id, pid_t tgid, uint64_t key_id,
		     int tfd)
{
	struct rt_ident_mm *m = mm_get(id, tgid, true);
	struct rt_ident_hint h = { key_id, tfd };
	struct {
		const struct rt_ident_mm *m;
		uint64_t key_id;
	} q = { m, key_id };
	size_t pos;

	if (!m)
		return;
	if (tfd >= 0)
		m->recent[tfd % RT_IDENT_RECENT] = h;
	if (rt_sorted_find(m->nh, cmp_hint, &q, &pos) == 1)
		m->hints[pos].tfd = tfd;
	else
		rt_sorted_insert((void **)&m->hints, &m->nh, &m->cap_h,
				 sizeof(h), pos, &h);
}

int
rt_ident_fd_hint(const struct rt_ident *id, pid_t tgid, uint64_t key_id)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);
	struct {
		const struct rt_ident_mm *m;
		uint64_t key_id;
	} q = { m, key_id };
	size_t pos;

	if (!m || rt_sorted_find(m->nh, cmp_hint, &q, &pos) != 1)
		return -1;
	return m->hints[pos].tfd;
}

void
rt_ident_put_unused(struct rt_ident *id, uint64_t key_id)
{
	struct rt_ident_key *k = key_by_id(id, key_id);

	if (k && !k->refs)
		key_free(id, k);
}

int
rt_ident_key_fd(const struct rt_ident *id, uint64_t key_id)
{
	struct rt_ident_key *k = key_by_id(id, key_id);

	return k ? k->fd : -1;
}

static void *
dup_array(const void *a, size_t n, size_t size, size_t *cap)
{
	void *c;

	*cap = 0;
	if (!n)
		return NULL;
	c = malloc(n * size);
	if (c) {
		memcpy(c, a, n * size);
		*cap = n;
	}
	return c;
}

int
rt_ident_fork(struct rt_ident *id, pid_t parent, pid_t child)
{
	struct rt_ident_mm *p = mm_get(id, parent, false), *c;
	size_t i;

	if (!p || (!p->recs.n && !p->nunplaced))
		return 0;
	c = mm_get(id, child, true);	/* may move id->mms */
	p = mm_get(id, parent, false);
	if (!c || !p)
		return -ENOMEM;
	/*
	 * The child maps the same open files at the same places, and
	 * inherits the descriptor table too (unless CLONE_FILES shares it,
	 * which a hint survives as well).
	 */
	c->recs.r = dup_array(p->recs.r, p->recs.n, sizeof(*p->recs.r),
			      &c->recs.cap);
	c->uses = dup_array(p->uses, p->nu, sizeof(*p->uses), &c->cap_u);
	c->hints = dup_array(p->hints, p->nh, sizeof(*p->hints), &c->cap_h);
	if ((p->recs.n && !c->recs.r) || (p->nu && !c->uses) ||
	    (p->nh && !c->hints)) {
		free(c->recs.r);
		free(c->uses);
		free(c->hints);
		*c = (struct rt_ident_mm){ .tgid = child,
					   .sweep_at = SWEEP_MIN };
		return -ENOMEM;
	}
	c->recs.n = p->recs.n;
	c->nu = p->nu;
	c->nh = p->nh;
	c->sweep_at = p->sweep_at;
	memcpy(c->recent, p->recent, sizeof(c->recent));
	for (i = 0; i < c->recs.n; i++)
		key_by_id(id, c->recs.r[i].key)->refs++;
	/*
	 * Mappings not yet placed go along unplaced: those made before the
	 * fork are the child's too, and one the parent made since (its mmap
	 * may still be running) is found nowhere in the child and goes.
	 */
	c->nunplaced = p->nunplaced;
	c->unplaced_tid = child;	/* its one thread, past the fork */
	for (i = 0; i < c->nu; i++) {
		struct rt_ident_key *k = key_by_id(id, c->uses[i].key_id);

		if (k)
			k->refs += c->uses[i].unplaced;
	}
	return 0;
}

void
rt_ident_drop(struct rt_ident *id, pid_t tgid)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	struct rt_ident_key *k;
	size_t i;

	if (!m)
		return;
	begin_batch(id);
	drop_unplaced(id, m);
	for (i = 0; i < m->recs.n; i++) {
		k = key_by_id(id, m->recs.r[i].key);
		if (k && !--k->refs)
			key_free(id, k);
	}
	end_batch(id);
	rt_ranges_free(&m->recs);
	free(m->uses);
	free(m->hints);
	*m = id->mms[--id->nmms];
}

void
rt_ident_free(struct rt_ident *id)
{
	size_t i;

	while (id->nmms)
		rt_ident_drop(id, id->mms[0].tgid);
	for (i = 0; i < id->nslots; i++)
		if (id->keys[i].id && id->keys[i].fd >= 0)
			close(id->keys[i].fd);
	free(id->keys);
	free(id->free);
	free(id->order);
	free(id->mms);
	free(id->owners);
	memset(id, 0, sizeof(*id));
}
