/* arch-aarch64.c - the arm64 ABI (registers, syscall numbers, svc #0), and
 * AArch32 beside it as a compat ABI that remaptrace does not intercept.
 *
 * Written from the kernel's source (arch/arm64/kernel/signal.c,
 * ptrace.c) and cross-compiled; never run on arm64 hardware, and the
 * tracer cannot run under qemu-user (which has no ptrace nor seccomp
 * user notification).  There is no agent for arm64: remaptrace runs
 * every emulated call in the calling thread (the --no-agent way).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <elf.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "rt_arch.h"

#define SVC_0		0xd4000001u	/* svc #0 */
#define PSR_MODE32_BIT	0x10		/* PSTATE: the thread runs AArch32 */

/* No agent code: an empty range, and has_agent false in the table. */
__asm__(".section .rodata\n"
	".globl rt_agent_code, rt_agent_code_end\n"
	"rt_agent_code:\n"
	"rt_agent_code_end:\n"
	".previous\n");

static bool
is_svc(pid_t tid, uint64_t at)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tid, at, NULL);
	return !errno && (uint32_t)word == SVC_0;
}

/*
 * Where is the svc?  Before a ptrace stop in a call that is to restart
 * (an interrupted notification: -ERESTARTSYS), do_signal() has already
 * rewound the pc to the svc and put orig_x0 back in x0; after a call that
 * returned, the pc is past the svc.  pc - 4 is tried first, as the svc of
 * a call that returned; a program with two svc in a row could fool this.
 */
static uint64_t
find_svc(pid_t tid, const struct user_regs_struct *r)
{
	if (r->pc >= 4 && is_svc(tid, r->pc - 4))
		return r->pc - 4;
	if (is_svc(tid, r->pc))
		return r->pc;
	return 0;
}

static int
check_insn(pid_t tid, const struct rt_regs *saved)
{
	(void)tid;
	if (saved->r.pstate & PSR_MODE32_BIT)
		return -ENOEXEC;
	return saved->insn ? 0 : -ENOEXEC;
}

static uint64_t
svc_of(const struct rt_regs *saved)
{
	return saved->insn ? saved->insn : saved->r.pc - 4;
}

/*
 * The restart of the call we stopped in was settled before the stop (the
 * kernel rewound the pc, or did not): running another call from the svc
 * and putting the pc past it afterwards (finish()) is all it takes; x8
 * carries the number, x0-x5 the arguments, x0 the result.
 */
static void
setup_call(struct rt_regs *regs, const struct rt_regs *saved, long nr,
	   const uint64_t args[6])
{
	int i;

	*regs = *saved;
	regs->r.pc = svc_of(saved);
	regs->r.regs[8] = (uint64_t)nr;
	for (i = 0; i < 6; i++)
		regs->r.regs[i] = args[i];
}

static long
retval(const struct rt_regs *regs)
{
	return (long)regs->r.regs[0];
}

static void
finish(struct rt_regs *regs, const struct rt_regs *saved, long ret)
{
	*regs = *saved;
	regs->r.regs[0] = (uint64_t)ret;
	regs->r.pc = svc_of(saved) + 4;
}

/*
 * Exact only from a stop where the kernel rewound the call (x0 is its
 * first argument again); after a call that returned, x0 holds the
 * result and orig_x0 is not in NT_PRSTATUS.
 */
static void
restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	*regs = *saved;
	regs->r.pc = svc_of(saved);
	regs->r.regs[8] = (uint64_t)nr;
}

static void
args(const struct rt_regs *regs, uint64_t a[6])
{
	int i;

	for (i = 0; i < 6; i++)
		a[i] = regs->r.regs[i];
}

static const struct rt_arch_ops aarch64_ops = {
	.check_insn = check_insn,
	.setup_call = setup_call,
	.retval = retval,
	.finish = finish,
	.restart = restart,
	.args = args,
};

/* include/uapi/asm-generic/unistd.h */
const struct rt_arch rt_arch_native = {
	.name = "aarch64",
	.nr_remap_file_pages = 234,
	.nr_mmap = 222,
	.nr_old_mmap = -1,
	.nr_munmap = 215,
	.nr_mremap = 216,
	.nr_mseal = 462,
	.nr_rt_sigaction = 134,
	.nr_ptrace = 117,
	.nr_close = 57,
	.nr_openat = 56,
	.nr_getpid = 172,
	.nr_mprotect = 226,
	.nr_madvise = 233,
	.nr_mlock = 228,
	.nr_munlock = 229,
	.nr_mlockall = 230,
	.nr_clone = 220,
	.nr_process_vm_readv = 270,
	.nr_shmctl = 195,
	.syscall_len = 4,
	.syscall_insn = { 0x01, 0x00, 0x00, 0xd4 },
	.mmap_offset_shift = 0,
	.word_bits = 64,
	.mmap_mark = 1ULL << 40,	/* outside LEGACY_MAP_MASK */
	.mremap_mark = 0x8000000000000000ULL,	/* never a user address */
	.audit_arch = AUDIT_ARCH_AARCH64,
	.scmp_arch = SCMP_ARCH_AARCH64,
	.compat_scmp = { SCMP_ARCH_ARM, 0 },
	.red_zone = 0,			/* AAPCS64 has none */
	.native = true,
	.can_inject = true,
	.has_agent = false,
	.ops = &aarch64_ops,
};

/*
 * AArch32 (EABI) programs on an arm64 kernel built with CONFIG_COMPAT
 * (many recent cores have no AArch32 at EL0 at all).  Watched by the
 * filter so that their remap_file_pages is reported, never emulated:
 * a 64-bit tracer sees their registers in another layout
 * (user_aarch32_view), which rt_arch_getregs() does not decode.
 */
static const struct rt_arch rt_arch_arm = {
	.name = "arm",
	.nr_remap_file_pages = 253,
	.nr_mmap = 192,			/* mmap2 */
	.nr_old_mmap = -1,		/* EABI has no old mmap */
	.nr_munmap = 91,
	.nr_mremap = 163,
	.nr_mseal = 462,
	.nr_rt_sigaction = 174,
	.nr_ptrace = 26,
	.nr_close = 6,
	.nr_openat = 322,
	.nr_getpid = 20,
	.nr_mprotect = 125,
	.nr_madvise = 220,
	.nr_mlock = 150,
	.nr_munlock = 151,
	.nr_mlockall = 152,
	.nr_clone = 120,
	.nr_process_vm_readv = 376,
	.nr_shmctl = -1,
	.syscall_len = 4,
	.syscall_insn = { 0x00, 0x00, 0x00, 0xef },	/* svc #0 (A32) */
	.mmap_offset_shift = 12,
	.word_bits = 32,
	.audit_arch = AUDIT_ARCH_ARM,
	.scmp_arch = SCMP_ARCH_ARM,
};

const struct rt_arch *const rt_arch_abis[] = {
	&rt_arch_native, &rt_arch_arm, NULL
};

const struct rt_arch *
rt_arch_abi_regs(const struct rt_regs *regs)
{
	return regs->r.pstate & PSR_MODE32_BIT ? &rt_arch_arm :
						 &rt_arch_native;
}

/*
 * An AArch32 thread's NT_PRSTATUS is shorter (18 32-bit registers): it is
 * not decoded, only marked as AArch32 so that nothing injects into it.
 */
int
rt_arch_getregs(pid_t tid, struct rt_regs *regs)
{
	struct iovec iov = { .iov_base = &regs->r, .iov_len = sizeof(regs->r) };

	if (ptrace(PTRACE_GETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return -errno;
	if (iov.iov_len != sizeof(regs->r)) {
		memset(regs, 0, sizeof(*regs));
		regs->r.pstate = PSR_MODE32_BIT;
		return 0;
	}
	regs->insn = find_svc(tid, &regs->r);
	return 0;
}

int
rt_arch_setregs(pid_t tid, const struct rt_regs *regs)
{
	struct iovec iov = {
		.iov_base = (void *)&regs->r, .iov_len = sizeof(regs->r)
	};

	if (regs->r.pstate & PSR_MODE32_BIT)
		return -ENOEXEC;
	if (ptrace(PTRACE_SETREGSET, tid, NT_PRSTATUS, &iov) < 0)
		return -errno;
	return 0;
}

bool
rt_arch_is_native(const struct rt_regs *regs)
{
	return !(regs->r.pstate & PSR_MODE32_BIT);
}

long
rt_arch_syscall_nr(const struct rt_regs *regs)
{
	return (long)regs->r.regs[8];
}

long
rt_arch_retreg(const struct rt_regs *regs)
{
	return (long)regs->r.regs[0];
}

void
rt_arch_set_retreg(struct rt_regs *regs, long value)
{
	regs->r.regs[0] = (uint64_t)value;
}

uint64_t
rt_arch_pc(const struct rt_regs *regs)
{
	return regs->r.pc;
}

void
rt_arch_set_pc(struct rt_regs *regs, uint64_t pc)
{
	regs->r.pc = pc;
}

uint64_t
rt_arch_sp(const struct rt_regs *regs)
{
	return regs->r.sp;
}

const unsigned int rt_arch_red_zone = 0;
