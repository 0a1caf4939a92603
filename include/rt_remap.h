/* rt_remap.h - the pure rule book of remap_file_pages(2) (emu/validate.c).
 *
 * Given the five arguments and a way to look VMAs up, decide what the
 * kernel would answer, and for a valid call plan the equivalent mmap(2).
 */
#ifndef RT_REMAP_H
#define RT_REMAP_H

#include "rt_vma.h"

/*
 * The arguments as sys_remap_file_pages receives them.  A compat call
 * (i386 on x86_64, AArch32 on arm64) reaches the same function as a
 * native one: the kernel's stub cuts each register to its low 32 bits and
 * zero-extends it (__SC_COMPAT_CAST in arch/x86/include/asm/
 * syscall_wrapper.h), and the rules then compute in 64-bit unsigned long.
 * So a compat call's arguments are cut (rt_remap_args_from_raw()), and
 * after that the rules are the native ones: nothing wraps at 2^32.
 * start + size and pgoff + pages cannot overflow, and pgoff 0xffffffff
 * with two pages is valid (offset 0xffffffff000), where a 32-bit kernel
 * would say EINVAL.  Probed on x86_64 6.18: a gcc -m32 program, and
 * int 0x80 from a 64-bit one with the high register halves set (ignored,
 * prot 1 << 32 included, though seccomp_data.args shows them).
 */
struct rt_remap_args {
	uint64_t start;
	uint64_t size;
	uint64_t prot;
	uint64_t pgoff;
	uint64_t flags;
};

/**
 * rt_remap_args_from_raw() - the arguments as the kernel's stub passes
 * them on: @raw (seccomp_data.args, or the argument registers) cut to
 * @word_bits, the width of the caller ABI's registers (0 or 64: taken
 * whole; 32: the low halves).  Returns 0, or -EINVAL for another width.
 */
int rt_remap_args_from_raw(const uint64_t raw[6], unsigned int word_bits,
			   struct rt_remap_args *a);

/* Which rule decided, in the kernel's order (mm/mmap.c). */
enum rt_rule {
	RT_RULE_OK = 0,
	RT_RULE_PROT,		/* prot != 0 */
	RT_RULE_RANGE,		/* start + size <= start after rounding */
	RT_RULE_PGOFF_WRAP,	/* pgoff + size / PAGE_SIZE wraps */
	RT_RULE_NO_VMA,		/* no VMA contains start */
	RT_RULE_NOT_SHARED,	/* VMA at start lacks VM_SHARED */
	RT_RULE_SPAN_HOLE,	/* a hole before start + size */
	RT_RULE_SPAN_FILE,	/* a following VMA maps another file */
	RT_RULE_SPAN_FLAGS,	/* a following VMA has other vm_flags */
	RT_RULE_SPAN_END,	/* VMAs end before start + size */
	RT_RULE_HUGE_ALIGN,	/* hugetlb: start or size not huge-page aligned */
	RT_RULE_HUGE_PGOFF,	/* hugetlb: pgoff misaligned; old range unmapped */
	RT_RULE_OFFSET,		/* pgoff beyond the file size limit: EOVERFLOW */
	RT_RULE_SHM_GONE,	/* SysV: the mmap's unmap destroys the removed
				 * segment; old range unmapped */
	RT_RULE__COUNT
};

/* What the emulator must do in the tracee for a call. */
enum rt_action {
	RT_ACT_NONE = 0,	/* answer verdict.err, touch nothing */
	RT_ACT_MMAP,		/* mmap(plan) and answer its result */
	RT_ACT_MUNMAP,		/* munmap(addr, len), then answer verdict.err */
};

struct rt_plan {
	uint64_t addr;		/* page-rounded start */
	uint64_t len;		/* page-rounded size */
	int prot;		/* from the first VMA's VM_READ/WRITE/EXEC */
	int flags;		/* MAP_SHARED|MAP_FIXED|MAP_POPULATE [|MAP_LOCKED]
				 * [|MAP_NONBLOCK] */
	uint64_t pgoff;		/* in base pages */
	uint64_t offset;	/* pgoff * page size: mmap's byte offset */
	unsigned int nvmas;	/* how many VMAs the range covers */
};

struct rt_verdict {
	int err;		/* 0, or the positive errno the call returns */
	enum rt_rule rule;
	enum rt_action action;
	uint64_t bad;		/* the value that broke the rule (see rule) */
	bool have_vma;		/* vma is the one the rule looked at */
	struct rt_vma vma;	/* first VMA (file object to map) or culprit */
	struct rt_vma first;	/* the VMA containing start, if any */
	struct rt_plan plan;	/* valid when action != RT_ACT_NONE */
};

/**
 * rt_remap_validate() - judge one call the way mm/mmap.c does.
 * @a: the arguments (a compat call's cut by rt_remap_args_from_raw()).
 * @page_size: the base page size (4096 on x86_64).
 * @lk: VMA lookup.
 * @v: out: the verdict.
 *
 * Returns 0 when @v holds a verdict (valid or not), or the -errno of a
 * failed lookup (other than -ENOENT, which is a verdict).
 */
int rt_remap_validate(const struct rt_remap_args *a, uint64_t page_size,
		      const struct rt_vma_lookup *lk, struct rt_verdict *v);

/**
 * rt_remap_mmap_args() - the six arguments of the mmap that carries out
 * @p, in the terms of one ABI's mmap (the caller's: the emulation runs in
 * its thread).
 * @p: the plan (RT_ACT_MMAP).
 * @fd: the descriptor of the file in the tracee.
 * @mark: flag bits to add (the ABI's mmap_mark, which do_mmap() ignores).
 * @offset_shift: the ABI's mmap takes the offset >> this: 0 for a byte
 *	offset (x86_64, aarch64 mmap), 12 for mmap2's 4096-byte units
 *	(i386, arm), whatever the page size.
 * @word_bits: the width of the ABI's registers (0 or 64, or 32).
 * @args: out: addr, len, prot, flags | mark, fd, offset >> offset_shift.
 *
 * Return: 0; -EINVAL for an offset that is no multiple of the unit or a
 * bad width or shift; -EOVERFLOW when an argument does not fit the
 * registers (mmap2 reaches 2^44 bytes: a compat call on a 64 KiB-page
 * arm64 kernel can name a pgoff beyond it).
 */
int rt_remap_mmap_args(const struct rt_plan *p, int fd, uint64_t mark,
		       unsigned int offset_shift, unsigned int word_bits,
		       uint64_t args[6]);

/**
 * rt_remap_whole_vmas() - how many VMAs of the first VMA's file lie
 * entirely inside a valid call's range.
 * @lk: the lookup the verdict was reached with (non-exact lookups only,
 *	none when the range ends inside the first VMA).
 * @v: a verdict with action RT_ACT_MMAP.
 * @n: out: the count.
 *
 * The mmap that emulates the call closes these VMAs (vm_ops->close); the
 * ones the range covers in part are split first, and a split opens the
 * piece it keeps (vm_ops->open), so only whole ones count.
 *
 * Return: 0; -EINVAL for another verdict; a failed lookup's -errno.
 */
int rt_remap_whole_vmas(const struct rt_vma_lookup *lk,
			const struct rt_verdict *v, unsigned int *n);

/**
 * rt_remap_shm_gone() - turn the valid verdict @v into the kernel's answer
 * when its mmap would destroy the SysV segment it maps: the old range
 * unmapped, then EINVAL (rule RT_RULE_SHM_GONE, bad = @shmid).
 *
 * Return: 0; -EINVAL when @v is not a valid call's verdict.
 */
int rt_remap_shm_gone(struct rt_verdict *v, int shmid);

/* Short stable identifier of a rule ("prot", "not-shared", ...). */
const char *rt_rule_id(enum rt_rule rule);
/* The rule in words, as the log shows it ("prot must be 0"). */
const char *rt_rule_text(enum rt_rule rule);

#endif
