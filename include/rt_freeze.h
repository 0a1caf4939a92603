/* rt_freeze.h - a process's other threads held still for one retried call
 * (tracer/freeze.c).
 */
#ifndef RT_FREEZE_H
#define RT_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rt_ctx.h"
#include "rt_procs.h"

/*
 * rt_freeze_others() - stop every traced thread of @tgid but @except
 * (PTRACE_INTERRUPT).  Returns how many stops are awaited: their wait
 * statuses go to rt_freeze_take() until rt_freeze_done().
 */
size_t rt_freeze_others(struct rt_freeze *fz, const struct rt_procs *p,
			pid_t tgid, pid_t except);
/* A wait status of a frozen thread: kept stopped (returns true: nobody
 * else may resume it); false for another thread, or an exit (whose
 * status the loop still handles). */
bool rt_freeze_take(struct rt_freeze *fz, pid_t pid, int status);
/* Has every frozen thread stopped (or gone)? */
bool rt_freeze_done(const struct rt_freeze *fz);
/* Resume the threads rt_freeze_others() stopped. */
void rt_freeze_thaw(struct rt_freeze *fz);

#endif
