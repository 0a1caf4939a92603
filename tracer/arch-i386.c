/* arch-i386.c - the i386 ABI of an x86_64 machine (IA32 emulation), side by
 * side with the native one in arch-x86_64.c: a 32-bit program's calls, or a
 * 64-bit program's int 0x80.
 *
 * The tracer is 64-bit, so it sees the thread's registers in x86_64's
 * layout; an i386 call takes its number in eax and its arguments in ebx,
 * ecx, edx, esi, edi, ebp.  The kernel's __ia32_sys_* stubs cut each
 * argument to its low 32 bits and zero-extend it (__SC_COMPAT_CAST in
 * arch/x86/include/asm/syscall_wrapper.h), but seccomp_data.args shows the
 * whole 64-bit register: a 64-bit program that executes int 0x80 with the
 * high halves set is notified with them (probed on 6.18), hence word_bits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "arch-x86.h"

/*
 * At a stop in or after an i386 call the pc is just after an int 0x80
 * (cd 80), however the call was made: a call through the vDSO's sysenter
 * or syscall returns to its int80_landing_pad, right after the int 0x80
 * that follows them, which is what a restart (ip -= 2) re-executes
 * (arch/x86/entry/common.c, do_fast_syscall_32()).  So cd 80 at pc - 2 is
 * the instruction to reuse, in a 32-bit or a 64-bit code segment alike.
 */
static int
check_insn(pid_t tid, const struct rt_regs *saved)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tid, saved->r.rip - 2, NULL);
	if (errno)
		return -errno;
	if ((word & 0xffff) != 0x80cd)
		return -ENOEXEC;
	return 0;
}

static void
setup_call(struct rt_regs *regs, const struct rt_regs *saved, long nr,
	   const uint64_t args[6])
{
	*regs = *saved;
	regs->r.rip = saved->r.rip - 2;
	regs->r.rax = (uint32_t)nr;
	/* As for x86_64: no restart of the call we stopped in. */
	regs->r.orig_rax = -1;
	regs->r.rbx = (uint32_t)args[0];
	regs->r.rcx = (uint32_t)args[1];
	regs->r.rdx = (uint32_t)args[2];
	regs->r.rsi = (uint32_t)args[3];
	regs->r.rdi = (uint32_t)args[4];
	regs->r.rbp = (uint32_t)args[5];
}

/*
 * A 32-bit result: -4095..-1 in eax is an errno, anything else an
 * unsigned value (mmap2's addresses reach 0xffffd000).
 */
static long
retval(const struct rt_regs *regs)
{
	uint32_t v = (uint32_t)regs->r.rax;

	return v >= (uint32_t)-4095 ? (long)(int32_t)v : (long)v;
}

static void
finish(struct rt_regs *regs, const struct rt_regs *saved, long ret)
{
	*regs = *saved;
	regs->r.rax = (uint64_t)ret;
	regs->r.orig_rax = -1;
}

static void
restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	*regs = *saved;
	regs->r.rip = saved->r.rip - 2;		/* the int 0x80 */
	regs->r.rax = (uint32_t)nr;
	regs->r.orig_rax = -1;
}

static void
args(const struct rt_regs *regs, uint64_t a[6])
{
	a[0] = regs->r.rbx;
	a[1] = regs->r.rcx;
	a[2] = regs->r.rdx;
	a[3] = regs->r.rsi;
	a[4] = regs->r.rdi;
	a[5] = regs->r.rbp;
}

static const struct rt_arch_ops i386_ops = {
	.check_insn = check_insn,
	.setup_call = setup_call,
	.retval = retval,
	.finish = finish,
	.restart = restart,
	.args = args,
};

/* arch/x86/entry/syscalls/syscall_32.tbl */
const struct rt_arch rt_arch_i386 = {
	.name = "i386",
	.nr_remap_file_pages = 257,
	.nr_mmap = 192,			/* mmap2: sys_mmap_pgoff */
	.nr_old_mmap = 90,		/* old_mmap(struct mmap_arg_struct *) */
	.nr_munmap = 91,
	.nr_mremap = 163,
	.nr_mseal = 462,
	.nr_rt_sigaction = 174,
	.nr_ptrace = 26,
	.nr_close = 6,
	.nr_openat = 295,
	.nr_getpid = 20,
	.nr_mprotect = 125,
	.nr_madvise = 219,
	.nr_mlock = 150,
	.nr_munlock = 151,
	.nr_mlockall = 152,
	.nr_clone = 120,
	.nr_process_vm_readv = 347,
	.nr_shmctl = -1,
	.syscall_len = 2,
	.syscall_insn = { 0xcd, 0x80 },
	.mmap_offset_shift = 12,	/* mmap2: units of 4096 bytes */
	.word_bits = 32,
	/*
	 * Bit 23 of the flags: outside LEGACY_MAP_MASK, so do_mmap() drops
	 * it for MAP_SHARED (that mask is frozen: new flags need
	 * MAP_SHARED_VALIDATE), and inside the 32-bit register.
	 */
	.mmap_mark = 0x800000,
	/* Above TASK_SIZE of a compat task (0xffffe000): never an address
	 * of the program's own. */
	.mremap_mark = 0xfffff000,
	.audit_arch = AUDIT_ARCH_I386,
	.scmp_arch = SCMP_ARCH_X86,
	.red_zone = 0,			/* the i386 psABI has none */
	.can_inject = true,
	.ops = &i386_ops,
};
