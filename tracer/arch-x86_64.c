/* arch-x86_64.c - the x86_64 ABI (registers, syscall numbers, the syscall
 * instruction, for syscall injection: inject.c), and the x32 marker; the
 * i386 compat ABI of the same machine is in arch-i386.c.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "arch-x86.h"

static int
check_insn(pid_t tid, const struct rt_regs *saved)
{
	long word;

	if (saved->r.cs != RT_X86_USER64_CS)
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

static void
setup_call(struct rt_regs *regs, const struct rt_regs *saved, long nr,
	   const uint64_t args[6])
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

static long
retval(const struct rt_regs *regs)
{
	return (long)regs->r.rax;
}

static void
finish(struct rt_regs *regs, const struct rt_regs *saved, long ret)
{
	*regs = *saved;
	regs->r.rax = ret;
	regs->r.orig_rax = -1;
}

static void
restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	*regs = *saved;
	regs->r.rip = saved->r.rip - 2;		/* the syscall instruction */
	regs->r.rax = nr;
	regs->r.orig_rax = -1;
}

static void
args(const struct rt_regs *regs, uint64_t a[6])
{
	a[0] = regs->r.rdi;
	a[1] = regs->r.rsi;
	a[2] = regs->r.rdx;
	a[3] = regs->r.r10;
	a[4] = regs->r.r8;
	a[5] = regs->r.r9;
}

static const struct rt_arch_ops x86_64_ops = {
	.check_insn = check_insn,
	.setup_call = setup_call,
	.retval = retval,
	.finish = finish,
	.restart = restart,
	.args = args,
};

const struct rt_arch rt_arch_native = {
	.name = "x86_64",
	.nr_remap_file_pages = 216,
	.nr_mmap = 9,
	.nr_old_mmap = -1,
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
	.nr_mlock = 149,
	.nr_munlock = 150,
	.nr_mlockall = 151,
	.nr_clone = 56,
	.nr_process_vm_readv = 310,
	.nr_shmctl = 31,
	.syscall_len = 2,
	.syscall_insn = { 0x0f, 0x05 },
	.mmap_offset_shift = 0,
	.word_bits = 64,
	.mmap_mark = 1ULL << 40,
	.mremap_mark = 0x8000000000000000ULL,	/* never a user address */
	.audit_arch = AUDIT_ARCH_X86_64,
	.scmp_arch = SCMP_ARCH_X86_64,
	.foreign_nr_bits = RT_X32_SYSCALL_BIT,
	.compat_scmp = { SCMP_ARCH_X86, SCMP_ARCH_X32 },
	.red_zone = 128,
	.native = true,
	.can_inject = true,
	.has_agent = true,
	.ops = &x86_64_ops,
};

/*
 * x32: x86_64's registers and instruction, its own numbers (the common
 * ones with __X32_SYSCALL_BIT, the rest from 512), 32-bit pointers.  Its
 * remap_file_pages is the common x86_64 entry (full 64-bit registers),
 * but nothing else of it is described here: remaptrace refuses to
 * emulate in it (can_inject false) rather than mis-decode a call.
 * Debian's kernels leave x32 off unless booted with syscall.x32=y.
 */
const struct rt_arch rt_arch_x32 = {
	.name = "x32",
	.nr_remap_file_pages = RT_X32_SYSCALL_BIT | 216,
	.nr_mmap = -1,
	.nr_old_mmap = -1,
	.nr_munmap = -1,
	.nr_mremap = -1,
	.nr_mseal = -1,
	.nr_rt_sigaction = -1,
	.nr_ptrace = -1,
	.nr_close = -1,
	.nr_openat = -1,
	.nr_getpid = -1,
	.nr_mprotect = -1,
	.nr_madvise = -1,
	.nr_mlock = -1,
	.nr_munlock = -1,
	.nr_mlockall = -1,
	.nr_clone = -1,
	.nr_process_vm_readv = -1,
	.nr_shmctl = -1,
	.syscall_len = 2,
	.syscall_insn = { 0x0f, 0x05 },
	.word_bits = 64,
	.audit_arch = AUDIT_ARCH_X86_64,
	.scmp_arch = SCMP_ARCH_X32,
	.foreign_nr_bits = RT_X32_SYSCALL_BIT,
	.red_zone = 128,
};

const struct rt_arch *const rt_arch_abis[] = {
	&rt_arch_native, &rt_arch_i386, &rt_arch_x32, NULL
};

const struct rt_arch *
rt_arch_abi_regs(const struct rt_regs *regs)
{
	if (regs->r.cs == RT_X86_USER32_CS)
		return &rt_arch_i386;
	if (regs->r.cs != RT_X86_USER64_CS)
		return NULL;
	if ((long)regs->r.orig_rax >= 0 &&
	    (regs->r.orig_rax & RT_X32_SYSCALL_BIT))
		return &rt_arch_x32;
	return &rt_arch_native;
}

/*
 * PTRACE_GETREGS, not GETREGSET: NT_PRSTATUS takes the layout of the
 * thread's mode (task_user_regset_view(tracee): 17 32-bit registers for a
 * thread in 32-bit mode), while PTRACE_GETREGS and SETREGS take the
 * tracer's, x86_64's user_regs_struct, for a thread in either mode
 * (arch/x86/kernel/ptrace.c).  One layout for every ABI of the machine.
 */
int
rt_arch_getregs(pid_t tid, struct rt_regs *regs)
{
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs->r) < 0)
		return -errno;
	regs->insn = 0;
	return 0;
}

int
rt_arch_setregs(pid_t tid, const struct rt_regs *regs)
{
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs->r) < 0)
		return -errno;
	return 0;
}

bool
rt_arch_is_native(const struct rt_regs *regs)
{
	return rt_arch_abi_regs(regs) == &rt_arch_native;
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
