/* rt_vma.h - a snapshot of one virtual memory area of a tracee.
 *
 * Shared by the pure emu/ code (which decides) and tracer/ (which reads
 * /proc and fills it in).  Nothing here touches a process.
 */
#ifndef RT_VMA_H
#define RT_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_VMA_NAME_MAX 256

/*
 * VM flags, one bit per two-letter mnemonic of the VmFlags line of
 * /proc/PID/smaps (fs/proc/task_mmu.c:show_smap_vma_flags()).  The bit
 * numbers are ours, not the kernel's: only equality and the few named
 * below matter to the emulator.
 */
enum rt_vm_flag_bit {
	RT_VMB_RD, RT_VMB_WR, RT_VMB_EX, RT_VMB_SH, RT_VMB_MR, RT_VMB_MW,
	RT_VMB_ME, RT_VMB_MS, RT_VMB_GD, RT_VMB_PF, RT_VMB_LO, RT_VMB_IO,
	RT_VMB_SR, RT_VMB_RR, RT_VMB_DC, RT_VMB_DE, RT_VMB_AC, RT_VMB_NR,
	RT_VMB_HT, RT_VMB_SF, RT_VMB_AR, RT_VMB_WF, RT_VMB_DD, RT_VMB_BI,
	RT_VMB_MM, RT_VMB_HG, RT_VMB_NH, RT_VMB_MG, RT_VMB_UM, RT_VMB_UW,
	RT_VMB_SS, RT_VMB_SL, RT_VMB_LF, RT_VMB_MT, RT_VMB_BT, RT_VMB_SD,
	RT_VMB_NL, RT_VMB_UI, RT_VMB_GU, RT_VMB_OTHER, /* any unknown one */
	RT_VMB_DP,	/* "dp": VM_DROPPABLE, Linux 6.11+ */
	RT_VMB_MP,	/* "mp": VM_MPX, Linux 4.1 to 5.5 (x86) */
	RT_VMB_DW,	/* "dw": VM_DENYWRITE, before Linux 5.15 */
	RT_VMB__COUNT
};

#define RT_VM(b)		(1ULL << RT_VMB_##b)
#define RT_VM_READ		RT_VM(RD)
#define RT_VM_WRITE		RT_VM(WR)
#define RT_VM_EXEC		RT_VM(EX)
#define RT_VM_SHARED		RT_VM(SH)	/* "sh": true VM_SHARED */
#define RT_VM_MAYREAD		RT_VM(MR)
#define RT_VM_MAYWRITE		RT_VM(MW)
#define RT_VM_MAYEXEC		RT_VM(ME)
#define RT_VM_MAYSHARE		RT_VM(MS)	/* the "s" of /proc/PID/maps */
#define RT_VM_PFNMAP		RT_VM(PF)
#define RT_VM_LOCKED		RT_VM(LO)
#define RT_VM_IO		RT_VM(IO)
#define RT_VM_DONTEXPAND	RT_VM(DE)
#define RT_VM_HUGETLB		RT_VM(HT)
#define RT_VM_MIXEDMAP		RT_VM(MM)
#define RT_VM_SEALED		RT_VM(SL)
#define RT_VM_LOCKONFAULT	RT_VM(LF)
/* mm.h VM_SPECIAL: never given MAP_LOCKED by remap_file_pages */
#define RT_VM_SPECIAL	(RT_VM_IO | RT_VM_DONTEXPAND | RT_VM_PFNMAP | RT_VM_MIXEDMAP)

/*
 * Flags that mean something when a snapshot is not flags_exact (the
 * PROCMAP_QUERY or maps view); used only when the lookup could not give
 * the complete VmFlags set for both VMAs of a comparison.
 */
#define RT_VM_INEXACT_MASK	(RT_VM_READ | RT_VM_WRITE | RT_VM_EXEC | \
				 RT_VM_MAYSHARE | RT_VM_SHARED | \
				 RT_VM_LOCKED | RT_VM_HUGETLB)

struct rt_vma {
	uint64_t start;		/* [start, end) */
	uint64_t end;
	uint64_t offset;	/* file offset of start, in bytes */
	uint64_t ino;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t flags;		/* RT_VM_* */
	/*
	 * flags_exact: flags hold the whole VmFlags set (from smaps).  When
	 * false only READ, WRITE, EXEC, MAYSHARE, SHARED, LOCKED and HUGETLB
	 * are meaningful, which is all a call within one VMA needs.
	 */
	bool flags_exact;
	uint64_t page_size;	/* KernelPageSize in bytes (hugetlb: huge) */
	/*
	 * Identity of the open file (the kernel's struct file pointer) when
	 * the tracer knows it, 0 when it does not: then device and inode are
	 * all there is to compare.
	 */
	uint64_t file_id;
	bool file_id_inferred;	/* file_id guessed (ident.c infer()) */
	char name[RT_VMA_NAME_MAX];	/* path, "[heap]", "" for anonymous */
};

/**
 * struct rt_vma_lookup - where the pure code gets VMAs from.
 * @find: fill *out with the first VMA whose end lies above @addr, as the
 *	kernel's find_vma() does (it may start above @addr: a hole).
 *	@exact asks for flags_exact (needed to compare VMAs of a span).
 *	Returns 0, -ENOENT when no VMA ends above @addr, or another -errno
 *	when the lookup itself failed (the tracee vanished, say).
 * @ctx: passed to @find.
 */
struct rt_vma_lookup {
	int (*find)(void *ctx, uint64_t addr, bool exact, struct rt_vma *out);
	void *ctx;
};

#endif
