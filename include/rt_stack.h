/* rt_stack.h - the caller's stack, as strace -k prints it (tracer/stack.c). */
#ifndef RT_STACK_H
#define RT_STACK_H

#include <stdint.h>
#include <sys/types.h>

#define RT_STACK_MAX 32

struct rt_frame {
	uint64_t pc;
	uint64_t off;		/* pc - start of func, when func is known */
	char func[128];		/* "" when unknown */
	char module[256];	/* mapped file containing pc, "" if none */
	uint64_t rel;		/* pc's offset in module's file (strace -k) */
};

struct rt_stack {
	unsigned int n;
	struct rt_frame f[RT_STACK_MAX];
};

/**
 * rt_stack_capture() - unwind the ptrace-stopped thread @tid remotely
 * (libunwind-ptrace) from its current registers.
 * Returns 0 or -errno.
 */
int rt_stack_capture(pid_t tid, struct rt_stack *st);

/* How far above the stack pointer rt_stack_capture_scan() looks. */
#define RT_STACK_SCAN_BYTES	4096

/**
 * rt_stack_capture_scan() - the call stack of a stopped thread whose ABI
 * libunwind-ptrace does not unwind (i386 under an x86_64 remaptrace;
 * there ebp carries the sixth syscall argument, so no frame pointer chain
 * starts at a syscall): @pc, then each word of @word_bytes in the
 * RT_STACK_SCAN_BYTES above @sp that is a return address (it points into
 * executable file-backed code, just after a call instruction), innermost
 * first.  Names no function (no symbol tables are read).  Return: 0, or
 * -EIO without @pc.
 */
int rt_stack_capture_scan(pid_t tid, uint64_t pc, uint64_t sp,
			  unsigned int word_bytes, struct rt_stack *st);

#endif
