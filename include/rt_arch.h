/* rt_arch.h - everything ABI-specific, behind one small interface.
 *
 * One implementation per architecture (tracer/arch-<arch>.c), selected by
 * the Makefile's build of the matching file; nothing else in the tree
 * knows register names or syscall numbers.
 */
#ifndef RT_ARCH_H
#define RT_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct rt_regs {
	struct user_regs_struct r;
};

struct rt_arch {
	const char *name;
	/* system call numbers of the native ABI */
	long nr_remap_file_pages;
	long nr_mmap;
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
	long nr_clone;
	long nr_process_vm_readv;
	long nr_shmctl;
	/* Bytes of the system call instruction. */
	unsigned int syscall_len;
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
	/* seccomp_data.arch of the native ABI (AUDIT_ARCH_*). */
	uint32_t audit_arch;
	/* Bits of seccomp_data.nr that mark another ABI (x32's), or 0. */
	uint32_t foreign_nr_bits;
	/* The other ABIs this machine may run (libseccomp SCMP_ARCH_*), 0
	 * for none: calls there are watched too (privilege.c). */
	uint32_t compat_scmp[2];
};

extern const struct rt_arch rt_arch_native;

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

/* Is this thread using the native ABI (not i386/x32 on x86_64)? */
bool rt_arch_is_native(const struct rt_regs *regs);

/* The number of the system call the thread is in (orig_rax), or -1. */
long rt_arch_syscall_nr(const struct rt_regs *regs);

/* The current return-value register (rax). */
long rt_arch_retreg(const struct rt_regs *regs);
void rt_arch_set_retreg(struct rt_regs *regs, long value);

/* Stack and instruction pointers. */
uint64_t rt_arch_pc(const struct rt_regs *regs);
void rt_arch_set_pc(struct rt_regs *regs, uint64_t pc);
uint64_t rt_arch_sp(const struct rt_regs *regs);
/* Bytes below the stack pointer the ABI lets leaf code use (red zone). */
extern const unsigned int rt_arch_red_zone;

/* The agent's code (agent-<arch>.S), copied into the tracee. */
extern const unsigned char rt_agent_code[], rt_agent_code_end[];

#endif
