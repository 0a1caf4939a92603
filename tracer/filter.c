/* filter.c - build the seccomp filter with libseccomp and load it with a
 * listener (runs in the child, before execve).
 *
 * Each SCMP_CMP_EQ comparison spells out its unused second datum (0):
 * libseccomp's SCMP_A* macros fill struct scmp_arg_cmp by position, and
 * clang's -Wmissing-field-initializers (-Wextra) rejects the short form.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "rt_compat.h"
#include "rt_features.h"
#include "rt_launch.h"
#include "rt_privilege.h"
#include "rt_util.h"

static void
ctx_release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/*
 * libseccomp 2.5.4 cannot ask for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
 * so the program it generates is exported and loaded with seccomp(2).
 */
static int
load_killable(scmp_filter_ctx ctx, int *listener)
{
	_cleanup_close_ int mfd = -1;
	_cleanup_free_ struct sock_filter *insns = NULL;
	struct sock_fprog prog;
	off_t len;
	int r;

	mfd = memfd_create("remaptrace-bpf", MFD_CLOEXEC);
	if (mfd < 0)
		return rt_neg_errno();
	r = seccomp_export_bpf(ctx, mfd);
	if (r < 0)
		return r;
	len = lseek(mfd, 0, SEEK_END);
	if (len <= 0 || len % sizeof(struct sock_filter))
		return -EINVAL;
	insns = malloc(len);
	if (!insns)
		return -ENOMEM;
	if (pread(mfd, insns, len, 0) != len)
		return -EIO;
	prog.len = len / sizeof(struct sock_filter);
	prog.filter = insns;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_NEW_LISTENER |
		    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	if (r < 0)
		return rt_neg_errno();
	*listener = r;
	return 0;
}

/*
 * Calls that can give a shared mapping VM flags that PROCMAP_QUERY does
 * not show (VM_LOCKED, madvise hints, sealing, userfaultfd, pkeys, KSM):
 * the supervisor only notes that the process made one, and asks the
 * kernel for what it needs from then on (tracer/vmas.c, emulate.c).
 * munlock is not among them: it only takes away a VM_LOCKED that an
 * mlock the supervisor heard of gave, and a database that locks each
 * page around its remap (stress-ng's remap stressor) would pay a round
 * trip for each.  munlockall is, for the MCL_FUTURE it ends.
 */
static int
add_hidden_flag_rules(scmp_filter_ctx ctx, const struct rt_arch *abi)
{
	static const int calls[] = {
		SCMP_SYS(mlock2), SCMP_SYS(mlockall), SCMP_SYS(munlockall),
		SCMP_SYS(userfaultfd), SCMP_SYS(pkey_mprotect),
	};
	/* Advice that changes vm_flags (mm/madvise.c:madvise_vma_behavior) */
	static const int advice[] = {
		0 /* NORMAL */, 1 /* RANDOM */, 2 /* SEQUENTIAL */,
		10 /* DONTFORK */, 11 /* DOFORK */, 12 /* MERGEABLE */,
		13 /* UNMERGEABLE */, 14 /* HUGEPAGE */, 15 /* NOHUGEPAGE */,
		16 /* DONTDUMP */, 17 /* DODUMP */, 18 /* WIPEONFORK */,
		19 /* KEEPONFORK */, 102 /* GUARD_INSTALL */,
		103 /* GUARD_REMOVE */,
	};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, calls[i], 0);
		if (r < 0 && r != -EDOM)	/* -EDOM: not on this arch */
			return r;
	}
	/* mlock: not ours (emulate.c's lock for a second mapping), marked
	 * in an argument it ignores */
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mlock), 1,
			     SCMP_A2(SCMP_CMP_NE, abi->mremap_mark, 0));
	if (r < 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		/* Not ours (emulate.c), marked in an argument it ignores.
		 * The advice is an int: its register's upper half is not
		 * the kernel's, nor may it hide the call. */
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(madvise), 2,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					     (uint32_t)advice[i]),
				     SCMP_A3(SCMP_CMP_NE, abi->mremap_mark, 0));
		if (r < 0)
			return r;
	}
	/*
	 * mseal (6.10) is newer than libseccomp 2.5.4's tables: the native
	 * number goes in as it is, but libseccomp refuses to place a number
	 * it cannot translate in another ABI's filter (EFAULT), so an i386
	 * program's mseal is not heard of (README, Differences).
	 */
	if (abi->native) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, abi->nr_mseal, 0);
		if (r < 0)
			return r;
	}
	/* prctl(PR_SET_MEMORY_MERGE) sets VM_MERGEABLE on every VMA */
	return seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(prctl), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, 67));
}

/*
 * shmctl(shmid, IPC_RMID, ...): the supervisor notes the shmid (a remap
 * that closes every attach of a removed segment fails, sysvshm.c).  The
 * native ABI only: i386 reaches shmctl through the ipc(2) multiplexer,
 * whose remaps the kernel runs itself (add_compat()).  cmd is an int:
 * the upper half of its register is not compared.
 */
static int
add_shm_rmid_rule(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(shmctl), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					IPC_RMID));
}

/*
 * The other ABIs of the machine (rt_arch_abis: i386 and x32 on x86_64,
 * AArch32 on arm64): a 64-bit x86 program may call through int 0x80 too.
 * Their remap_file_pages is sent to the supervisor, which says so and
 * lets the kernel run it (privilege.c), and so are their calls that
 * change credentials or confinement: an agent must not outlive those
 * whichever way they are made.  A filter of their own, merged in:
 * libseccomp would otherwise translate every native rule (mmap's flags
 * are no argument of i386's old mmap), and resolves SCMP_SYS() to each
 * ABI's own number (i386 257, x32 0x40000000 + 216, arm 253).
 */
/*
 * What an ABI whose calls are emulated (i386's int 0x80) must tell the
 * supervisor besides its remap_file_pages, as the native rules do: the
 * calls that can hide VM flags, and changes to SIGTRAP's disposition
 * (signal, sigaction and rt_sigaction).  Its own marks exempt the calls
 * injected in it (emulate.c).
 */
static int
add_compat_emulated(scmp_filter_ctx ctx, const struct rt_arch *abi)
{
	static const int sigtrap_calls[] = {
		SCMP_SYS(signal), SCMP_SYS(sigaction), SCMP_SYS(rt_sigaction),
	};
	size_t i;
	int r;

	/* Its shared mmaps (mmap2: glibc's mmap()) and duplicating mremaps:
	 * which open file backs which range (follow.c).  The old
	 * mmap(struct *) takes its flags in memory: every one is sent, and
	 * follow.c reads them. */
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mmap2), 1,
			     SCMP_A3(SCMP_CMP_MASKED_EQ,
				     MAP_SHARED | abi->mmap_mark, MAP_SHARED));
	if (r == 0 && abi->nr_old_mmap >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mmap), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mremap), 2,
				     SCMP_A1(SCMP_CMP_EQ, 0, 0),
				     SCMP_A4(SCMP_CMP_NE, abi->mremap_mark, 0));
	if (r == 0)
		r = add_hidden_flag_rules(ctx, abi);
	for (i = 0; r == 0 && i < ARRAY_SIZE(sigtrap_calls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, sigtrap_calls[i], 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, SIGTRAP));
		if (r == -EDOM)		/* not in this ABI */
			r = 0;
	}
	return r;
}

/* One other ABI's filter, merged into @ctx. */
static int
add_one_compat(scmp_filter_ctx ctx, const struct rt_arch *abi, bool privilege)
{
	_cleanup_(ctx_release) scmp_filter_ctx compat = NULL;
	int r;

	compat = seccomp_init(SCMP_ACT_ALLOW);
	if (!compat)
		return -ENOMEM;
	r = seccomp_attr_set(compat, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r == 0)
		r = seccomp_attr_set(compat, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r == 0)
		r = seccomp_arch_add(compat, abi->scmp_arch);
	if (r < 0 && r != -EEXIST)
		return r;
	r = seccomp_arch_remove(compat, SCMP_ARCH_NATIVE);
	if (r == 0)
		r = seccomp_rule_add(compat, SCMP_ACT_NOTIFY,
				     SCMP_SYS(remap_file_pages), 0);
	if (r == 0 && privilege)
		r = rt_privilege_rules(compat);
	if (r == 0 && abi->can_inject && !abi->foreign_nr_bits)
		r = add_compat_emulated(compat, abi);
	if (r == 0)
		r = seccomp_merge(ctx, compat);
	if (r == 0)
		compat = NULL;	/* merged: released with ctx */
	return r;
}

static int
add_compat(scmp_filter_ctx ctx, bool privilege)
{
	const struct rt_arch *const *abi;
	int r;

	for (abi = rt_arch_abis; *abi; abi++) {
		if ((*abi)->native)
			continue;
		r = add_one_compat(ctx, *abi, privilege);
		if (r < 0)
			return r;
	}
	return 0;
}

int
rt_filter_install(int *listener, bool *killable, bool follow_mmap)
{
	_cleanup_(ctx_release) scmp_filter_ctx ctx = NULL;
	int r;

	*listener = -1;
	*killable = false;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return rt_neg_errno();
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/*
	 * Calls of ABIs the filter does not list are allowed (the default
	 * bad-arch action would kill the program); the machine's other ABIs
	 * are listed below (add_compat()).
	 */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r < 0)
		return r;
	/*
	 * Every system call of the program, and of its agents, runs the
	 * filter: a binary tree over the call numbers judges one the filter
	 * does not name in about 10 instructions, where libseccomp's default
	 * list takes 59 (2.5.4, this filter).
	 */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return r;
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
			     SCMP_SYS(remap_file_pages), 0);
	if (r < 0)
		return r;
	/* Shared mappings: flags & MAP_SHARED, which MAP_SHARED_VALIDATE
	 * has too; not our own injected mmaps, which carry mmap_mark. */
	if (follow_mmap) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mmap), 1,
				     SCMP_A3(SCMP_CMP_MASKED_EQ,
					     MAP_SHARED |
					     rt_arch_native.mmap_mark,
					     MAP_SHARED));
		if (r < 0)
			return r;
		r = add_hidden_flag_rules(ctx, &rt_arch_native);
		if (r < 0)
			return r;
		/* A traced process that wants its parent to trace it (gdb,
		 * strace run under remaptrace): see notify.c:release(). */
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ptrace), 1,
				     SCMP_A0(SCMP_CMP_EQ, PTRACE_TRACEME, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
					     SCMP_SYS(ptrace), 1,
					     SCMP_A0(SCMP_CMP_EQ,
						     PTRACE_ATTACH, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
					     SCMP_SYS(ptrace), 1,
					     SCMP_A0(SCMP_CMP_EQ,
						     PTRACE_SEIZE, 0));
		if (r < 0)
			return r;
		/* Whether SIGTRAP is ignored decides how calls are injected
		 * (inject.c): hear of every change to it. */
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
				     SCMP_SYS(rt_sigaction), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, SIGTRAP));
		if (r < 0)
			return r;
		/* mremap(addr, 0, len, ...): a second mapping of the same
		 * open file (rare; moves are inferred, see ident.c). */
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mremap), 2,
				     SCMP_A1(SCMP_CMP_EQ, 0, 0),
				     SCMP_A4(SCMP_CMP_NE,
					     rt_arch_native.mremap_mark, 0));
		if (r < 0)
			return r;
		r = add_shm_rmid_rule(ctx);
		if (r < 0)
			return r;
	}

	if (follow_mmap) {
		r = rt_privilege_rules(ctx);
		if (r < 0)
			return r;
	}
	r = add_compat(ctx, follow_mmap);
	if (r < 0)
		return r;

	/* Not probed (a tool hides seccomp(2)) is tried as missing: the
	 * launch helper, a fresh process, probes again (launch.c). */
	r = rt_features_has(RT_FEAT_WAIT_KILLABLE_RECV) ?
	    load_killable(ctx, listener) : -EINVAL;
	if (r == 0) {
		*killable = true;
		return 0;
	}
	if (r != -EINVAL)
		return r;
	/* Before 5.19: an ordinary listener through libseccomp. */
	r = seccomp_load(ctx);
	if (r < 0)
		return errno ? -errno : r;
	r = seccomp_notify_fd(ctx);
	if (r < 0)
		return r;
	*listener = r;
	return 0;
}
