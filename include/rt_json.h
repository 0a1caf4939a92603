/* rt_json.h - the log as JSON Lines (--json, tracer/json.c): one object
 * per call, per program end, and for the -c summary.  The schema is in
 * doc/remaptrace.1 (JSON OUTPUT).
 */
#ifndef RT_JSON_H
#define RT_JSON_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "rt_call.h"
#include "rt_stack.h"

/**
 * rt_json_str() - @s as a JSON string, quotes included.  Control
 * characters, quote and backslash are escaped; valid UTF-8 passes through;
 * every byte that is not part of valid UTF-8 becomes \u00XX (the byte's
 * value), so the output is always valid UTF-8 JSON whatever a path holds.
 */
void rt_json_str(FILE *f, const char *s);

/* `"0x7f0000001000"`: addresses and offsets, exact in any parser. */
void rt_json_hex(FILE *f, uint64_t v);

/* `"time":"2025-01-31T12:00:00.123456Z"` (UTC) */
void rt_json_time(FILE *f, const struct timespec *when);

/* One "call" object and its newline. */
void rt_json_call(FILE *f, const struct rt_ctx *ctx, const struct rt_call *c,
		  const char *past_eof);

/* One "signal" object and its newline: @si delivered to @pid at @when,
 * with the stack @st (-k) or NULL. */
void rt_json_signal(FILE *f, pid_t pid, const siginfo_t *si,
		    const struct timespec *when, const struct rt_stack *st);

/* One "exit" object and its newline: @pid ended with wait @status. */
void rt_json_exit(FILE *f, pid_t pid, int status);

#endif
