/* rt_notify.h - one notification: receive, judge, start its job
 * (tracer/notify.c).
 */
#ifndef RT_NOTIFY_H
#define RT_NOTIFY_H

#include "rt_ctx.h"

/* Receive one notification and answer it.  Returns 0 or -errno (fatal). */
int rt_notify_handle(struct rt_ctx *ctx);

#endif
