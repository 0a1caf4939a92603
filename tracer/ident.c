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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#include "rt_ident.h"
#include "rt_util.h"

static struct rt_ident_key *
key_by_id(const struct rt_ident *id, uint64_t key_id)
{
	size_t i;

	for (i = 0; i < id->nkeys; i++)
		if (id->keys[i].id == key_id)
			return &id->keys[i];
	return NULL;
}

/* Same open file description?  kcmp(2) needs CONFIG_KCMP; without it the
 * inode is all we can compare. */
static bool
same_open_file(int a, int b, const struct stat *sa,
	       const struct rt_ident_key *k)
{
	pid_t me = getpid();
	long r = syscall(SYS_kcmp, me, me, KCMP_FILE, a, b);

	if (r >= 0)
		return r == 0;
	return sa->st_ino == k->ino && major(sa->st_dev) == k->dev_major &&
	       minor(sa->st_dev) == k->dev_minor;
}

int64_t
rt_ident_adopt(struct rt_ident *id, int fd)
{
	struct rt_ident_key *k;
	struct stat st;
	size_t i;

	if (fstat(fd, &st) < 0)
		return rt_neg_errno();
	for (i = 0; i < id->nkeys; i++) {
		k = &id->keys[i];
		if (k->ino == st.st_ino && same_open_file(fd, k->fd, &st, k)) {
			close(fd);
			return (int64_t)k->id;
		}
	}
	k = rt_grow(id->keys, id->nkeys, &id->cap_keys, sizeof(*k), 16);
	if (!k)
		return -ENOMEM;
	id->keys = k;
	k = &id->keys[id->nkeys++];
	*k = (struct rt_ident_key){
		.id = ++id->next_id, .fd = fd, .ino = st.st_ino,
		.dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev),
		.writable = (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY,
	};
	return (int64_t)k->id;
}

static void
key_unref(struct rt_ident *id, uint64_t key_id)
{
	struct rt_ident_key *k = key_by_id(id, key_id);

	if (!k || --k->refs)
		return;
	close(k->fd);
	*k = id->keys[--id->nkeys];
}

static struct rt_ident_mm *
mm_get(struct rt_ident *id, pid_t tgid, bool create)
{
	struct rt_ident_mm *m;
	size_t i;

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
	*m = (struct rt_ident_mm){ .tgid = tgid };
	return m;
}

static int
rec_push(struct rt_ident_mm *m, const struct rt_ident_rec *r)
{
	struct rt_ident_rec *recs = rt_grow(m->recs, m->n, &m->cap,
					    sizeof(*recs), 16);

	if (!recs)
		return -ENOMEM;
	m->recs = recs;
	m->recs[m->n++] = *r;
	return 0;
}

/* Cut [s, e) out of every record, as a new mapping replaces old ones. */
static int
punch(struct rt_ident *id, struct rt_ident_mm *m, uint64_t s, uint64_t e)
{
	size_t i = 0;

	while (i < m->n) {
		struct rt_ident_rec *r = &m->recs[i];
		struct rt_ident_rec tail;

		if (r->end <= s || r->start >= e) {
			i++;
			continue;
		}
		tail = *r;
		if (r->start < s && r->end > e) {
			/* split: keep the head here, push the tail */
			tail.off += e - r->start;
			tail.start = e;
			r->end = s;
			key_by_id(id, r->key_id)->refs++;
			if (rec_push(m, &tail) < 0)
				return -ENOMEM;
			i++;
		} else if (r->start < s) {
			r->end = s;
			i++;
		} else if (r->end > e) {
			r->off += e - r->start;
			r->start = e;
			i++;
		} else {
			key_unref(id, r->key_id);
			m->recs[i] = m->recs[--m->n];
		}
	}
	return 0;
}

int
rt_ident_record(struct rt_ident *id, pid_t tgid, uint64_t start,
		uint64_t len, uint64_t off, uint64_t key_id)
{
	struct rt_ident_rec r = {
		.start = start, .end = start + len, .off = off,
		.key_id = key_id,
	};
	struct rt_ident_mm *m = mm_get(id, tgid, true);
	struct rt_ident_key *k = key_by_id(id, key_id);
	int ret;

	if (!m || !k)
		return -ENOMEM;
	k->refs++;	/* before punch(), which may drop the last old ref */
	ret = punch(id, m, r.start, r.end);
	if (ret == 0)
		ret = rec_push(m, &r);
	if (ret < 0)
		key_unref(id, key_id);
	return ret;
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
static const struct rt_ident_key *
infer(const struct rt_ident *id, const struct rt_ident_mm *m,
      const struct rt_vma *vma)
{
	const struct rt_ident_key *k, *found = NULL;
	size_t i;

	for (i = 0; i < m->n; i++) {
		k = key_by_id(id, m->recs[i].key_id);
		if (!key_is(k, vma) || k == found)
			continue;
		if (found)
			return NULL;
		found = k;
	}
	return found;
}

const struct rt_ident_key *
rt_ident_find(const struct rt_ident *id, pid_t tgid, const struct rt_vma *vma,
	      bool *inferred)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);
	const struct rt_ident_key *k;
	size_t i;

	*inferred = false;
	if (!m)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct rt_ident_rec *r = &m->recs[i];

		if (vma->start < r->start || vma->start >= r->end)
			continue;
		k = key_by_id(id, r->key_id);
		/* The same inode and file offset at that address, or the
		 * record is stale. */
		if (key_is(k, vma) &&
		    r->off + (vma->start - r->start) == vma->offset)
			return k;
		break;
	}
	*inferred = true;
	return infer(id, m, vma);
}

int
rt_ident_dup_range(struct rt_ident *id, pid_t tgid, uint64_t old_addr,
		   uint64_t new_addr, uint64_t len)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	size_t i;

	if (!m)
		return 0;
	for (i = 0; i < m->n; i++) {
		const struct rt_ident_rec *r = &m->recs[i];

		if (old_addr >= r->start && old_addr < r->end)
			return rt_ident_record(id, tgid, new_addr, len,
					       r->off + (old_addr - r->start),
					       r->key_id);
	}
	return 0;
}

void
rt_ident_set_fd_hint(struct rt_ident *id, pid_t tgid, uint64_t key_id,
		     int tfd)
{
	struct rt_ident_mm *m = mm_get(id, tgid, true);
	struct rt_ident_hint *h;
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nh; i++) {
		if (m->hints[i].key_id == key_id) {
			m->hints[i].tfd = tfd;
			return;
		}
	}
	h = rt_grow(m->hints, m->nh, &m->cap_h, sizeof(*h), 4);
	if (!h)
		return;
	m->hints = h;
	m->hints[m->nh++] = (struct rt_ident_hint){ key_id, tfd };
}

int
rt_ident_fd_hint(const struct rt_ident *id, pid_t tgid, uint64_t key_id)
{
	struct rt_ident_mm *m = mm_get((struct rt_ident *)id, tgid, false);
	size_t i;

	for (i = 0; m && i < m->nh; i++)
		if (m->hints[i].key_id == key_id)
			return m->hints[i].tfd;
	return -1;
}

void
rt_ident_put_unused(struct rt_ident *id, uint64_t key_id)
{
	struct rt_ident_key *k = key_by_id(id, key_id);

	if (k && !k->refs) {
		close(k->fd);
		*k = id->keys[--id->nkeys];
	}
}

int
rt_ident_key_fd(const struct rt_ident *id, uint64_t key_id)
{
	struct rt_ident_key *k = key_by_id(id, key_id);

	return k ? k->fd : -1;
}

int
rt_ident_fork(struct rt_ident *id, pid_t parent, pid_t child)
{
	struct rt_ident_mm *p = mm_get(id, parent, false), *c;
	size_t i, n;

	if (!p || !p->n)
		return 0;
	n = p->n;
	c = mm_get(id, child, true);	/* may move id->mms */
	p = mm_get(id, parent, false);
	if (!c || !p)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (rec_push(c, &p->recs[i]) < 0)
			return -ENOMEM;
		key_by_id(id, p->recs[i].key_id)->refs++;
	}
	/* The child inherits the descriptor table too (unless CLONE_FILES
	 * shares it, which a hint survives as well).  c's hints array is
	 * its own; p and c stay valid as no mm is added meanwhile. */
	if (p->nh) {
		c->hints = malloc(p->nh * sizeof(*c->hints));
		if (!c->hints)
			return -ENOMEM;
		memcpy(c->hints, p->hints, p->nh * sizeof(*c->hints));
		c->nh = c->cap_h = p->nh;
	}
	return 0;
}

void
rt_ident_drop(struct rt_ident *id, pid_t tgid)
{
	struct rt_ident_mm *m = mm_get(id, tgid, false);
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		key_unref(id, m->recs[i].key_id);
	free(m->recs);
	free(m->hints);
	*m = id->mms[--id->nmms];
}

void
rt_ident_free(struct rt_ident *id)
{
	size_t i;

	while (id->nmms)
		rt_ident_drop(id, id->mms[0].tgid);
	for (i = 0; i < id->nkeys; i++)
		close(id->keys[i].fd);
	free(id->keys);
	free(id->mms);
	memset(id, 0, sizeof(*id));
}
