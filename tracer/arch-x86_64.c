/* arch-x86_64.c - x86_64 registers, syscall numbers and the syscall
 * instruction, for syscall injection (inject.c).
 */
#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <elf.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "rt_arch.h"

#define X86_64_USER_CS	0x33	/* __USER_CS: 64-bit code segment */

const struct rt_arch rt_arch_native = {
	.name = "x86_64",
	.nr_remap_file_pages = 216,
	.nr_mmap = 9,
	.nr_munmap = 11,
	.nr_mremap = 25,
	.nr_mseal = 462,
	.nr_rt_sigaction = 13,
	.nr_ptrace = 101,
	.nr_close = 3,
	.nr_openat = 257,
	.nr_getpid = 39,
	.nr_mprotect = 10,
	.nr_madvise = 28,
	.nr_clone = 56,
	.nr_process_vm_readv = 310,
	.nr_shmctl = 31,
	.syscall_len = 2,
	.mmap_mark = 1ULL << 40,
	.mremap_mark = 0x8000000000000000ULL,	/* never a user address */
	.audit_arch = AUDIT_ARCH_X86_64,
	.foreign_nr_bits = 0x40000000,		/* __X32_SYSCALL_BIT */
	.compat_scmp = { SCMP_ARCH_X86, SCMP_ARCH_X32 },
};

int
rt_arch_getregs(pid_t tid, struct rt_regs *regs)
{
	struct iovec iov = { .iov_base = &regs->r, .iov_len = sizeof(regs->r) };

	if (ptrace(PTRACE_GETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}

int
rt_arch_setregs(pid_t tid, const struct rt_regs *regs)
{
	struct iovec iov = {
		.iov_base = (void *)&regs->r, .iov_len = sizeof(regs->r)
	};

	if (ptrace(PTRACE_SETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}

int
rt_arch_check_syscall_insn(pid_t tid, const struct rt_regs *saved)
{
	long word;

	if (saved->r.cs != X86_64_USER_CS)
		return -ENOEXEC;
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tid, saved->r.rip - 2, NULL);
	if (errno)
		return -errno;
	/* 0f 05: syscall.  (int 0x80 would be cd 80, sysenter 0f 34.) */
	if ((word & 0xffff) != 0x050f)
		return -ENOEXEC;
	return 0;
}

void
rt_arch_setup_call(struct rt_regs *regs, const struct rt_regs *saved,
		   long nr, const uint64_t args[6])
{
	*regs = *saved;
	regs->r.rip = saved->r.rip - 2;
	regs->r.rax = nr;
	/*
	 * orig_rax = -1: the stop we resume from may still show the emulated
	 * call as interrupted; a negative number tells the signal code not to
	 * restart anything (arch/x86/kernel/signal.c).
	 */
	regs->r.orig_rax = -1;
	regs->r.rdi = args[0];
	regs->r.rsi = args[1];
	regs->r.rdx = args[2];
	regs->r.r10 = args[3];
	regs->r.r8 = args[4];
	regs->r.r9 = args[5];
}

long
rt_arch_retval(const struct rt_regs *regs)
{
	return (long)regs->r.rax;
}

void
rt_arch_finish(struct rt_regs *regs, const struct rt_regs *saved, long retval)
{
	*regs = *saved;
	regs->r.rax = retval;
	regs->r.orig_rax = -1;
}

void
rt_arch_restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	*regs = *saved;
	regs->r.rip = saved->r.rip - 2;		/* the syscall instruction */
	regs->r.rax = nr;
	regs->r.orig_rax = -1;
}

bool
rt_arch_is_native(const struct rt_regs *regs)
{
	long nr = (long)regs->r.orig_rax;

	if (regs->r.cs != X86_64_USER_CS)
		return false;
	return nr < 0 || !(nr & 0x40000000);	/* __X32_SYSCALL_BIT */
}

long
rt_arch_syscall_nr(const struct rt_regs *regs)
{
	return (long)regs->r.orig_rax;
}

long
rt_arch_retreg(const struct rt_regs *regs)
{
	return (long)regs->r.rax;
}

void
rt_arch_set_retreg(struct rt_regs *regs, long value)
{
	regs->r.rax = value;
}

uint64_t
rt_arch_pc(const struct rt_regs *regs)
{
	return regs->r.rip;
}

void
rt_arch_set_pc(struct rt_regs *regs, uint64_t pc)
{
	regs->r.rip = pc;
}

uint64_t
rt_arch_sp(const struct rt_regs *regs)
{
	return regs->r.rsp;
}

const unsigned int rt_arch_red_zone = 128;
