/* summary.c - -c/--summary: at exit, a table of the calls by outcome and
 * reason with their latency, as strace -c tables calls by syscall.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_json.h"
#include "rt_names.h"
#include "rt_call.h"
#include "rt_summary.h"
#include "rt_util.h"

/* One line of the table: the calls that ended the same way. */
struct row {
	enum rt_outcome outcome;
	int err;		/* positive errno the caller got, or 0 */
	enum rt_rule rule;	/* RT_OUT_REJECTED, else RT_RULE_OK */
	const char *why;	/* FAILED, RESTARTED: a static string, or NULL */
	unsigned long calls;
	uint64_t ns;
};

struct rt_summary {
	struct row *rows;
	size_t n, cap;
};

static bool
same_row(const struct row *r, const struct rt_call *c, int err)
{
	if (r->outcome != c->outcome || r->err != err)
		return false;
	if (c->outcome == RT_OUT_REJECTED)
		return r->rule == c->v.rule;
	if (c->outcome == RT_OUT_FAILED || c->outcome == RT_OUT_RESTARTED)
		return r->why == c->why ||
		       (r->why && c->why && !strcmp(r->why, c->why));
	return true;
}

static struct row *
find_row(struct rt_summary *s, const struct rt_call *c)
{
	int err = c->result < 0 && c->outcome != RT_OUT_PASSED ?
		  (int)-c->result : 0;
	struct row *r;

	for (size_t i = 0; i < s->n; i++)
		if (same_row(&s->rows[i], c, err))
			return &s->rows[i];
	r = rt_grow(s->rows, s->n, &s->cap, sizeof(*r), 16);
	if (!r)
		return NULL;
	s->rows = r;
	r = &s->rows[s->n++];
	*r = (struct row){
		.outcome = c->outcome, .err = err,
		.rule = c->outcome == RT_OUT_REJECTED ? c->v.rule : RT_RULE_OK,
		.why = c->outcome == RT_OUT_FAILED ||
		       c->outcome == RT_OUT_RESTARTED ? c->why : NULL,
	};
	return r;
}

/**
 * rt_summary_add() - account one reported call for -c: its row (outcome,
 * errno, rule) and its latency (c->ns, the supervisor's time from
 * receiving the notification to the report).  Does nothing without -c;
 * when memory runs out the call is left out of the table.
 */
void
rt_summary_add(struct rt_ctx *ctx, const struct rt_call *c)
{
	uint64_t *lat;
	struct row *r;

	if (!ctx->opt.summary)
		return;
	if (!ctx->out.summary && !(ctx->out.summary = calloc(1, sizeof(*ctx->out.summary))))
		return;
	lat = rt_grow(ctx->stats.lat, ctx->stats.nlat, &ctx->stats.cap_lat, sizeof(*lat), 256);
	if (!lat)
		return;
	ctx->stats.lat = lat;
	r = find_row(ctx->out.summary, c);
	if (!r)
		return;
	ctx->stats.lat[ctx->stats.nlat++] = c->ns;
	r->calls++;
	r->ns += c->ns;
}

static const char *
outcome_text(const struct row *r)
{
	switch (r->outcome) {
	case RT_OUT_EMULATED: return "emulated";
	case RT_OUT_REJECTED: return rt_rule_text(r->rule);
	case RT_OUT_PASSED: return "valid, passed to the kernel";
	case RT_OUT_DENIED: return "denied by --mode=deny";
	case RT_OUT_FAILED: return r->why ? r->why : "emulation failed";
	case RT_OUT_GONE: return "the caller vanished";
	case RT_OUT_FAULT: return "failed on purpose by --inject";
	case RT_OUT_RESTARTED: return r->why ? r->why : "restarted";
	}
	return "?";
}

static const char *
outcome_id(const struct row *r)
{
	static const char *const ids[] = {
		[RT_OUT_EMULATED] = "emulated", [RT_OUT_REJECTED] = "rejected",
		[RT_OUT_PASSED] = "passed", [RT_OUT_DENIED] = "denied",
		[RT_OUT_FAILED] = "failed", [RT_OUT_GONE] = "gone",
		[RT_OUT_FAULT] = "injected",
		[RT_OUT_RESTARTED] = "restarted",
	};

	return ids[r->outcome];
}

/* The first column: "0", the errno, or "?" when the caller's result is
 * not known to us (passed to the kernel, or the caller vanished). */
static const char *
result_text(const struct row *r)
{
	const char *n;

	if (r->outcome == RT_OUT_PASSED || r->outcome == RT_OUT_GONE)
		return "?";
	if (!r->err)
		return "0";
	n = rt_names_errno(r->err);
	return n ? n : "E?";
}

/* Most calls first; ties in the order of enum rt_outcome, then rule. */
static int
by_calls(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	if (x->outcome != y->outcome)
		return (int)x->outcome - (int)y->outcome;
	return (int)x->rule - (int)y->rule;
}

static int
by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct totals {
	unsigned long calls;
	double total_us, avg_us, p99_us;
};

/* Sums, and the 99th percentile by the nearest-rank method: the smallest
 * latency that at least 99% of the calls do not exceed. */
static void
totals(struct rt_ctx *ctx, struct totals *t)
{
	uint64_t sum = 0;
	size_t rank;

	memset(t, 0, sizeof(*t));
	t->calls = ctx->stats.nlat;
	if (!ctx->stats.nlat)
		return;
	for (size_t i = 0; i < ctx->stats.nlat; i++)
		sum += ctx->stats.lat[i];
	qsort(ctx->stats.lat, ctx->stats.nlat, sizeof(*ctx->stats.lat), by_value);
	rank = (ctx->stats.nlat * 99 + 99) / 100;
	t->total_us = sum / 1000.0;
	t->avg_us = t->total_us / ctx->stats.nlat;
	t->p99_us = ctx->stats.lat[rank - 1] / 1000.0;
}

static void
print_text(FILE *f, const struct rt_summary *s, const struct totals *t)
{
	static const char rule[] =
		"------- ----------- --------- --------- ------------------\n";

	fprintf(f, "%7s %11s %9s %-9s %s\n%s", "calls", "total us",
		"avg us", "result", "outcome", rule);
	for (size_t i = 0; i < s->n; i++) {
		const struct row *r = &s->rows[i];

		fprintf(f, "%7lu %11.1f %9.1f %-9s ", r->calls,
			r->ns / 1000.0, r->ns / 1000.0 / r->calls,
			result_text(r));
		if (r->outcome == RT_OUT_REJECTED)
			fprintf(f, "%s: ", rt_rule_id(r->rule));
		fprintf(f, "%s\n", outcome_text(r));
	}
	fprintf(f, "%s%7lu %11.1f %9.1f %-9s total (p99 %.1f us)\n", rule,
		t->calls, t->total_us, t->avg_us, "", t->p99_us);
}

static void
print_json(FILE *f, const struct rt_summary *s, const struct totals *t)
{
	fprintf(f, "{\"type\":\"summary\",\"calls\":%lu,\"rows\":[",
		t->calls);
	for (size_t i = 0; i < s->n; i++) {
		const struct row *r = &s->rows[i];
		const char *e = r->err ? rt_names_errno(r->err) : NULL;

		fprintf(f, "%s{\"outcome\":\"%s\",\"errno\":", i ? "," : "",
			outcome_id(r));
		if (e)
			rt_json_str(f, e);
		else
			fputs("null", f);
		fputs(",\"reason\":", f);
		if (r->outcome == RT_OUT_REJECTED)
			rt_json_str(f, rt_rule_id(r->rule));
		else
			fputs("null", f);
		fputs(",\"text\":", f);
		rt_json_str(f, outcome_text(r));
		fprintf(f, ",\"calls\":%lu,\"total_us\":%.1f,\"avg_us\":%.1f}",
			r->calls, r->ns / 1000.0, r->ns / 1000.0 / r->calls);
	}
	fprintf(f, "],\"latency_us\":{\"total\":%.1f,\"avg\":%.1f,"
		"\"p99\":%.1f}}\n", t->total_us, t->avg_us, t->p99_us);
}

/**
 * rt_summary_print() - the -c table, to the log, once every tracee is
 * gone: a row per outcome (per errno and rule for refused calls) with
 * its calls, total and average latency in microseconds, then the totals
 * and the 99th percentile.  With --json, one "summary" object instead.
 */
void
rt_summary_print(struct rt_ctx *ctx)
{
	struct rt_summary empty = { 0 };
	struct rt_summary *s = ctx->out.summary ? ctx->out.summary : &empty;
	struct totals t;

	if (!ctx->out.log)
		return;
	if (s->n)
		qsort(s->rows, s->n, sizeof(*s->rows), by_calls);
	totals(ctx, &t);
	if (ctx->opt.json)
		print_json(ctx->out.log, s, &t);
	else
		print_text(ctx->out.log, s, &t);
}

void
rt_summary_free(struct rt_ctx *ctx)
{
	if (ctx->out.summary)
		free(ctx->out.summary->rows);
	free(ctx->out.summary);
	ctx->out.summary = NULL;
	free(ctx->stats.lat);
	ctx->stats.lat = NULL;
	ctx->stats.nlat = ctx->stats.cap_lat = 0;
}
