/* validate.c - the rule book of remap_file_pages(2): from the arguments
 * and a VMA snapshot, the kernel's answer, or the mmap(2) that emulates it.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_remap.h"

/* A helper reached a verdict: stop checking, the call is answered. */
#define DECIDED	1

static const struct {
	const char *id;
	const char *text;
	int err;
} rules[RT_RULE__COUNT] = {
	[RT_RULE_OK] = { "ok", "the call is valid", 0 },
	[RT_RULE_PROT] = { "prot", "prot must be 0", EINVAL },
	[RT_RULE_RANGE] = { "range",
		"size rounds down to 0 pages or start + size overflows",
		EINVAL },
	[RT_RULE_PGOFF_WRAP] = { "pgoff-wrap",
		"pgoff + size in pages wraps around", EINVAL },
	[RT_RULE_NO_VMA] = { "no-vma",
		"start is not inside any mapping", EINVAL },
	[RT_RULE_NOT_SHARED] = { "not-shared",
		"the mapping at start is not VM_SHARED "
		"(private, or a read-only open file)", EINVAL },
	[RT_RULE_SPAN_HOLE] = { "span-hole",
		"the range crosses a hole between mappings", EINVAL },
	[RT_RULE_SPAN_FILE] = { "span-file",
		"the range crosses into a mapping of another open file",
		EINVAL },
	[RT_RULE_SPAN_FLAGS] = { "span-flags",
		"the range crosses into a mapping with different flags",
		EINVAL },
	[RT_RULE_SPAN_END] = { "span-end",
		"the range runs past the last mapping", EINVAL },
	[RT_RULE_HUGE_ALIGN] = { "huge-align",
		"hugetlb mapping: start and size must be huge-page aligned",
		EINVAL },
	[RT_RULE_HUGE_PGOFF] = { "huge-pgoff",
		"hugetlb mapping: pgoff must be huge-page aligned "
		"(the old range is unmapped)", EINVAL },
	[RT_RULE_OFFSET] = { "offset",
		"pgoff lies beyond the largest file offset", EOVERFLOW },
	[RT_RULE_SHM_GONE] = { "shm-removed",
		"the range covers every attach left of a removed SysV "
		"segment (the old range is unmapped)", EINVAL },
};

/**
 * rt_rule_id() - short stable name of @rule ("not-shared"), for logs and
 * JSON; "unknown" for a value outside enum rt_rule.
 */
const char *
rt_rule_id(enum rt_rule rule)
{
	if ((unsigned int)rule >= RT_RULE__COUNT)
		return "unknown";
	return rules[rule].id;
}

/**
 * rt_rule_text() - @rule in words, as the log prints it after the errno;
 * "unknown rule" for a value outside enum rt_rule.
 */
const char *
rt_rule_text(enum rt_rule rule)
{
	if ((unsigned int)rule >= RT_RULE__COUNT)
		return "unknown rule";
	return rules[rule].text;
}

/* log2 of a power of two, else -1. */
static int
page_shift(uint64_t page_size)
{
	int shift = 0;

	if (page_size == 0 || (page_size & (page_size - 1)))
		return -1;
	while ((1ULL << shift) != page_size)
		shift++;
	return shift;
}

static int
decide(struct rt_verdict *v, enum rt_rule rule, uint64_t bad)
{
	v->rule = rule;
	v->err = rules[rule].err;
	v->action = RT_ACT_NONE;
	v->bad = bad;
	return DECIDED;
}

/* find(), holding it to its contract so a broken lookup cannot loop. */
static int
lookup(const struct rt_vma_lookup *lk, uint64_t addr, bool exact,
       struct rt_vma *out)
{
	int ret = lk->find(lk->ctx, addr, exact, out);

	if (ret > 0)
		return -EIO;
	if (ret == 0 && (out->end <= addr || out->start >= out->end))
		return -EIO;
	return ret;
}

/*
 * vma_lookup(mm, start) and the VM_SHARED test.  VM_SHARED is the "sh"
 * of VmFlags, not the "s" of maps (that is VM_MAYSHARE): a MAP_SHARED
 * mapping of a file opened read-only fails here.
 */
static int
find_first(const struct rt_vma_lookup *lk, uint64_t start, bool exact,
	   struct rt_verdict *v)
{
	struct rt_vma vma;
	int ret;

	v->have_vma = false;
	memset(&v->first, 0, sizeof(v->first));
	memset(&v->vma, 0, sizeof(v->vma));
	ret = lookup(lk, start, exact, &vma);
	if (ret == -ENOENT || (ret == 0 && vma.start > start))
		return decide(v, RT_RULE_NO_VMA, start);
	if (ret)
		return ret;
	v->first = vma;
	v->vma = vma;
	v->have_vma = true;
	if (!(vma.flags & RT_VM_SHARED))
		return decide(v, RT_RULE_NOT_SHARED, start);
	return 0;
}

/*
 * The cheap lookup of the first VMA lacks most VmFlags.  Look it up again
 * exact when they matter: to compare a span's flag sets with it, and for
 * a VM_LOCKED VMA, to see VM_SPECIAL (make_plan()).
 */
static int
find_exact_first(const struct rt_vma_lookup *lk, uint64_t start,
		 uint64_t end, struct rt_verdict *v)
{
	if (v->first.flags_exact)
		return 0;
	if (end <= v->first.end && !(v->first.flags & RT_VM_LOCKED))
		return 0;
	return find_first(lk, start, true, v);
}

/*
 * The kernel compares struct file pointers.  /proc shows device and
 * inode (a shared anonymous mapping is a shmem file with its own inode);
 * file_id, when the tracer knows it for both, tells two opens apart.
 */
static bool
same_file(const struct rt_vma *a, const struct rt_vma *b)
{
	if (a->dev_major != b->dev_major || a->dev_minor != b->dev_minor ||
	    a->ino != b->ino)
		return false;
	return !(a->file_id && b->file_id && a->file_id != b->file_id);
}

static bool
same_flags(const struct rt_vma *a, const struct rt_vma *b)
{
	if (a->flags_exact && b->flags_exact)
		return a->flags == b->flags;
	return (a->flags & RT_VM_INEXACT_MASK) == (b->flags & RT_VM_INEXACT_MASK);
}

static int
span_fail(struct rt_verdict *v, enum rt_rule rule, uint64_t where,
	  const struct rt_vma *culprit)
{
	v->vma = *culprit;
	v->have_vma = true;
	return decide(v, rule, where);
}

/*
 * 4.6+: when start + size passes the first VMA, every following VMA up to
 * start + size must begin where the previous one ended, map the same
 * file and carry vm_flags identical to the first VMA's.  Every VMA is
 * looked up exact (the first one by find_exact_first()), so the complete
 * flag sets are compared.  *@nvmas gets the number of VMAs the range
 * covers.
 */
static int
check_span(const struct rt_vma_lookup *lk, uint64_t end, struct rt_verdict *v,
	   unsigned int *nvmas)
{
	struct rt_vma prev, next;
	int ret;

	*nvmas = 1;
	if (end <= v->first.end)
		return 0;
	prev = v->first;
	while (end > prev.end) {
		ret = lookup(lk, prev.end, true, &next);
		if (ret == -ENOENT)
			return span_fail(v, RT_RULE_SPAN_END, prev.end, &prev);
		if (ret)
			return ret;
		/*
		 * for_each_vma_range() only visits VMAs that begin below
		 * start + size: one beyond it is "ran out" (!next), not a
		 * hole.  Both are EINVAL; the reason differs.
		 */
		if (next.start >= end)
			return span_fail(v, RT_RULE_SPAN_END, prev.end, &prev);
		if (next.start != prev.end)
			return span_fail(v, RT_RULE_SPAN_HOLE, prev.end, &next);
		if (!same_file(&v->first, &next))
			return span_fail(v, RT_RULE_SPAN_FILE, prev.end, &next);
		if (!same_flags(&v->first, &next))
			return span_fail(v, RT_RULE_SPAN_FLAGS, prev.end, &next);
		(*nvmas)++;
		prev = next;
	}
	v->vma = v->first;
	return 0;
}

static bool
is_hugetlb(const struct rt_vma *vma, uint64_t page_size)
{
	return vma->page_size > page_size || (vma->flags & RT_VM_HUGETLB);
}

/*
 * What the syscall hands do_mmap(): prot from the first VMA's
 * VM_READ/WRITE/EXEC; of the caller's flags only MAP_NONBLOCK survives;
 * MAP_SHARED|MAP_FIXED|MAP_POPULATE always, MAP_LOCKED for a VM_LOCKED
 * VMA.  The kernel never leaves VM_LOCKED on hugetlb or VM_SPECIAL VMAs
 * (mmap_region() clears it), so a snapshot claiming so gets no MAP_LOCKED.
 */
static void
make_plan(const struct rt_remap_args *a, uint64_t start, uint64_t size,
	  uint64_t page_size, const struct rt_vma *first, struct rt_plan *p)
{
	uint64_t f = first->flags;

	p->addr = start;
	p->len = size;
	p->prot = (f & RT_VM_READ ? PROT_READ : 0) |
		  (f & RT_VM_WRITE ? PROT_WRITE : 0) |
		  (f & RT_VM_EXEC ? PROT_EXEC : 0);
	p->flags = (int)(a->flags & MAP_NONBLOCK) | MAP_SHARED | MAP_FIXED |
		   MAP_POPULATE;
	if ((f & RT_VM_LOCKED) && !is_hugetlb(first, page_size) &&
	    !(f & RT_VM_SPECIAL))
		p->flags |= MAP_LOCKED;
	p->pgoff = a->pgoff;
	p->offset = 0;
}

/*
 * include/linux/fs.h file_mmap_ok() for a regular file (and shmem, block
 * devices, sockets): maxsize is MAX_LFS_FILESIZE (LLONG_MAX on 64-bit);
 * fail if len > maxsize or pgoff > (maxsize - len) >> PAGE_SHIFT.  For
 * x86_64 and one page that allows pgoff up to 2^51 - 2.  Character
 * devices may allow more (ULONG_MAX, or any offset with
 * FOP_UNSIGNED_OFFSET); a snapshot cannot tell, so the file bound is used.
 */
static bool
file_mmap_ok(uint64_t pgoff, uint64_t len, int shift)
{
	uint64_t maxsize = INT64_MAX;

	if (len > maxsize)
		return false;
	maxsize -= len;
	return pgoff <= maxsize >> shift;
}

/*
 * The errors do_mmap() itself returns that a snapshot can predict, in its
 * order: hugetlb_get_unmapped_area() wants len, then addr, huge-page
 * aligned (EINVAL, nothing changed); file_mmap_ok() (EOVERFLOW); then
 * mmap_region() unmaps the old range before hugetlbfs_file_mmap() refuses
 * a misaligned pgoff (EINVAL, the range is left unmapped).
 */
static int
check_mmap(uint64_t page_size, int shift, struct rt_verdict *v)
{
	const struct rt_vma *f = &v->first;
	struct rt_plan *p = &v->plan;
	uint64_t huge = f->page_size;
	bool hugetlb = is_hugetlb(f, page_size);

	if (hugetlb) {
		/* The huge page size must be known to judge the call. */
		if (huge <= page_size || huge % page_size)
			return -EINVAL;
		if (p->len % huge)
			return decide(v, RT_RULE_HUGE_ALIGN, p->len);
		if (p->addr % huge)
			return decide(v, RT_RULE_HUGE_ALIGN, p->addr);
	}
	if (!file_mmap_ok(p->pgoff, p->len, shift))
		return decide(v, RT_RULE_OFFSET, p->pgoff);
	p->offset = p->pgoff << shift;
	if (hugetlb && p->pgoff % (huge / page_size)) {
		decide(v, RT_RULE_HUGE_PGOFF, p->pgoff);
		v->action = RT_ACT_MUNMAP;
		return DECIDED;
	}
	return 0;
}

/* Steps 1-4 of the syscall: no VMA needed yet. */
static int
check_args(const struct rt_remap_args *a, uint64_t page_size, int shift,
	   uint64_t *start, uint64_t *size, struct rt_verdict *v)
{
	if (a->prot)
		return decide(v, RT_RULE_PROT, a->prot);
	*start = a->start & ~(page_size - 1);
	*size = a->size & ~(page_size - 1);
	if (*start + *size <= *start)
		return decide(v, RT_RULE_RANGE, *size);
	if (a->pgoff + (*size >> shift) < a->pgoff)
		return decide(v, RT_RULE_PGOFF_WRAP, a->pgoff);
	return 0;
}

/* The low @bits of @v (bits 0 or 64: all of it). */
static uint64_t
cut(uint64_t v, unsigned int bits)
{
	return bits && bits < 64 ? v & ((1ULL << bits) - 1) : v;
}

int
rt_remap_args_from_raw(const uint64_t raw[6], unsigned int word_bits,
		       struct rt_remap_args *a)
{
	if (word_bits != 0 && word_bits != 32 && word_bits != 64)
		return -EINVAL;
	*a = (struct rt_remap_args){
		.start = cut(raw[0], word_bits),
		.size = cut(raw[1], word_bits),
		.prot = cut(raw[2], word_bits),
		.pgoff = cut(raw[3], word_bits),
		.flags = cut(raw[4], word_bits),
	};
	return 0;
}

/**
 * rt_remap_validate() - judge one call the way mm/mmap.c does (6.12+).
 * @a: the arguments; a compat call's cut to 32 bits first
 *	(rt_remap_args_from_raw()), after which its rules are the native
 *	ones, in 64-bit arithmetic as in the kernel (rt_remap.h).
 * @page_size: the base page size, a power of two (4096 on x86_64).
 * @lk: VMA lookup; find() is called non-exact for the first VMA, then
 *	exact for every VMA of a range that spans several (first included)
 *	and for a VM_LOCKED first VMA.
 * @v: out: the verdict; zeroed first.
 *
 * Order, as SYSCALL_DEFINE5(remap_file_pages): prot != 0; start and size
 * rounded down to pages; start + size <= start; pgoff + pages wraps; the
 * VMA at start must exist and be VM_SHARED; the span over later VMAs;
 * then what do_mmap() would refuse (hugetlb alignment, EOVERFLOW).  The
 * LSM hook (6.12+) and the errors of the mmap itself (EPERM, EAGAIN,
 * ENOMEM) are left to the real mmap.
 *
 * Return: 0 with @v holding the verdict (valid or not); the -errno of a
 * failed lookup other than -ENOENT (-EIO when find() broke its contract);
 * -EINVAL for a bad @page_size or lookup, or a hugetlb VMA whose huge page
 * size the snapshot does not give.
 */
int
rt_remap_validate(const struct rt_remap_args *a, uint64_t page_size,
		  const struct rt_vma_lookup *lk, struct rt_verdict *v)
{
	uint64_t start = 0, size = 0;
	unsigned int nvmas = 0;
	int shift, ret;

	memset(v, 0, sizeof(*v));
	shift = page_shift(page_size);
	if (shift < 0 || !lk || !lk->find)
		return -EINVAL;
	ret = check_args(a, page_size, shift, &start, &size, v);
	if (ret == 0)
		ret = find_first(lk, start, false, v);
	if (ret == 0)
		ret = find_exact_first(lk, start, start + size, v);
	if (ret == 0)
		ret = check_span(lk, start + size, v, &nvmas);
	if (ret < 0) {
		memset(v, 0, sizeof(*v));
		return ret;
	}
	if (ret == DECIDED)
		return 0;
	make_plan(a, start, size, page_size, &v->first, &v->plan);
	v->plan.nvmas = nvmas;
	ret = check_mmap(page_size, shift, v);
	if (ret < 0) {
		memset(v, 0, sizeof(*v));
		return ret;
	}
	if (ret == DECIDED)
		return 0;
	decide(v, RT_RULE_OK, 0);
	v->action = RT_ACT_MMAP;
	return 0;
}

/*
 * What do_mmap(MAP_FIXED) does to the VMAs it replaces (mm/vma.c):
 * vms_gather_munmap_vmas() splits the ones the range covers in part, and
 * __split_vma() calls vm_ops->open on the new piece; then, before the
 * file's ->mmap runs, __mmap_setup() (__mmap_prepare() in 6.12-6.15) calls
 * vms_clean_up_area(), which calls vm_ops->close on every VMA inside the
 * range.  For SysV shm those are shm_open() and shm_close() (ipc/shm.c),
 * which count shm_nattch: a partly covered VMA leaves it as it was, each
 * whole one takes one off.
 */
int
rt_remap_whole_vmas(const struct rt_vma_lookup *lk,
		    const struct rt_verdict *v, unsigned int *n)
{
	uint64_t start = v->plan.addr, end = v->plan.addr + v->plan.len;
	struct rt_vma vma = v->first;
	int ret;

	*n = 0;
	if (v->action != RT_ACT_MMAP || !lk || !lk->find ||
	    vma.start > start || vma.end <= start)
		return -EINVAL;
	for (;;) {
		if (vma.start >= start && vma.end <= end &&
		    same_file(&v->first, &vma))
			(*n)++;
		if (vma.end >= end)
			return 0;
		ret = lookup(lk, vma.end, false, &vma);
		if (ret == -ENOENT || (ret == 0 && vma.start >= end))
			return 0;	/* not a span check_span() let pass */
		if (ret)
			return ret;
	}
}

/*
 * ipc/shm.c: shm_close() of the last attach of a segment marked SHM_DEST
 * by IPC_RMID (do_shm_rmid()) calls shm_destroy(), which removes the id;
 * the mmap's shm_mmap() then fails in __shm_open() (shm_lock() finds no
 * id: EINVAL).  The VMAs are closed already, so vms_abort_munmap_vmas()
 * cannot put them back and leaves the range unmapped.
 */
int
rt_remap_shm_gone(struct rt_verdict *v, int shmid)
{
	if (v->action != RT_ACT_MMAP || v->err || shmid < 0)
		return -EINVAL;
	decide(v, RT_RULE_SHM_GONE, (uint64_t)shmid);
	v->action = RT_ACT_MUNMAP;
	return 0;
}
