/* fault.c - --inject=ERRNO@N[+]: fail chosen calls on purpose, as
 * strace -e inject does.
 */
#include "rt_tracer.h"

bool
rt_fault_match(const struct rt_ctx *ctx, unsigned long nth, int *err)
{
	const struct rt_opts *o = &ctx->opt;

	if (!o->fault_errno)
		return false;
	if (nth == o->fault_nth || (o->fault_onwards && nth > o->fault_nth)) {
		*err = o->fault_errno;
		return true;
	}
	return false;
}
