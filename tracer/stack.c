/* stack.c - unwind a stopped tracee thread (libunwind-ptrace), for -k. */
#include <errno.h>

#include "rt_tracer.h"

int
rt_stack_capture(pid_t tid, struct rt_stack *st)
{
	(void)tid;
	st->n = 0;
	return -ENOSYS;	/* TODO: libunwind-ptrace */
}
