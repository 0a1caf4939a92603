/* rt_inherit.h - a child forked while a descriptor was installed does not
 * keep it (tracer/inherit.c).
 */
#ifndef RT_INHERIT_H
#define RT_INHERIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "rt_ctx.h"

/* A descriptor @tfd was installed in @tgid for an emulation; @keyfd is our
 * copy of its open file.  Returns the record's slot. */
int rt_inherit_installed(struct rt_ctx *ctx, pid_t tgid, int tfd, int keyfd);
/* The descriptor of slot @slot is closed again. */
void rt_inherit_closed(struct rt_ctx *ctx, int slot);
/* At the first stop of a new task: hold it (true: do not resume it) if
 * its parent had a descriptor installed lately. */
bool rt_inherit_hold(struct rt_ctx *ctx, pid_t pid);
/* Outside any injection: fix and resume the held children. */
void rt_inherit_release(struct rt_ctx *ctx);
void rt_inherit_free(struct rt_ctx *ctx);

#endif
