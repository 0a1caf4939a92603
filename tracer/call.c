/* call.c - the record of one remap_file_pages call being served: its
 * decided answer and the time its phases take (REMAPTRACE_BREAKDOWN).
 */
#include <errno.h>
#include <stdlib.h>

#include "rt_call.h"
#include "rt_inject.h"
#include "rt_stack.h"
#include "rt_util.h"

/* Close phase @p of @c's breakdown at now; the next phase begins. */
void
rt_call_phase(struct rt_call *c, enum rt_phase p)
{
	uint64_t t;

	if (!c->timed)
		return;
	t = rt_now_ns();
	c->ph[p] += t - c->ph_t;
	c->ph_t = t;
}

void
rt_call_decide(struct rt_pending *pd, int error, bool cont)
{
	pd->what = RT_PEND_RESPOND;
	pd->error = error;
	pd->cont = cont;
}

int
rt_call_stack(const struct rt_call *c, const struct rt_inject *in,
	      struct rt_stack **stp)
{
	struct rt_stack *st = *stp ? *stp : malloc(sizeof(*st));

	if (!st)
		return -ENOMEM;
	*stp = st;
	/* libunwind-ptrace unwinds the native ABI only: another ABI's
	 * thread (i386) by the return addresses on its stack. */
	if (c->abi->native)
		return rt_stack_capture(c->tid, st);
	return rt_stack_capture_scan(c->tid, rt_arch_pc(&in->saved),
				     rt_arch_sp(&in->saved),
				     c->abi->word_bits / 8, st);
}
