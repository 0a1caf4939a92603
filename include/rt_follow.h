/* rt_follow.h - the calls the filter sends besides remap_file_pages
 * (tracer/follow.c).
 */
#ifndef RT_FOLLOW_H
#define RT_FOLLOW_H

#include <stdbool.h>
#include <sys/types.h>

#include "rt_arch.h"

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

/*
 * rt_follow_gone() - remaptrace no longer sees process @tgid (it ended,
 * or its last traced thread was let go): its records and the copies of
 * its open files, its agent and its entry go.
 */
void rt_follow_gone(struct rt_ctx *ctx, pid_t tgid);

/*
 * rt_follow_notified() - may the filter send call @nr of ABI @abi to the
 * supervisor?  (Its name is among those the rules name: some of them only
 * with certain arguments.)  None of them returns -ERESTARTSYS natively
 * but a few device drivers' mmap (which then restart rather than fail
 * with EINTR), so that result from one is seccomp's aborted wait
 * (loop.c).
 */
bool rt_follow_notified(const struct rt_arch *abi, long nr);

#endif
