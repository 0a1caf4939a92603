/* t-inject-i386.c - the i386 entry of the arch layer against the kernel:
 * trace a 32-bit program (child32), stop it after a getpid made through
 * the vDSO, and with the arch API alone inject mmap2 of page 2 of its
 * file (rt_remap_mmap_args(): the offset in 4096-byte units, the i386
 * mark in the flags), then finish the getpid with 4242.  Prints what it
 * saw; the test compares it with what the kernel must give.
 *
 * Usage: t-inject-i386 CHILD32
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>

#include "rt_arch.h"
#include "rt_remap.h"

static int
syscall_stop(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80) ? 0 : -1;
}

/* Run to the exit of the child's getpid; its registers in @saved. */
static const struct rt_arch *
to_getpid_exit(pid_t pid, struct rt_regs *saved)
{
	const struct rt_arch *abi;

	for (;;) {
		if (syscall_stop(pid) < 0 || rt_arch_getregs(pid, saved) < 0)
			return NULL;
		abi = rt_arch_abi_regs(saved);
		if (abi && rt_arch_syscall_nr(saved) == abi->nr_getpid &&
		    rt_arch_retreg(saved) != -ENOSYS)
			return abi;
	}
}

static int
inject(pid_t pid, const struct rt_arch *abi, const struct rt_regs *saved,
       long nr, const uint64_t args[6], long *ret)
{
	struct rt_regs regs;

	if (rt_arch_abi_setup_call(abi, &regs, saved, nr, args) < 0 ||
	    rt_arch_setregs(pid, &regs) < 0 || syscall_stop(pid) < 0 ||
	    syscall_stop(pid) < 0 || rt_arch_getregs(pid, &regs) < 0)
		return -1;
	*ret = rt_arch_abi_retval(abi, &regs);
	return 0;
}

static int
trace(pid_t pid)
{
	const struct rt_plan plan = { .len = 4096, .prot = PROT_READ,
				      .flags = MAP_SHARED, .offset = 2 * 4096 };
	const struct rt_arch *abi;
	struct rt_regs saved, regs;
	uint64_t args[6];
	char path[64], got[4] = "";
	long addr;
	int mem;

	abi = to_getpid_exit(pid, &saved);
	if (!abi)
		return 1;
	printf("abi %s (AUDIT_ARCH_I386 gives %s)\n", abi->name,
	       rt_arch_abi(AUDIT_ARCH_I386)->name);
	printf("int 0x80 before the pc: %s\n",
	       rt_arch_abi_check_insn(abi, pid, &saved) ? "no" : "yes");
	printf("taken for a native stop: %s\n",
	       rt_arch_is_native(&saved) ||
	       rt_arch_check_syscall_insn(pid, &saved) != -ENOEXEC ?
	       "yes" : "no");
	if (rt_remap_mmap_args(&plan, 10, abi->mmap_mark,
			       abi->mmap_offset_shift, abi->word_bits,
			       args) < 0 ||
	    inject(pid, abi, &saved, abi->nr_mmap, args, &addr) < 0)
		return 1;
	printf("mmap2 offset argument %llu: %s\n", (unsigned long long)args[5],
	       addr < 0 ? strerror((int)-addr) : "mapped");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (addr > 0 && mem >= 0 && pread(mem, got, 3, addr) == 3)
		printf("the page holds \"%s\"\n", got);
	if (mem >= 0)
		close(mem);
	if (rt_arch_abi_finish(abi, &regs, &saved, 4242) < 0 ||
	    rt_arch_setregs(pid, &regs) < 0)
		return 1;
	return ptrace(PTRACE_DETACH, pid, 0, 0) < 0;
}

int
main(int argc, char **argv)
{
	int st, r;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: t-inject-i386 CHILD32\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* all said before the detach */
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execl(argv[1], argv[1], (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		return 1;
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	/* to its own SIGSTOP, then on without delivering it */
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0 || waitpid(pid, &st, 0) < 0 ||
	    !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		return 1;
	r = trace(pid);
	fflush(stdout);
	if (r)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return r ? r : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
