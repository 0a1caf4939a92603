/* rt_summary.h - the -c table (tracer/summary.c). */
#ifndef RT_SUMMARY_H
#define RT_SUMMARY_H

#include "rt_ctx.h"

struct rt_call;
/* Account one reported call (-c/--summary). */
void rt_summary_add(struct rt_ctx *ctx, const struct rt_call *c);
/* Print the table at exit, when -c was given. */
void rt_summary_print(struct rt_ctx *ctx);
void rt_summary_free(struct rt_ctx *ctx);

#endif
