/* rt_layout.h - --layout's picture of the mapping (tracer/layout.c). */
#ifndef RT_LAYOUT_H
#define RT_LAYOUT_H

#include <sys/types.h>

#include "rt_remap.h"

/**
 * rt_layout_describe() - after an emulated call, while the thread is still
 * stopped: a compact picture of which file page backs each page of the
 * affected range (e.g. "[3 1 2 3]"), read from /proc/TID/maps.
 * Returns a malloc'd string (the caller frees it) or NULL.
 */
char *rt_layout_describe(pid_t tid, const struct rt_verdict *v,
			 unsigned long page_size);

#endif
