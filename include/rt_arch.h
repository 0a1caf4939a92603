/* rt_arch.h - everything ABI-specific, behind one small interface.
 *
 * One file per architecture (tracer/arch-<arch>.c), chosen by the Makefile
 * for the target: it describes each ABI a thread of that machine may call
 * the kernel in, as one struct rt_arch keyed by AUDIT_ARCH, the native
 * ABI beside its compat ones (the way CRIU's compel keeps native and
 * compat register sets side by side):
 *
 *   x86_64 build:  x86_64 (native), i386 (compat, arch-i386.c),
 *                  x32 (a marker only: its calls are refused, not decoded)
 *   aarch64 build: aarch64 (native), arm (AArch32 compat: not intercepted,
 *                  warned)
 *
 * tracer/arch.c looks the descriptors up and dispatches to their register
 * code.  Nothing else in the tree knows register names or syscall numbers.
 */
#ifndef RT_ARCH_H
#define RT_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/*
 * The general registers of a ptrace-stopped thread, in the tracer's own
 * (64-bit) layout: a 32-bit thread's registers are the low halves.
 * @insn: where the system call instruction the stop is about lies, for an
 * architecture whose registers alone cannot tell (aarch64: the kernel may
 * or may not have rewound the pc to the svc before the stop); filled by
 * rt_arch_getregs(), 0 when unknown, unused on x86.
 */
struct rt_regs {
	struct user_regs_struct r;
	uint64_t insn;
};

struct rt_arch;

/*
 * How one ABI runs a system call in a stopped thread (the instruction,
 * which registers carry what, how a restart is suppressed).  NULL in an
 * ABI remaptrace cannot inject into (can_inject is false).
 */
struct rt_arch_ops {
	int (*check_insn)(pid_t tid, const struct rt_regs *saved);
	void (*setup_call)(struct rt_regs *regs, const struct rt_regs *saved,
			   long nr, const uint64_t args[6]);
	long (*retval)(const struct rt_regs *regs);
	void (*finish)(struct rt_regs *regs, const struct rt_regs *saved,
		       long retval);
	void (*restart)(struct rt_regs *regs, const struct rt_regs *saved,
			long nr);
	void (*args)(const struct rt_regs *regs, uint64_t args[6]);
};

/* One ABI: what a notification with seccomp_data.arch == audit_arch (and
 * nr carrying nr_bits) is about, and how to run calls in it. */
struct rt_arch {
	const char *name;	/* "x86_64", "i386", "x32", "aarch64", "arm" */
	/* system call numbers of this ABI (-1: the ABI lacks the call) */
	long nr_remap_file_pages;
	/*
	 * The mmap an emulator injects; its sixth argument is the file
	 * offset >> mmap_offset_shift: bytes (shift 0) for x86_64's and
	 * aarch64's mmap, 4096-byte units (shift 12) for i386's and arm's
	 * mmap2 (mmap_pgoff: the unit is 4096 on x86 and arm, whatever the
	 * page size).  See rt_remap_mmap_args() in rt_remap.h.
	 */
	long nr_mmap;
	/* i386's and arm's old_mmap(struct mmap_arg_struct *), else -1:
	 * programs still make shared mappings with it. */
	long nr_old_mmap;
	long nr_munmap;
	long nr_mremap;
	long nr_mseal;
	long nr_rt_sigaction;
	long nr_ptrace;
	long nr_close;
	long nr_openat;
	long nr_getpid;
	long nr_mprotect;
	long nr_madvise;
	long nr_mlock;
	long nr_munlock;
	long nr_mlockall;
	long nr_clone;
	long nr_process_vm_readv;
	long nr_shmctl;
	/* Bytes of the system call instruction, and its encoding (in memory
	 * order): 0f 05 syscall, cd 80 int 0x80, 01 00 00 d4 svc #0. */
	unsigned int syscall_len;
	unsigned char syscall_insn[4];
	/* Right shift from a byte offset to nr_mmap's offset argument. */
	unsigned int mmap_offset_shift;
	/* Width of the argument registers: a 32-bit ABI's calls see only
	 * the low halves (arch/x86/include/asm/syscall_wrapper.h casts each
	 * to unsigned int), though seccomp_data.args may show more. */
	unsigned int word_bits;
	/*
	 * A flag bit that mmap(MAP_SHARED) ignores (do_mmap() masks flags
	 * with LEGACY_MAP_MASK) and that fits the argument register: set on
	 * injected mmaps so that the filter's mmap-following rule does not
	 * send them back to the supervisor that is running them.
	 */
	uint64_t mmap_mark;
	/*
	 * A new_address that mremap(old, 0, len, MREMAP_MAYMOVE) ignores
	 * (no MREMAP_FIXED): set on our own duplicating mremaps so that the
	 * filter's rule for the program's does not send them back to us.
	 */
	uint64_t mremap_mark;
	/* seccomp_data.arch of this ABI (AUDIT_ARCH_*). */
	uint32_t audit_arch;
	/* libseccomp's token for it (SCMP_ARCH_*). */
	uint32_t scmp_arch;
	/* Native ABI: bits of seccomp_data.nr that mark another ABI sharing
	 * its audit_arch (x32's); in that other ABI, the bits it carries. */
	uint32_t foreign_nr_bits;
	/* The native ABI only: the other ABIs this machine may run
	 * (SCMP_ARCH_*), 0 for none: calls there are watched too. */
	uint32_t compat_scmp[2];
	/* Bytes below the stack pointer the ABI lets leaf code use. */
	unsigned int red_zone;
	bool native;		/* the ABI remaptrace itself is built for */
	bool can_inject;	/* ops below are set: calls can be run in it */
	bool has_agent;		/* rt_agent_code holds an agent for it */
	const struct rt_arch_ops *ops;
};

/* The ABI remaptrace is built for. */
extern const struct rt_arch rt_arch_native;

/**
 * rt_arch_abi() - the ABI whose seccomp_data.arch is @audit_arch, or NULL
 * for one this build does not know.  AUDIT_ARCH_X86_64 gives x86_64
 * (x32 shares it: use rt_arch_abi_call() with the call's number).
 */
const struct rt_arch *rt_arch_abi(uint32_t audit_arch);

/**
 * rt_arch_abi_call() - the ABI of one call, from a notification's
 * seccomp_data.arch and .nr (x32 is told from x86_64 by __X32_SYSCALL_BIT
 * in the number); NULL for an unknown arch.
 */
const struct rt_arch *rt_arch_abi_call(uint32_t audit_arch, int nr);

/**
 * rt_arch_abi_regs() - the ABI the stopped thread runs in, from its
 * registers (x86: the code segment, and the x32 bit of orig_rax; arm64:
 * PSTATE's AArch32 bit).  A 64-bit x86 thread that made its call with
 * int 0x80 is in the i386 ABI for that call only: for a notified call,
 * trust rt_arch_abi_call() on its seccomp_data instead.
 */
const struct rt_arch *rt_arch_abi_regs(const struct rt_regs *regs);

/* The ABIs of this build, NULL-terminated, native first. */
extern const struct rt_arch *const rt_arch_abis[];

/*
 * Per-ABI register work; each returns -ENOEXEC (or does nothing) for an
 * ABI without ops.  Same contracts as the native functions below.
 */
int rt_arch_abi_check_insn(const struct rt_arch *abi, pid_t tid,
			   const struct rt_regs *saved);
int rt_arch_abi_setup_call(const struct rt_arch *abi, struct rt_regs *regs,
			   const struct rt_regs *saved, long nr,
			   const uint64_t args[6]);
long rt_arch_abi_retval(const struct rt_arch *abi,
			const struct rt_regs *regs);
int rt_arch_abi_finish(const struct rt_arch *abi, struct rt_regs *regs,
		       const struct rt_regs *saved, long retval);
int rt_arch_abi_restart(const struct rt_arch *abi, struct rt_regs *regs,
			const struct rt_regs *saved, long nr);
/* The six argument registers of the call the thread is in, each cut to
 * the ABI's word_bits as the kernel's entry code cuts it. */
int rt_arch_abi_args(const struct rt_arch *abi, const struct rt_regs *regs,
		     uint64_t args[6]);
/* A notification's raw arguments cut to the ABI's word_bits. */
void rt_arch_abi_cut_args(const struct rt_arch *abi, const uint64_t in[6],
			  uint64_t out[6]);

/*
 * madvise advice that clears the VM flags madvise can set on a shared
 * mapping and a fresh mmap lacks (VM_SEQ_READ/RAND_READ, DONTDUMP,
 * DONTCOPY, WIPEONFORK): uapi numbers, the same on every architecture.
 */
#define RT_FRESH_ADVICE	{ 0 /* NORMAL */, 17 /* DODUMP */, \
			  11 /* DOFORK */, 19 /* KEEPONFORK */ }
#define RT_FRESH_ADVICE_N	4

/* Read / write the general registers of a ptrace-stopped thread. */
int rt_arch_getregs(pid_t tid, struct rt_regs *regs);
int rt_arch_setregs(pid_t tid, const struct rt_regs *regs);

/**
 * rt_arch_check_syscall_insn() - is there a native syscall instruction just
 * before the stopped thread's program counter (where the call it made from
 * user space returns)?  Returns 0, -ENOEXEC when not (another ABI, say), or
 * -errno.
 */
int rt_arch_check_syscall_insn(pid_t tid, const struct rt_regs *saved);

/*
 * rt_arch_setup_call() - registers that make the thread execute system call
 * @nr(@args) when resumed, starting from @saved (the stop after the call
 * being emulated).  Restart of the interrupted call is suppressed.
 */
void rt_arch_setup_call(struct rt_regs *regs, const struct rt_regs *saved,
			long nr, const uint64_t args[6]);

/* The return value of an injected call at its syscall-exit stop. */
long rt_arch_retval(const struct rt_regs *regs);

/*
 * rt_arch_finish() - @saved, returning @retval from the emulated call, with
 * no restart: what the kernel leaves when the call itself returns.
 */
void rt_arch_finish(struct rt_regs *regs, const struct rt_regs *saved,
		    long retval);

/* @saved, rewound to execute the interrupted call @nr again. */
void rt_arch_restart(struct rt_regs *regs, const struct rt_regs *saved,
		     long nr);

/* Is this thread using the native ABI (not i386/x32 on x86_64, not
 * AArch32 on arm64)? */
bool rt_arch_is_native(const struct rt_regs *regs);

/* The number of the system call the thread is in (x86 orig_rax, arm64
 * x8), or -1. */
long rt_arch_syscall_nr(const struct rt_regs *regs);

/* The current return-value register (x86 rax, arm64 x0). */
long rt_arch_retreg(const struct rt_regs *regs);
void rt_arch_set_retreg(struct rt_regs *regs, long value);

/* Stack and instruction pointers. */
uint64_t rt_arch_pc(const struct rt_regs *regs);
void rt_arch_set_pc(struct rt_regs *regs, uint64_t pc);
uint64_t rt_arch_sp(const struct rt_regs *regs);
/* Bytes below the stack pointer the native ABI lets leaf code use. */
extern const unsigned int rt_arch_red_zone;

/*
 * The agent's code (agent-<arch>.S), copied into the tracee; empty, and
 * rt_arch_native.has_agent false, on an architecture without one.
 */
extern const unsigned char rt_agent_code[], rt_agent_code_end[];

/*
 * The kernel's internal restart errnos (include/linux/errno.h, not in
 * uapi), as a thread's return register shows them in a ptrace-stop on its
 * way out: seccomp's aborted notification wait leaves -ERESTARTSYS, which
 * the signal code makes EINTR under a handler without SA_RESTART;
 * -ERESTARTNOINTR restarts the call in every case.
 */
#define RT_ERESTARTSYS		512
#define RT_ERESTARTNOINTR	513

#endif
