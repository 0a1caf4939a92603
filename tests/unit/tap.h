/* tap.h - a tiny TAP producer for the unit tests: expected-first checks
 * that print file:line, want and got on failure (kernel selftest style).
 *
 * Usage: checks anywhere, then `return tap_done();` from main.  The plan
 * ("1..N") is printed last.  Exit codes: 0 all passed, 1 a check failed,
 * 77 skipped (tap_skip_all), 99 the harness itself broke (tap_bail).
 */
#ifndef RT_TAP_H
#define RT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAP_EXIT_SKIP	77
#define TAP_EXIT_BROKEN	99

struct tap_state {
	int count;
	int failed;
};

static struct tap_state tap_state;

static inline void __attribute__((format(printf, 2, 0)))
tap_vline(bool pass, const char *fmt, va_list ap)
{
	tap_state.count++;
	if (!pass)
		tap_state.failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_state.count);
	vprintf(fmt, ap);
	putchar('\n');
}

static inline bool __attribute__((format(printf, 4, 5)))
tap_check(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   at %s:%d\n", file, line);
	return pass;
}

static inline bool __attribute__((format(printf, 5, 6)))
tap_is_u64(uint64_t want, uint64_t got, const char *file, int line,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(want == got, fmt, ap);
	va_end(ap);
	if (want != got)
		printf("#   at %s:%d\n#   want: %" PRIu64 " (0x%" PRIx64 ")\n"
		       "#   got:  %" PRIu64 " (0x%" PRIx64 ")\n",
		       file, line, want, want, got, got);
	return want == got;
}

static inline bool __attribute__((format(printf, 5, 6)))
tap_is_int(long long want, long long got, const char *file, int line,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(want == got, fmt, ap);
	va_end(ap);
	if (want != got)
		printf("#   at %s:%d\n#   want: %lld\n#   got:  %lld\n",
		       file, line, want, got);
	return want == got;
}

static inline bool __attribute__((format(printf, 5, 6)))
tap_is_str(const char *want, const char *got, const char *file, int line,
	   const char *fmt, ...)
{
	bool pass;
	va_list ap;

	if (!want || !got)
		pass = want == got;
	else
		pass = strcmp(want, got) == 0;
	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   at %s:%d\n#   want: %s%s%s\n#   got:  %s%s%s\n",
		       file, line, want ? "\"" : "", want ? want : "NULL",
		       want ? "\"" : "", got ? "\"" : "", got ? got : "NULL",
		       got ? "\"" : "");
	return pass;
}

/* Each returns whether the check passed. */
#define ok(cond, ...) \
	tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_u64(want, got, ...) \
	tap_is_u64((uint64_t)(want), (uint64_t)(got), __FILE__, __LINE__, \
		   __VA_ARGS__)
#define is_int(want, got, ...) \
	tap_is_int((long long)(want), (long long)(got), __FILE__, __LINE__, \
		   __VA_ARGS__)
#define is_str(want, got, ...) \
	tap_is_str((want), (got), __FILE__, __LINE__, __VA_ARGS__)

/* A note in the TAP stream (ignored by the runner). */
static inline void __attribute__((format(printf, 1, 2)))
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print the plan; the exit status for main. */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_state.count);
	fflush(stdout);
	return tap_state.failed ? 1 : 0;
}

/* Skip the whole file: say which kernel feature or version is missing. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	fputs("1..0 # SKIP ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(TAP_EXIT_SKIP);
}

/* The test itself cannot go on (not a failure of the code under test). */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
tap_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(TAP_EXIT_BROKEN);
}

#endif
