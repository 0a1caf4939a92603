/* test_validate.c - the remap_file_pages rule book (emu/validate.c): every
 * rule on both sides of its boundary, over an array-backed VMA lookup.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_remap.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define P		4096ULL
#define HUGE		(2ULL << 20)
#define BASE		(MAP_SHARED | MAP_FIXED | MAP_POPULATE)
#define RW		(PROT_READ | PROT_WRITE)

/* VmFlags of typical VMAs. */
#define MAY	(RT_VM_MAYREAD | RT_VM_MAYWRITE | RT_VM_MAYEXEC | RT_VM_MAYSHARE)
#define RWS	(RT_VM_READ | RT_VM_WRITE | RT_VM_SHARED | MAY)
#define RS	(RT_VM_READ | RT_VM_SHARED | MAY)
#define RXS	(RT_VM_READ | RT_VM_EXEC | RT_VM_SHARED | MAY)
#define NONES	(RT_VM_SHARED | MAY)
/* MAP_SHARED of a file opened O_RDONLY: "s" in maps, no "sh", no "mw". */
#define RO_MS	(RT_VM_READ | RT_VM_MAYREAD | RT_VM_MAYEXEC | RT_VM_MAYSHARE)
#define PRIV	(RT_VM_READ | RT_VM_WRITE | RT_VM_MAYREAD | RT_VM_MAYWRITE | \
		 RT_VM_MAYEXEC)
#define HUGEF	(RWS | RT_VM_DONTEXPAND | RT_VM_HUGETLB)

#define VMAX(s, e, off, maj, min, i, fl, nm, ps, fid) \
	{ .start = (s), .end = (e), .offset = (off), .dev_major = (maj), \
	  .dev_minor = (min), .ino = (i), .flags = (fl), .name = nm, \
	  .page_size = (ps), .file_id = (fid) }
#define VMA(s, e, off, maj, min, i, fl, nm) \
	VMAX(s, e, off, maj, min, i, fl, nm, P, 0)

enum {
	V_A, V_B, V_C, V_D, V_E, V_F, V_X, V_G, V_H,
	V_S1, V_S2, V_S3, V_S4, V_S5, V_S6, V_P1, V_P2,
	V_Q1, V_Q2, V_Q3, V_R1, V_R2, V_Z1, V_Z2,
	V_M1, V_N1, V_N2, V_N3, V_K1, V_K2, V_T,
	V_NONE = -1,
};

/* One address space, sorted by address; holes between most entries. */
static const struct rt_vma layout[] = {
	[V_A] = VMA(0x10000, 0x14000, 0, 8, 1, 100, RWS, "/data/a"),
	[V_B] = VMA(0x20000, 0x22000, 0, 8, 1, 101, PRIV, "/data/priv"),
	[V_C] = VMA(0x30000, 0x32000, 0, 8, 1, 102, RO_MS, "/data/ro"),
	[V_D] = VMA(0x40000, 0x42000, 0, 8, 1, 103, NONES, "/data/none"),
	[V_E] = VMA(0x50000, 0x52000, 0, 8, 1, 104, RWS | RT_VM_LOCKED,
		    "/data/locked"),
	[V_F] = VMA(0x60000, 0x62000, 0, 0, 5, 105,
		    RWS | RT_VM_LOCKED | RT_VM_IO | RT_VM_PFNMAP, "/dev/io"),
	[V_X] = VMA(0x70000, 0x72000, 0, 8, 1, 106, RXS, "/data/code"),
	[V_G] = VMAX(0x200000, 0x600000, 0, 0, 16, 107, HUGEF | RT_VM_LOCKED,
		     "/dev/hugepages/g", HUGE, 0),
	/* Huge by page size alone (no "ht" seen). */
	[V_H] = VMAX(0x800000, 0xc00000, 0, 0, 16, 108,
		     RWS | RT_VM_DONTEXPAND, "/SYSV00000000 (deleted)", HUGE,
		     0),
	/* One file in three VMAs with non-contiguous offsets. */
	[V_S1] = VMA(0x1000000, 0x1002000, 0x5000, 8, 1, 200, RWS, "/s"),
	[V_S2] = VMA(0x1002000, 0x1003000, 0x0000, 8, 1, 200, RWS, "/s"),
	[V_S3] = VMA(0x1003000, 0x1004000, 0x9000, 8, 1, 200, RWS, "/s"),
	[V_S4] = VMA(0x1004000, 0x1005000, 0, 8, 1, 201, RWS, "/other"),
	/* hole 0x1005000-0x1006000 */
	[V_S5] = VMA(0x1006000, 0x1008000, 0, 8, 1, 300, RWS, "/d"),
	/* Differs only in "dd" (MADV_DONTDUMP): visible exact only. */
	[V_S6] = VMA(0x1008000, 0x1009000, 0x2000, 8, 1, 300,
		     RWS | RT_VM(DD), "/d"),
	[V_P1] = VMA(0x1100000, 0x1101000, 0, 8, 1, 310, RWS, "/p"),
	[V_P2] = VMA(0x1101000, 0x1102000, 0x1000, 8, 1, 310, RS, "/p"),
	/* Same inode, two opens the tracer told apart (file_id). */
	[V_Q1] = VMAX(0x1200000, 0x1201000, 0, 8, 1, 320, RWS, "/q", P, 1),
	[V_Q2] = VMAX(0x1201000, 0x1202000, 0, 8, 1, 320, RWS, "/q", P, 2),
	[V_Q3] = VMA(0x1202000, 0x1203000, 0, 8, 1, 320, RWS, "/q"),
	[V_R1] = VMA(0x1300000, 0x1301000, 0, 8, 1, 330, RWS, "/r"),
	[V_R2] = VMA(0x1301000, 0x1302000, 0, 8, 2, 330, RWS, "/r"),
	/* Two MAP_SHARED|MAP_ANONYMOUS regions: two shmem files. */
	[V_Z1] = VMA(0x1400000, 0x1401000, 0, 0, 1, 4000, RWS,
		     "/dev/zero (deleted)"),
	[V_Z2] = VMA(0x1401000, 0x1402000, 0, 0, 1, 4001, RWS,
		     "/dev/zero (deleted)"),
	/* SysV segments (the inode is the shmid): one attach, whole... */
	[V_M1] = VMA(0x1500000, 0x1504000, 0, 0, 1, 7, RWS,
		     "/SYSV00000000 (deleted)"),
	/* ...one attach in three pieces after remaps (pgoff 2 at +0,
	 * pgoff 3 at +3p)... */
	[V_N1] = VMA(0x1600000, 0x1601000, 0x2000, 0, 1, 8, RWS,
		     "/SYSV0000abcd (deleted)"),
	[V_N2] = VMA(0x1601000, 0x1603000, 0x1000, 0, 1, 8, RWS,
		     "/SYSV0000abcd (deleted)"),
	[V_N3] = VMA(0x1603000, 0x1604000, 0x3000, 0, 1, 8, RWS,
		     "/SYSV0000abcd (deleted)"),
	/* ...and one segment attached twice side by side (two files). */
	[V_K1] = VMAX(0x1700000, 0x1704000, 0, 0, 1, 9, RWS,
		      "/SYSV00000000 (deleted)", P, 1),
	[V_K2] = VMAX(0x1704000, 0x1708000, 0, 0, 1, 9, RWS,
		      "/SYSV00000000 (deleted)", P, 2),
	[V_T] = VMA(0x7000000, 0x7002000, 0, 8, 1, 400, RWS, "/data/last"),
};

/* The lookup: non-exact answers look like PROCMAP_QUERY's. */
struct fake_mm {
	const struct rt_vma *vmas;
	size_t n;
	unsigned int calls;
	unsigned int exact_calls;
	unsigned int fail_call;		/* 1-based call that fails, 0 none */
	int fail_err;
};

static int
fake_find(void *ctx, uint64_t addr, bool exact, struct rt_vma *out)
{
	struct fake_mm *mm = ctx;
	size_t i;

	mm->calls++;
	mm->exact_calls += exact;
	if (mm->fail_call == mm->calls)
		return mm->fail_err;
	for (i = 0; i < mm->n; i++) {
		if (mm->vmas[i].end <= addr)
			continue;
		*out = mm->vmas[i];
		out->flags_exact = exact;
		if (!exact)
			out->flags &= RT_VM_READ | RT_VM_WRITE | RT_VM_EXEC |
				      RT_VM_MAYSHARE | RT_VM_SHARED |
				      RT_VM_LOCKED | RT_VM_HUGETLB;
		return 0;
	}
	return -ENOENT;
}

struct vcase {
	const char *name;
	/* want */
	int err;
	enum rt_rule rule;
	enum rt_action act;
	uint64_t bad;
	int vma;		/* layout index of verdict.vma, V_NONE */
	int first;		/* layout index of verdict.first, V_NONE */
	uint64_t addr, len;	/* plan, checked when act != RT_ACT_NONE */
	int prot, flags;
	unsigned int nvmas;
	uint64_t offset;	/* checked when act == RT_ACT_MMAP */
	/* given */
	struct rt_remap_args args;
};

#define ARGS(s, sz, pr, pg, fl) \
	{ .start = (s), .size = (sz), .prot = (pr), .pgoff = (pg), \
	  .flags = (fl) }
/* A valid call: the exact plan. */
#define GOOD(nm, v, a, l, pr, fl, n, off, args_) \
	{ .name = nm, .err = 0, .rule = RT_RULE_OK, .act = RT_ACT_MMAP, \
	  .vma = (v), .first = (v), .addr = (a), .len = (l), .prot = (pr), \
	  .flags = (fl), .nvmas = (n), .offset = (off), .args = args_ }
/* A refused call: nothing to do in the tracee. */
#define BAD(nm, e, r, b, v, f, args_) \
	{ .name = nm, .err = (e), .rule = (r), .act = RT_ACT_NONE, \
	  .bad = (b), .vma = (v), .first = (f), .args = args_ }

#define L51	(1ULL << 51)
#define A0	0x10000ULL

static const struct vcase cases[] = {
	/* 1. prot must be 0. */
	BAD("prot 1", EINVAL, RT_RULE_PROT, 1, V_NONE, V_NONE,
	    ARGS(A0, P, 1, 0, 0)),
	BAD("prot with only a high bit", EINVAL, RT_RULE_PROT, 1ULL << 40,
	    V_NONE, V_NONE, ARGS(A0, P, 1ULL << 40, 0, 0)),
	GOOD("prot 0", V_A, A0, P, RW, BASE, 1, 0, ARGS(A0, P, 0, 0, 0)),
	/* 2-3. rounding down and the range. */
	BAD("size 0", EINVAL, RT_RULE_RANGE, 0, V_NONE, V_NONE,
	    ARGS(A0, 0, 0, 0, 0)),
	BAD("size page-1 rounds to 0", EINVAL, RT_RULE_RANGE, 0, V_NONE,
	    V_NONE, ARGS(A0, P - 1, 0, 0, 0)),
	GOOD("size one page", V_A, A0, P, RW, BASE, 1, 3 * P,
	     ARGS(A0, P, 0, 3, 0)),
	GOOD("size page+100 is one page", V_A, A0, P, RW, BASE, 1, 0,
	     ARGS(A0, P + 100, 0, 0, 0)),
	GOOD("size of the whole VMA", V_A, A0, 4 * P, RW, BASE, 1, 0,
	     ARGS(A0, 4 * P, 0, 0, 0)),
	GOOD("unaligned start rounds down", V_A, A0, P, RW, BASE, 1, 0,
	     ARGS(A0 + 0x123, P, 0, 0, 0)),
	GOOD("unaligned start in the last page", V_A, A0 + 3 * P, P, RW,
	     BASE, 1, 0, ARGS(A0 + 4 * P - 1, P, 0, 0, 0)),
	BAD("start + size wraps to 0", EINVAL, RT_RULE_RANGE, P, V_NONE,
	    V_NONE, ARGS(0xfffffffffffff000, P, 0, 0, 0)),
	BAD("last page below the top: no wrap, no VMA", EINVAL,
	    RT_RULE_NO_VMA, 0xffffffffffffe000, V_NONE, V_NONE,
	    ARGS(0xffffffffffffe000, P, 0, 0, 0)),
	BAD("huge size wraps", EINVAL, RT_RULE_RANGE, 0xffffffffffff0000,
	    V_NONE, V_NONE, ARGS(A0, 0xffffffffffff0000, 0, 0, 0)),
	/* 4. pgoff + pages must not wrap. */
	BAD("pgoff max + 1 page wraps", EINVAL, RT_RULE_PGOFF_WRAP,
	    UINT64_MAX, V_NONE, V_NONE, ARGS(A0, P, 0, UINT64_MAX, 0)),
	BAD("pgoff max-1 + 2 pages wraps", EINVAL, RT_RULE_PGOFF_WRAP,
	    UINT64_MAX - 1, V_NONE, V_NONE,
	    ARGS(A0, 2 * P, 0, UINT64_MAX - 1, 0)),
	BAD("pgoff max-1 + 1 page: no wrap, EOVERFLOW", EOVERFLOW,
	    RT_RULE_OFFSET, UINT64_MAX - 1, V_A, V_A,
	    ARGS(A0, P, 0, UINT64_MAX - 1, 0)),
	/* 5. a VM_SHARED VMA must contain start. */
	BAD("below the first VMA", EINVAL, RT_RULE_NO_VMA, 0x8000, V_NONE,
	    V_NONE, ARGS(0x8000, P, 0, 0, 0)),
	BAD("start == vma end", EINVAL, RT_RULE_NO_VMA, 0x14000, V_NONE,
	    V_NONE, ARGS(0x14000, P, 0, 0, 0)),
	BAD("start in a hole", EINVAL, RT_RULE_NO_VMA, 0x15000, V_NONE,
	    V_NONE, ARGS(0x15123, P, 0, 0, 0)),
	BAD("above the last VMA", EINVAL, RT_RULE_NO_VMA, 0x8000000, V_NONE,
	    V_NONE, ARGS(0x8000000, P, 0, 0, 0)),
	BAD("private mapping", EINVAL, RT_RULE_NOT_SHARED, 0x20000, V_B, V_B,
	    ARGS(0x20000, P, 0, 0, 0)),
	BAD("MAYSHARE without SHARED", EINVAL, RT_RULE_NOT_SHARED, 0x31000,
	    V_C, V_C, ARGS(0x31000, P, 0, 0, 0)),
	/* 6. prot and flags for mmap. */
	GOOD("PROT_NONE VMA", V_D, 0x40000, P, PROT_NONE, BASE, 1, 0,
	     ARGS(0x40000, P, 0, 0, 0)),
	GOOD("r-x VMA", V_X, 0x71000, P, PROT_READ | PROT_EXEC, BASE, 1, P,
	     ARGS(0x71000, P, 0, 1, 0)),
	GOOD("MAP_NONBLOCK kept", V_A, A0, P, RW, BASE | MAP_NONBLOCK, 1, 0,
	     ARGS(A0, P, 0, 0, MAP_NONBLOCK)),
	GOOD("junk flags dropped", V_A, A0, P, RW, BASE, 1, 0,
	     ARGS(A0, P, 0, 0, 0xffffffff00000000ULL | MAP_PRIVATE |
		  MAP_ANONYMOUS | MAP_LOCKED | MAP_HUGETLB | MAP_GROWSDOWN)),
	GOOD("all flags: only MAP_NONBLOCK kept", V_A, A0, P, RW,
	     BASE | MAP_NONBLOCK, 1, 0, ARGS(A0, P, 0, 0, UINT64_MAX)),
	GOOD("VM_LOCKED gives MAP_LOCKED", V_E, 0x50000, 2 * P, RW,
	     BASE | MAP_LOCKED, 1, 0, ARGS(0x50000, 2 * P, 0, 0, 0)),
	GOOD("VM_LOCKED with MAP_NONBLOCK", V_E, 0x50000, P, RW,
	     BASE | MAP_LOCKED | MAP_NONBLOCK, 1, 0,
	     ARGS(0x50000, P, 0, 0, MAP_NONBLOCK)),
	GOOD("VM_LOCKED|VM_IO: no MAP_LOCKED", V_F, 0x60000, P, RW, BASE, 1,
	     0, ARGS(0x60000, P, 0, 0, 0)),
	GOOD("VM_LOCKED hugetlb: no MAP_LOCKED", V_G, 0x200000, HUGE, RW,
	     BASE, 1, 0, ARGS(0x200000, HUGE, 0, 0, 0)),
	/* do_mmap(): hugetlb alignment, then EOVERFLOW, then pgoff. */
	BAD("hugetlb: start not aligned", EINVAL, RT_RULE_HUGE_ALIGN,
	    0x201000, V_G, V_G, ARGS(0x201000, HUGE, 0, 0, 0)),
	BAD("hugetlb: size not aligned", EINVAL, RT_RULE_HUGE_ALIGN,
	    HUGE + P, V_G, V_G, ARGS(0x200000, HUGE + P, 0, 0, 0)),
	BAD("hugetlb: one base page", EINVAL, RT_RULE_HUGE_ALIGN, P, V_G,
	    V_G, ARGS(0x200000, P, 0, 0, 0)),
	BAD("hugetlb: alignment before EOVERFLOW", EINVAL,
	    RT_RULE_HUGE_ALIGN, P, V_G, V_G,
	    ARGS(0x200000, P, 0, 1ULL << 52, 0)),
	{ .name = "hugetlb: pgoff 1 unmaps then EINVAL", .err = EINVAL,
	  .rule = RT_RULE_HUGE_PGOFF, .act = RT_ACT_MUNMAP, .bad = 1,
	  .vma = V_G, .first = V_G, .addr = 0x200000, .len = HUGE,
	  .prot = RW, .flags = BASE, .nvmas = 1,
	  .args = ARGS(0x200000, HUGE, 0, 1, 0) },
	{ .name = "hugetlb: pgoff 511 unmaps then EINVAL", .err = EINVAL,
	  .rule = RT_RULE_HUGE_PGOFF, .act = RT_ACT_MUNMAP, .bad = 511,
	  .vma = V_G, .first = V_G, .addr = 0x400000, .len = HUGE,
	  .prot = RW, .flags = BASE, .nvmas = 1,
	  .args = ARGS(0x400000, HUGE, 0, 511, 0) },
	GOOD("hugetlb: pgoff 512", V_G, 0x200000, HUGE, RW, BASE, 1, HUGE,
	     ARGS(0x200000, HUGE, 0, 512, 0)),
	GOOD("hugetlb: both huge pages", V_G, 0x200000, 2 * HUGE, RW, BASE,
	     1, 2 * HUGE, ARGS(0x200000, 2 * HUGE, 0, 1024, 0)),
	BAD("hugetlb: EOVERFLOW before pgoff alignment", EOVERFLOW,
	    RT_RULE_OFFSET, L51 + 1, V_G, V_G,
	    ARGS(0x200000, HUGE, 0, L51 + 1, 0)),
	BAD("huge page size alone: start", EINVAL, RT_RULE_HUGE_ALIGN,
	    0x900000, V_H, V_H, ARGS(0x900000, HUGE, 0, 0, 0)),
	{ .name = "huge page size alone: pgoff", .err = EINVAL,
	  .rule = RT_RULE_HUGE_PGOFF, .act = RT_ACT_MUNMAP, .bad = 8,
	  .vma = V_H, .first = V_H, .addr = 0xa00000, .len = HUGE,
	  .prot = RW, .flags = BASE, .nvmas = 1,
	  .args = ARGS(0xa00000, HUGE, 0, 8, 0) },
	/* file_mmap_ok(): (LLONG_MAX - len) >> 12 is the last pgoff. */
	GOOD("pgoff 2^51-2, one page", V_A, A0, P, RW, BASE, 1,
	     0x7fffffffffffe000ULL, ARGS(A0, P, 0, L51 - 2, 0)),
	BAD("pgoff 2^51-1, one page", EOVERFLOW, RT_RULE_OFFSET, L51 - 1,
	    V_A, V_A, ARGS(A0, P, 0, L51 - 1, 0)),
	BAD("pgoff 2^51, one page", EOVERFLOW, RT_RULE_OFFSET, L51, V_A, V_A,
	    ARGS(A0, P, 0, L51, 0)),
	GOOD("pgoff 2^51-3, two pages", V_A, A0, 2 * P, RW, BASE, 1,
	     0x7fffffffffffd000ULL, ARGS(A0, 2 * P, 0, L51 - 3, 0)),
	BAD("pgoff 2^51-2, two pages", EOVERFLOW, RT_RULE_OFFSET, L51 - 2,
	    V_A, V_A, ARGS(A0, 2 * P, 0, L51 - 2, 0)),
	/* 9. spans over several VMAs. */
	GOOD("span: 2 VMAs of one file", V_S1, 0x1000000, 3 * P, RW, BASE,
	     2, 7 * P, ARGS(0x1000000, 3 * P, 0, 7, 0)),
	GOOD("span: 3 VMAs, non-contiguous offsets", V_S1, 0x1000000,
	     4 * P, RW, BASE, 3, 0, ARGS(0x1000000, 4 * P, 0, 0, 0)),
	GOOD("span: from mid VMA over 3", V_S1, 0x1001000, 3 * P, RW, BASE,
	     3, 0, ARGS(0x1001800, 3 * P + 5, 0, 0, 0)),
	BAD("span: into another file", EINVAL, RT_RULE_SPAN_FILE, 0x1004000,
	    V_S4, V_S1, ARGS(0x1000000, 5 * P, 0, 0, 0)),
	/* The next VMA begins at start + size: the kernel's walk never
	 * reaches it (for_each_vma_range), so it "ran out", not "a hole". */
	BAD("span: hole right at the end is running out", EINVAL,
	    RT_RULE_SPAN_END, 0x1005000, V_S4, V_S4,
	    ARGS(0x1004000, 2 * P, 0, 0, 0)),
	BAD("span: hole inside the range", EINVAL, RT_RULE_SPAN_HOLE,
	    0x1005000, V_S5, V_S4, ARGS(0x1004000, 3 * P, 0, 0, 0)),
	BAD("span: flags differ only in dd", EINVAL, RT_RULE_SPAN_FLAGS,
	    0x1008000, V_S6, V_S5, ARGS(0x1006000, 3 * P, 0, 0, 0)),
	GOOD("span: stops before the dd VMA", V_S5, 0x1006000, 2 * P, RW,
	     BASE, 1, 0, ARGS(0x1006000, 2 * P, 0, 0, 0)),
	BAD("span: other protection", EINVAL, RT_RULE_SPAN_FLAGS, 0x1101000,
	    V_P2, V_P1, ARGS(0x1100000, 2 * P, 0, 0, 0)),
	BAD("span: same inode, other open file", EINVAL, RT_RULE_SPAN_FILE,
	    0x1201000, V_Q2, V_Q1, ARGS(0x1200000, 2 * P, 0, 0, 0)),
	GOOD("span: file_id unknown on one side", V_Q2, 0x1201000, 2 * P,
	     RW, BASE, 2, 0, ARGS(0x1201000, 2 * P, 0, 0, 0)),
	BAD("span: same inode, other device", EINVAL, RT_RULE_SPAN_FILE,
	    0x1301000, V_R2, V_R1, ARGS(0x1300000, 2 * P, 0, 0, 0)),
	GOOD("shared anonymous", V_Z1, 0x1400000, P, RW, BASE, 1, 0,
	     ARGS(0x1400000, P, 0, 0, 0)),
	BAD("span: two shared anonymous regions", EINVAL,
	    RT_RULE_SPAN_FILE, 0x1401000, V_Z2, V_Z1,
	    ARGS(0x1400000, 2 * P, 0, 0, 0)),
	GOOD("span: up to the last VMA's end", V_T, 0x7000000, 2 * P, RW,
	     BASE, 1, 0, ARGS(0x7000000, 2 * P, 0, 0, 0)),
	BAD("span: runs past the last VMA", EINVAL, RT_RULE_SPAN_END,
	    0x7002000, V_T, V_T, ARGS(0x7000000, 3 * P, 0, 0, 0)),
};

static void
check_case(const struct vcase *c)
{
	struct fake_mm mm = { .vmas = layout, .n = ARRAY_SIZE(layout) };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_verdict v;
	int ret;

	memset(&v, 0x5a, sizeof(v));
	ret = rt_remap_validate(&c->args, P, &lk, &v);
	if (!is_int(0, ret, "%s: returns a verdict", c->name))
		return;
	is_int(c->err, v.err, "%s: errno", c->name);
	is_str(rt_rule_id(c->rule), rt_rule_id(v.rule), "%s: rule", c->name);
	is_int(c->act, v.action, "%s: action", c->name);
	if (c->rule != RT_RULE_OK)
		is_u64(c->bad, v.bad, "%s: bad value", c->name);
	is_int(c->vma != V_NONE, v.have_vma, "%s: have_vma", c->name);
	if (c->vma != V_NONE)
		is_u64(layout[c->vma].start, v.vma.start, "%s: vma", c->name);
	is_u64(c->first == V_NONE ? 0 : layout[c->first].start, v.first.start,
	       "%s: first", c->name);
	if (c->act == RT_ACT_NONE)
		return;
	is_u64(c->addr, v.plan.addr, "%s: plan addr", c->name);
	is_u64(c->len, v.plan.len, "%s: plan len", c->name);
	if (c->act != RT_ACT_MMAP)
		return;
	is_int(c->prot, v.plan.prot, "%s: plan prot", c->name);
	is_int(c->flags, v.plan.flags, "%s: plan flags", c->name);
	is_u64(c->args.pgoff, v.plan.pgoff, "%s: plan pgoff", c->name);
	is_u64(c->offset, v.plan.offset, "%s: plan offset", c->name);
	is_int(c->nvmas, v.plan.nvmas, "%s: plan nvmas", c->name);
	/* Span VMAs are compared with their complete flag sets. */
	if (c->nvmas > 1)
		ok(mm.exact_calls >= c->nvmas, "%s: %u exact lookups for %u VMAs",
		   c->name, mm.exact_calls, c->nvmas);
}

/*
 * rt_remap_whole_vmas(): the VMAs a valid call's mmap closes whole (each
 * a shm_close(), one attach less), against those it only splits.
 */
struct wcase {
	const char *name;
	/* want */
	unsigned int whole;
	/* given */
	uint64_t start, size;
};

static const struct wcase whole_cases[] = {
	{ "one attach: first page only", 0, 0x1500000, P },
	{ "one attach: middle pages", 0, 0x1501000, 2 * P },
	{ "one attach: last page only", 0, 0x1503000, P },
	{ "one attach: whole", 1, 0x1500000, 4 * P },
	{ "three pieces: the first piece", 1, 0x1600000, P },
	{ "three pieces: first whole, second in part", 1, 0x1600000, 2 * P },
	{ "three pieces: one page inside the middle", 0,
	  0x1602000, P },
	{ "three pieces: middle and last", 2, 0x1601000, 3 * P },
	{ "three pieces: all", 3, 0x1600000, 4 * P },
	{ "three pieces: all but the last page", 2, 0x1600000, 3 * P },
	{ "two attaches: the first whole", 1, 0x1700000, 4 * P },
	{ "two attaches: the second whole", 1, 0x1704000, 4 * P },
	{ "two attaches: one page of the first", 0, 0x1703000, P },
	{ "a file in three VMAs: the middle one", 1, 0x1002000, P },
};

static void
check_whole(const struct wcase *c)
{
	struct fake_mm mm = { .vmas = layout, .n = ARRAY_SIZE(layout) };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_remap_args a = { .start = c->start, .size = c->size };
	struct rt_verdict v;
	unsigned int n = 99;

	if (!is_int(0, rt_remap_validate(&a, P, &lk, &v),
		    "whole: %s: verdict", c->name) ||
	    !is_int(RT_ACT_MMAP, v.action, "whole: %s: valid", c->name))
		return;
	mm.exact_calls = 0;
	is_int(0, rt_remap_whole_vmas(&lk, &v, &n), "whole: %s: returns 0",
	       c->name);
	is_int(c->whole, n, "whole: %s: count", c->name);
	is_int(0, mm.exact_calls, "whole: %s: no exact lookup", c->name);
}

/* The refusal a destroyed segment gets, and what it leaves alone. */
static void
test_shm_gone(void)
{
	struct fake_mm mm = { .vmas = layout, .n = ARRAY_SIZE(layout) };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_remap_args a = { .start = 0x1600000, .size = 4 * P,
				   .pgoff = 1 };
	struct rt_verdict v, before;
	unsigned int n;

	rt_remap_validate(&a, P, &lk, &v);
	is_int(0, rt_remap_shm_gone(&v, 8), "gone: valid verdict refused");
	is_int(EINVAL, v.err, "gone: EINVAL");
	is_str("shm-removed", rt_rule_id(v.rule), "gone: rule");
	is_int(RT_ACT_MUNMAP, v.action, "gone: the range is unmapped");
	is_u64(8, v.bad, "gone: bad is the shmid");
	is_u64(0x1600000, v.plan.addr, "gone: munmap start");
	is_u64(4 * P, v.plan.len, "gone: munmap length");
	is_u64(layout[V_N1].start, v.first.start, "gone: first kept");
	/* Only a valid call can be refused so. */
	before = v;
	is_int(-EINVAL, rt_remap_shm_gone(&v, 8), "gone: not twice");
	ok(!memcmp(&before, &v, sizeof(v)), "gone: refused verdict kept");
	is_int(-EINVAL, rt_remap_whole_vmas(&lk, &v, &n),
	       "whole: a refused verdict has none");
	a.prot = 1;
	rt_remap_validate(&a, P, &lk, &v);
	before = v;
	is_int(-EINVAL, rt_remap_shm_gone(&v, 8), "gone: not a prot error");
	ok(!memcmp(&before, &v, sizeof(v)), "gone: prot verdict kept");
	a.prot = 0;
	rt_remap_validate(&a, P, &lk, &v);
	is_int(-EINVAL, rt_remap_shm_gone(&v, -1), "gone: negative shmid");
	is_int(RT_ACT_MMAP, v.action, "gone: still valid");
	/* A lookup that fails mid-count is the result. */
	mm.calls = 0;
	mm.fail_call = 1;
	mm.fail_err = -ESRCH;
	is_int(-ESRCH, rt_remap_whole_vmas(&lk, &v, &n),
	       "whole: lookup error is the result");
}

/*
 * The EOVERFLOW bound from the formula of file_mmap_ok() for a regular
 * file: pgoff <= (LLONG_MAX - len) >> PAGE_SHIFT.
 */
static void
test_offset_formula(void)
{
	static const uint64_t lens[] = { P, 2 * P, 4 * P };
	struct fake_mm mm = { .vmas = layout, .n = ARRAY_SIZE(layout) };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		uint64_t last = ((uint64_t)INT64_MAX - lens[i]) >> 12;
		struct rt_remap_args a = { .start = A0, .size = lens[i],
					   .pgoff = last };
		struct rt_verdict v;

		rt_remap_validate(&a, P, &lk, &v);
		is_int(RT_ACT_MMAP, v.action, "formula: %" PRIu64
		       " bytes at pgoff %" PRIu64 " maps", lens[i], last);
		is_u64(last * P, v.plan.offset, "formula: offset at the bound");
		a.pgoff = last + 1;
		rt_remap_validate(&a, P, &lk, &v);
		is_int(EOVERFLOW, v.err, "formula: %" PRIu64
		       " bytes at pgoff %" PRIu64 " is EOVERFLOW",
		       lens[i], last + 1);
	}
	is_u64(L51 - 2, ((uint64_t)INT64_MAX - P) >> 12,
	       "formula: one page gives 2^51-2, as probed");
}

static void
test_lookup_errors(void)
{
	struct fake_mm mm = { .vmas = layout, .n = ARRAY_SIZE(layout),
			      .fail_call = 1, .fail_err = -ESRCH };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_remap_args a = { .start = A0, .size = P };
	struct rt_verdict v;
	unsigned int call;

	is_int(-ESRCH, rt_remap_validate(&a, P, &lk, &v),
	       "lookup error is the result");
	/* Fail each lookup of a three-VMA span in turn. */
	a.start = 0x1000000;
	a.size = 4 * P;
	for (call = 1; call <= 4; call++) {
		mm.calls = 0;
		mm.fail_call = call;
		mm.fail_err = -EIO;
		is_int(-EIO, rt_remap_validate(&a, P, &lk, &v),
		       "span lookup %u error is the result", call);
	}
	/* Checks before the lookup need none. */
	mm.calls = 0;
	mm.fail_call = 1;
	a.prot = 1;
	is_int(0, rt_remap_validate(&a, P, &lk, &v), "prot: no lookup");
	is_int(0, mm.calls, "prot: find not called");
}

static int
broken_find(void *ctx, uint64_t addr, bool exact, struct rt_vma *out)
{
	(void)ctx;
	(void)exact;
	/* Violates the contract: end not above addr. */
	*out = layout[V_S1];
	out->start = addr - P;
	out->end = addr;
	return 0;
}

static void
test_bad_input(void)
{
	static const struct rt_vma no_huge_size[] = {
		VMAX(0x200000, 0x400000, 0, 0, 16, 1, HUGEF, "/h", 0, 0),
	};
	struct fake_mm mm = { .vmas = no_huge_size, .n = 1 };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_vma_lookup broken = { .find = broken_find };
	struct rt_vma_lookup none = { 0 };
	struct rt_remap_args a = { .start = 0x200000, .size = HUGE };
	struct rt_verdict v;

	is_int(-EINVAL, rt_remap_validate(&a, 0, &lk, &v), "page size 0");
	is_int(-EINVAL, rt_remap_validate(&a, 3000, &lk, &v),
	       "page size not a power of two");
	is_int(-EINVAL, rt_remap_validate(&a, P, &none, &v), "no find()");
	is_int(-EINVAL, rt_remap_validate(&a, P, &lk, &v),
	       "hugetlb VMA without its page size");
	a.start = 0x1000000;
	is_int(-EIO, rt_remap_validate(&a, P, &broken, &v),
	       "find() breaking its contract");
}

/* Other base page sizes (arm64 64 KiB pages). */
static void
test_page_size_64k(void)
{
	static const struct rt_vma big[] = {
		VMAX(0x100000, 0x140000, 0, 8, 1, 9, RWS, "/k", 0x10000, 0),
	};
	struct fake_mm mm = { .vmas = big, .n = 1 };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	struct rt_remap_args a = { .start = 0x10ffff, .size = 0x1ffff,
				   .pgoff = 2 };
	struct rt_verdict v;

	is_int(0, rt_remap_validate(&a, 0x10000, &lk, &v), "64k: verdict");
	is_int(RT_ACT_MMAP, v.action, "64k: valid");
	is_u64(0x100000, v.plan.addr, "64k: start rounded to 64 KiB");
	is_u64(0x10000, v.plan.len, "64k: size rounded to 64 KiB");
	is_u64(0x20000, v.plan.offset, "64k: offset in 64 KiB pages");
	a.size = 0xffff;
	rt_remap_validate(&a, 0x10000, &lk, &v);
	is_int(RT_RULE_RANGE, v.rule, "64k: under one page");
	a.size = 0x10000;
	a.pgoff = ((uint64_t)INT64_MAX - 0x10000) >> 16;
	rt_remap_validate(&a, 0x10000, &lk, &v);
	is_int(RT_ACT_MMAP, v.action, "64k: last pgoff");
	a.pgoff++;
	rt_remap_validate(&a, 0x10000, &lk, &v);
	is_int(EOVERFLOW, v.err, "64k: past the last pgoff");
}

/*
 * Compat (i386) calls on a 64-bit kernel: the arguments are cut to 32 bits
 * and the rules compute in 64 bits (rt_remap.h).  The kernel was the
 * oracle: a gcc -m32 program and int 0x80 from a 64-bit one, on x86_64
 * 6.18, gave the outcomes marked "probed".  A 32-bit kernel would wrap
 * at 2^32 where these rows say it does not.
 */
static const struct rt_vma compat_layout[] = {
	VMA(0x08000000, 0x08004000, 0, 8, 1, 500, RWS, "/c"),
	/* the top of a compat task's space: TASK_SIZE is 0xffffe000 */
	VMA(0xffff0000, 0xffffe000, 0, 8, 1, 501, RWS, "/top"),
};
#define C0	0x08000000ULL
#define CT	0xffff0000ULL
#define HI	(1ULL << 32)

struct ccase {
	const char *name;
	unsigned int bits;	/* word_bits of the caller's ABI */
	uint64_t raw[6];
	/* want */
	int err;
	enum rt_rule rule;
	uint64_t addr, len, pgoff, offset;	/* when valid */
};

static const struct ccase compat_cases[] = {
	{ "compat: pgoff 0xffffffff, two pages: no wrap, valid (probed)",
	  32, { C0, 2 * P, 0, 0xffffffff, 0 }, 0, RT_RULE_OK,
	  C0, 2 * P, 0xffffffff, 0xffffffff000ULL },
	{ "compat: pgoff 0xfffffffe, two pages (probed)",
	  32, { C0, 2 * P, 0, 0xfffffffe, 0 }, 0, RT_RULE_OK,
	  C0, 2 * P, 0xfffffffe, 0xfffffffe000ULL },
	{ "compat: high register halves are ignored, prot 2^32 too (probed)",
	  32, { C0 | HI, 2 * P | HI, HI, 3 | HI, HI }, 0, RT_RULE_OK,
	  C0, 2 * P, 3, 3 * P },
	{ "native: the same high halves are arguments",
	  64, { C0 | HI, 2 * P | HI, HI, 3 | HI, HI }, EINVAL, RT_RULE_PROT,
	  0, 0, 0, 0 },
	{ "compat: prot 0xffffffff is still prot (probed)",
	  32, { C0, P, 0xffffffff, 0, 0 }, EINVAL, RT_RULE_PROT,
	  0, 0, 0, 0 },
	{ "compat: start + size past 2^32 does not wrap: a hole (probed EINVAL)",
	  32, { C0, 0xfffff000, 0, 0, 0 }, EINVAL, RT_RULE_SPAN_HOLE,
	  0, 0, 0, 0 },
	{ "compat: start + size == 2^32 does not wrap: runs out",
	  32, { CT, 0x10000, 0, 0, 0 }, EINVAL, RT_RULE_SPAN_END,
	  0, 0, 0, 0 },
	{ "compat: size 0xffffffff rounds down, no wrap",
	  32, { CT, 0xffffffff, 0, 0, 0 }, EINVAL, RT_RULE_SPAN_END,
	  0, 0, 0, 0 },
	{ "compat: pgoff 0xffffffff + 2^20 - 1 pages does not wrap",
	  32, { C0, 0xfffff000, 0, 0xffffffff, 0 }, EINVAL, RT_RULE_SPAN_HOLE,
	  0, 0, 0, 0 },
	{ "compat: start 0xfffff000, above the last VMA (probed EINVAL)",
	  32, { 0xfffff000, 2 * P, 0, 0, 0 }, EINVAL, RT_RULE_NO_VMA,
	  0, 0, 0, 0 },
	{ "compat: size under a page is still the range rule",
	  32, { C0, 0xfff | HI, 0, 0, 0 }, EINVAL, RT_RULE_RANGE, 0, 0, 0, 0 },
	{ "compat: the last page below TASK_SIZE, the largest pgoff",
	  32, { 0xffffd000, P, 0, 0xffffffff, 0 }, 0, RT_RULE_OK,
	  0xffffd000, P, 0xffffffff, 0xffffffff000ULL },
};

static void
test_compat(void)
{
	struct fake_mm mm = { .vmas = compat_layout,
			      .n = ARRAY_SIZE(compat_layout) };
	struct rt_vma_lookup lk = { .find = fake_find, .ctx = &mm };
	const uint64_t raw[6] = { HI | 1, HI | 2, HI | 3, HI | 4, HI | 5, 6 };
	struct rt_remap_args a;
	struct rt_verdict v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(compat_cases); i++) {
		const struct ccase *c = &compat_cases[i];

		if (!is_int(0, rt_remap_args_from_raw(c->raw, c->bits, &a),
			    "%s: arguments", c->name) ||
		    !is_int(0, rt_remap_validate(&a, P, &lk, &v),
			    "%s: verdict", c->name))
			continue;
		is_int(c->err, v.err, "%s: errno", c->name);
		is_str(rt_rule_id(c->rule), rt_rule_id(v.rule), "%s: rule",
		       c->name);
		if (c->err)
			continue;
		is_u64(c->addr, v.plan.addr, "%s: plan addr", c->name);
		is_u64(c->len, v.plan.len, "%s: plan len", c->name);
		is_u64(c->pgoff, v.plan.pgoff, "%s: plan pgoff", c->name);
		is_u64(c->offset, v.plan.offset, "%s: plan offset", c->name);
	}
	is_int(0, rt_remap_args_from_raw(raw, 0, &a), "raw: width 0");
	is_u64(HI | 4, a.pgoff, "raw: width 0 takes the whole register");
	is_int(0, rt_remap_args_from_raw(raw, 32, &a), "raw: width 32");
	is_u64(1, a.start, "raw: width 32 cuts start");
	is_u64(5, a.flags, "raw: width 32 cuts flags");
	is_int(-EINVAL, rt_remap_args_from_raw(raw, 16, &a), "raw: width 16");
}

/* The mmap that carries out a plan, in one ABI's terms. */
struct mcase {
	const char *name;
	struct rt_plan plan;
	uint64_t mark;
	unsigned int shift, bits;
	/* want */
	int ret;
	uint64_t args[6];
};

#define PLAN(a, l, off) \
	{ .addr = (a), .len = (l), .prot = RW, .flags = BASE, \
	  .offset = (off) }

static const struct mcase mmap_cases[] = {
	{ "x86_64: byte offset, mark bit 40", PLAN(A0, 2 * P, 0x5000),
	  1ULL << 40, 0, 64, 0,
	  { A0, 2 * P, RW, BASE | (1ULL << 40), 7, 0x5000 } },
	{ "i386 mmap2: offset in 4096-byte units", PLAN(C0, 2 * P, 0x5000),
	  0x800000, 12, 32, 0, { C0, 2 * P, RW, BASE | 0x800000, 7, 5 } },
	{ "i386 mmap2: the largest offset, 0xffffffff units",
	  PLAN(0xffffd000, P, 0xffffffff000ULL), 0x800000, 12, 32, 0,
	  { 0xffffd000, P, RW, BASE | 0x800000, 7, 0xffffffff } },
	{ "i386 mmap2: 2^44 bytes do not fit",
	  PLAN(C0, P, 1ULL << 44), 0, 12, 32, -EOVERFLOW, { 0 } },
	{ "i386: an address above 4 GiB does not fit",
	  PLAN(HI, P, 0), 0, 12, 32, -EOVERFLOW, { 0 } },
	{ "i386: a 64-bit mark does not fit",
	  PLAN(C0, P, 0), 1ULL << 40, 12, 32, -EOVERFLOW, { 0 } },
	{ "arm mmap2 on 64 KiB pages: pgoff 0xfffffff fits",
	  PLAN(C0, 0x10000, 0xfffffffULL << 16), 0, 12, 32, 0,
	  { C0, 0x10000, RW, BASE, 7, 0xfffffff0 } },
	{ "arm mmap2 on 64 KiB pages: pgoff 2^28 does not",
	  PLAN(C0, 0x10000, 1ULL << 44), 0, 12, 32, -EOVERFLOW, { 0 } },
	{ "mmap2: an offset inside a unit is refused",
	  PLAN(C0, P, 0x800), 0, 12, 32, -EINVAL, { 0 } },
	{ "a 16-bit ABI does not exist", PLAN(C0, P, 0), 0, 0, 16, -EINVAL,
	  { 0 } },
};

static void
test_mmap_args(void)
{
	size_t i;
	int j;

	for (i = 0; i < ARRAY_SIZE(mmap_cases); i++) {
		const struct mcase *c = &mmap_cases[i];
		uint64_t got[6] = { 0 };

		if (!is_int(c->ret, rt_remap_mmap_args(&c->plan, 7, c->mark,
						       c->shift, c->bits, got),
			    "%s: result", c->name) || c->ret)
			continue;
		for (j = 0; j < 6; j++)
			is_u64(c->args[j], got[j], "%s: argument %d", c->name,
			       j + 1);
	}
	{
		const struct rt_plan p = PLAN(A0, P, 0);
		uint64_t got[6];

		is_int(-EINVAL, rt_remap_mmap_args(&p, -1, 0, 0, 64, got),
		       "no descriptor");
	}
}

static void
test_rule_names(void)
{
	static const char *const ids[RT_RULE__COUNT] = {
		"ok", "prot", "range", "pgoff-wrap", "no-vma", "not-shared",
		"span-hole", "span-file", "span-flags", "span-end",
		"huge-align", "huge-pgoff", "offset", "shm-removed",
	};
	int r;

	for (r = 0; r < RT_RULE__COUNT; r++) {
		is_str(ids[r], rt_rule_id(r), "rule %d id", r);
		ok(rt_rule_text(r) && *rt_rule_text(r), "rule %d has a text",
		   r);
	}
	is_str("prot must be 0", rt_rule_text(RT_RULE_PROT), "text: prot");
	is_str("the mapping at start is not VM_SHARED (private, or a "
	       "read-only open file)", rt_rule_text(RT_RULE_NOT_SHARED),
	       "text: not-shared");
	is_str("hugetlb mapping: pgoff must be huge-page aligned (the old "
	       "range is unmapped)", rt_rule_text(RT_RULE_HUGE_PGOFF),
	       "text: huge-pgoff");
	is_str("pgoff lies beyond the largest file offset",
	       rt_rule_text(RT_RULE_OFFSET), "text: offset");
	is_str("unknown", rt_rule_id(RT_RULE__COUNT), "id out of range");
	is_str("unknown", rt_rule_id((enum rt_rule)-1), "id negative");
	is_str("unknown rule", rt_rule_text(RT_RULE__COUNT),
	       "text out of range");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
	test_offset_formula();
	test_lookup_errors();
	test_bad_input();
	test_page_size_64k();
	test_compat();
	test_mmap_args();
	test_rule_names();
	for (i = 0; i < ARRAY_SIZE(whole_cases); i++)
		check_whole(&whole_cases[i]);
	test_shm_gone();
	return tap_done();
}
