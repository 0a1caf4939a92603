/* test_arch.c - the ABI table of this build (include/rt_arch.h): lookups by
 * AUDIT_ARCH, syscall numbers against libseccomp's own tables, and the
 * register work of each ABI through the API alone (no register names, so
 * the same test runs on x86_64 and, under qemu-user, on arm64).
 */
#include <errno.h>
#include <string.h>
#include <linux/audit.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "tap.h"

static void
test_lookup(void)
{
	const struct rt_arch *const *a;
	int natives = 0;

	is_str(rt_arch_native.name, rt_arch_abis[0]->name, "native first");
	for (a = rt_arch_abis; *a; a++) {
		natives += (*a)->native;
		ok(rt_arch_abi_call((*a)->audit_arch,
				    (int)(*a)->nr_remap_file_pages) == *a,
		   "%s: its remap_file_pages notification finds it",
		   (*a)->name);
		ok(rt_arch_abi((*a)->audit_arch) != NULL,
		   "%s: found by AUDIT_ARCH %#x", (*a)->name,
		   (*a)->audit_arch);
		ok(!(*a)->can_inject == !(*a)->ops, "%s: ops iff can_inject",
		   (*a)->name);
		ok(!(*a)->has_agent || (*a)->native,
		   "%s: only the native ABI may have an agent", (*a)->name);
		ok((*a)->word_bits == 32 || (*a)->word_bits == 64,
		   "%s: word_bits %u", (*a)->name, (*a)->word_bits);
		ok((*a)->syscall_len == 2 || (*a)->syscall_len == 4,
		   "%s: syscall_len %u", (*a)->name, (*a)->syscall_len);
	}
	is_int(1, natives, "one native ABI");
	ok(rt_arch_abi(0) == NULL, "AUDIT_ARCH 0: none");
	ok(rt_arch_abi_call(0xdeadbeef, 1) == NULL, "an unknown arch: none");
	ok(rt_arch_abi(rt_arch_native.audit_arch) == &rt_arch_native,
	   "the native AUDIT_ARCH gives the native ABI");
	is_int(-ENOEXEC, rt_arch_abi_check_insn(NULL, 1, NULL),
	       "no ABI: -ENOEXEC");
}

/* x32 shares x86_64's AUDIT_ARCH: the number's bit tells them apart. */
static void
test_x32(void)
{
	const struct rt_arch *x32 =
		rt_arch_abi_call(AUDIT_ARCH_X86_64, 0x40000000 | 216);

	if (rt_arch_native.audit_arch != AUDIT_ARCH_X86_64) {
		ok(rt_arch_abi_call(AUDIT_ARCH_X86_64, 216) == NULL,
		   "%s build: no x86_64 entry", rt_arch_native.name);
		return;
	}
	ok(x32 && !strcmp(x32->name, "x32"), "x32: told by its bit");
	ok(x32 && !x32->can_inject, "x32: refused, never decoded");
	ok(rt_arch_abi_call(AUDIT_ARCH_X86_64, 216) == &rt_arch_native,
	   "x86_64: without the bit");
}

/* One number of an ABI against libseccomp's table; -1 means absent. */
static void
check_nr(const struct rt_arch *a, const char *name, long want)
{
	int got = seccomp_syscall_resolve_name_arch(a->scmp_arch, name);

	if (want < 0)
		ok(got < 0, "%s: no %s (libseccomp: %d)", a->name, name, got);
	else
		is_int((int)want, got, "%s: %s", a->name, name);
}

static void
test_numbers(void)
{
	const struct rt_arch *const *a;

	for (a = rt_arch_abis; *a; a++) {
		/* x32's other numbers are not described (can_inject) */
		check_nr(*a, "remap_file_pages", (*a)->nr_remap_file_pages);
		if (!(*a)->can_inject && (*a)->nr_mmap < 0)
			continue;
		check_nr(*a, (*a)->mmap_offset_shift ? "mmap2" : "mmap",
			 (*a)->nr_mmap);
		if ((*a)->mmap_offset_shift)
			check_nr(*a, "mmap", (*a)->nr_old_mmap);
		check_nr(*a, "munmap", (*a)->nr_munmap);
		check_nr(*a, "mremap", (*a)->nr_mremap);
		check_nr(*a, "rt_sigaction", (*a)->nr_rt_sigaction);
		check_nr(*a, "ptrace", (*a)->nr_ptrace);
		check_nr(*a, "close", (*a)->nr_close);
		check_nr(*a, "openat", (*a)->nr_openat);
		check_nr(*a, "getpid", (*a)->nr_getpid);
		check_nr(*a, "mprotect", (*a)->nr_mprotect);
		check_nr(*a, "madvise", (*a)->nr_madvise);
		check_nr(*a, "mlockall", (*a)->nr_mlockall);
		check_nr(*a, "clone", (*a)->nr_clone);
		check_nr(*a, "process_vm_readv", (*a)->nr_process_vm_readv);
		/* 6.10 unified mseal's number; libseccomp 2.5 predates it */
		is_int(462, (int)(*a)->nr_mseal, "%s: mseal", (*a)->name);
	}
}

/* Every ABI that can inject: a call set up from a stop, read back. */
static void
test_ops(void)
{
	const uint64_t hi = 0xabcd000000000000ULL;
	const uint64_t args[6] = { hi | 0x1000, hi | 0x2000, hi | 3,
				   hi | 0x11, hi | 7, hi | 0x5000 };
	const struct rt_arch *const *a;

	for (a = rt_arch_abis; *a; a++) {
		const struct rt_arch *abi = *a;
		uint64_t got[6], mask;
		struct rt_regs saved, regs;
		int i;

		if (!abi->can_inject)
			continue;
		mask = abi->word_bits < 64 ? 0xffffffffULL : ~0ULL;
		memset(&saved, 0, sizeof(saved));
		rt_arch_set_pc(&saved, 0x10000);
		is_int(0, rt_arch_abi_setup_call(abi, &regs, &saved,
						 abi->nr_mmap, args),
		       "%s: setup_call", abi->name);
		is_u64(0x10000 - abi->syscall_len, rt_arch_pc(&regs),
		       "%s: pc on the syscall instruction", abi->name);
		is_int(0, rt_arch_abi_args(abi, &regs, got), "%s: args",
		       abi->name);
		for (i = 0; i < 6; i++)
			is_u64(args[i] & mask, got[i],
			       "%s: argument %d, cut to %u bits", abi->name,
			       i + 1, abi->word_bits);
		is_int(0, rt_arch_abi_finish(abi, &regs, &saved, -12),
		       "%s: finish", abi->name);
		is_int(-12, (int)rt_arch_abi_retval(abi, &regs),
		       "%s: finish returns -ENOMEM", abi->name);
		is_u64(0x10000, rt_arch_pc(&regs),
		       "%s: finish leaves the pc after the call", abi->name);
		rt_arch_abi_finish(abi, &regs, &saved, 0xf7ff0000L);
		is_u64(0xf7ff0000ULL, (uint64_t)rt_arch_abi_retval(abi, &regs),
		       "%s: a high address is no errno", abi->name);
		is_int(0, rt_arch_abi_restart(abi, &regs, &saved, 5),
		       "%s: restart", abi->name);
		is_u64(0x10000 - abi->syscall_len, rt_arch_pc(&regs),
		       "%s: restart rewinds to the instruction", abi->name);
		if (abi->word_bits == 32) {
			/* eax as the kernel left it: 32 bits, no sign */
			rt_arch_set_retreg(&regs, 0xfffffff4L);
			is_int(-12, (int)rt_arch_abi_retval(abi, &regs),
			       "%s: 32-bit -ENOMEM", abi->name);
		}
	}
}

static void
test_cut(void)
{
	const uint64_t in[6] = { ~0ULL, 1ULL << 32, 5, 0, 0, 0 };
	uint64_t out[6];
	const struct rt_arch *const *a;

	for (a = rt_arch_abis; *a; a++) {
		rt_arch_abi_cut_args(*a, in, out);
		is_u64((*a)->word_bits < 64 ? 0xffffffffULL : ~0ULL, out[0],
		       "%s: cut all ones", (*a)->name);
		is_u64((*a)->word_bits < 64 ? 0 : 1ULL << 32, out[1],
		       "%s: cut 2^32", (*a)->name);
	}
}

int
main(void)
{
	test_lookup();
	test_x32();
	test_numbers();
	test_ops();
	test_cut();
	return tap_done();
}
