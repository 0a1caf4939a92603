/* rt_loop.h - the event loop, the only place that waits (tracer/loop.c). */
#ifndef RT_LOOP_H
#define RT_LOOP_H

#include "rt_ctx.h"

/* Serve notifications and ptrace events until no tracee is left. */
int rt_loop_run(struct rt_ctx *ctx);

#endif
