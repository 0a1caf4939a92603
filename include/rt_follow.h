/* rt_follow.h - the calls the filter sends besides remap_file_pages
 * (tracer/follow.c).
 */
#ifndef RT_FOLLOW_H
#define RT_FOLLOW_H

#include <sys/types.h>

#include "rt_ctx.h"

/*
 * rt_follow_call() - a call the filter sends besides remap_file_pages, in
 * ctx->req: mmap(MAP_SHARED) (which open file backs the new range),
 * mremap(old, 0, len, ...) (the duplicate maps the same open file),
 * ptrace(PTRACE_TRACEME, ATTACH or SEIZE) (let go of the thread to be
 * traced, so that the call can succeed), a credential or confinement
 * change (privilege.c), or a call that can hide VM flags or change
 * SIGTRAP's disposition.
 */
void rt_follow_call(struct rt_ctx *ctx, pid_t tid);

#endif
