/* arch.c - the ABI table of this build (arch-<arch>.c fill it): lookups by
 * AUDIT_ARCH, and per-ABI register work dispatched to the ABI's own code.
 */
#include <errno.h>
#include <stddef.h>

#include "rt_arch.h"

const struct rt_arch *
rt_arch_abi(uint32_t audit_arch)
{
	const struct rt_arch *const *a;

	for (a = rt_arch_abis; *a; a++)
		if ((*a)->audit_arch == audit_arch)
			return *a;
	return NULL;
}

/*
 * x32 shares x86_64's AUDIT_ARCH and marks its numbers with
 * __X32_SYSCALL_BIT (the native entry's foreign_nr_bits); the x32 entry
 * carries those bits itself.
 */
const struct rt_arch *
rt_arch_abi_call(uint32_t audit_arch, int nr)
{
	const struct rt_arch *const *a;
	uint32_t unr = (uint32_t)nr;

	for (a = rt_arch_abis; *a; a++) {
		if ((*a)->audit_arch != audit_arch)
			continue;
		if ((*a)->native ? !(unr & (*a)->foreign_nr_bits) :
		    (unr & (*a)->foreign_nr_bits) == (*a)->foreign_nr_bits)
			return *a;
	}
	return NULL;
}

static uint64_t
cut(const struct rt_arch *abi, uint64_t v)
{
	return abi->word_bits < 64 ? v & ((1ULL << abi->word_bits) - 1) : v;
}

void
rt_arch_abi_cut_args(const struct rt_arch *abi, const uint64_t in[6],
		     uint64_t out[6])
{
	int i;

	for (i = 0; i < 6; i++)
		out[i] = cut(abi, in[i]);
}

int
rt_arch_abi_check_insn(const struct rt_arch *abi, pid_t tid,
		       const struct rt_regs *saved)
{
	if (!abi || !abi->ops)
		return -ENOEXEC;
	return abi->ops->check_insn(tid, saved);
}

int
rt_arch_abi_setup_call(const struct rt_arch *abi, struct rt_regs *regs,
		       const struct rt_regs *saved, long nr,
		       const uint64_t args[6])
{
	uint64_t a[6];

	if (!abi || !abi->ops)
		return -ENOEXEC;
	rt_arch_abi_cut_args(abi, args, a);
	abi->ops->setup_call(regs, saved, nr, a);
	return 0;
}

long
rt_arch_abi_retval(const struct rt_arch *abi, const struct rt_regs *regs)
{
	if (!abi || !abi->ops)
		return -ENOEXEC;
	return abi->ops->retval(regs);
}

int
rt_arch_abi_finish(const struct rt_arch *abi, struct rt_regs *regs,
		   const struct rt_regs *saved, long retval)
{
	if (!abi || !abi->ops)
		return -ENOEXEC;
	abi->ops->finish(regs, saved, retval);
	return 0;
}

int
rt_arch_abi_restart(const struct rt_arch *abi, struct rt_regs *regs,
		    const struct rt_regs *saved, long nr)
{
	if (!abi || !abi->ops)
		return -ENOEXEC;
	abi->ops->restart(regs, saved, nr);
	return 0;
}

int
rt_arch_abi_args(const struct rt_arch *abi, const struct rt_regs *regs,
		 uint64_t args[6])
{
	uint64_t raw[6];

	if (!abi || !abi->ops)
		return -ENOEXEC;
	abi->ops->args(regs, raw);
	rt_arch_abi_cut_args(abi, raw, args);
	return 0;
}

/*
 * The native ABI's register work, for callers that know no other ABI
 * (the job engine's, inject.c): one definition for every architecture,
 * through its descriptor's operations.
 */
int
rt_arch_check_syscall_insn(pid_t tid, const struct rt_regs *saved)
{
	return rt_arch_native.ops->check_insn(tid, saved);
}

void
rt_arch_setup_call(struct rt_regs *regs, const struct rt_regs *saved,
		   long nr, const uint64_t args[6])
{
	rt_arch_native.ops->setup_call(regs, saved, nr, args);
}

long
rt_arch_retval(const struct rt_regs *regs)
{
	return rt_arch_native.ops->retval(regs);
}

void
rt_arch_finish(struct rt_regs *regs, const struct rt_regs *saved, long ret)
{
	rt_arch_native.ops->finish(regs, saved, ret);
}

void
rt_arch_restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	rt_arch_native.ops->restart(regs, saved, nr);
}
