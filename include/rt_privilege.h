/* rt_privilege.h - calls that change credentials or confinement, and other
 * ABIs' calls (tracer/privilege.c).
 */
#ifndef RT_PRIVILEGE_H
#define RT_PRIVILEGE_H

#include <stdbool.h>

#include "rt_ctx.h"

/* Add the rules for calls that change credentials or confinement to the
 * libseccomp filter @filter (a scmp_filter_ctx), in each of its ABIs. */
int rt_privilege_rules(void *filter);
/* Does a rule of rt_privilege_rules() name call @name? */
bool rt_privilege_notifies(const char *name);
/*
 * rt_privilege_handle() - if the pending notification is such a call, drop
 * the process's agent and kept open files, then let the kernel run it
 * (true); else false.
 */
bool rt_privilege_handle(struct rt_ctx *ctx);
/*
 * rt_privilege_foreign() - the pending notification is a call of an ABI
 * other than the native one (i386 or x32 on x86_64): act on it (true).
 */
bool rt_privilege_foreign(struct rt_ctx *ctx);

#endif
