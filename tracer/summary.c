/* summary.c - -c/--summary: calls by outcome and reason, and latency. */
#include <stdlib.h>

#include "rt_tracer.h"

void
rt_summary_add(struct rt_ctx *ctx, const struct rt_call *c)
{
	(void)ctx;
	(void)c;
}

void
rt_summary_print(struct rt_ctx *ctx)
{
	(void)ctx;
}

void
rt_summary_free(struct rt_ctx *ctx)
{
	free(ctx->lat);
	ctx->lat = NULL;
}
