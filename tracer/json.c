/* json.c - the log as JSON Lines (--json): one object per line, written
 * with a small escaper of our own so that any byte a path holds still
 * gives valid JSON.  The schema is documented in doc/remaptrace.1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "rt_describe.h"
#include "rt_json.h"
#include "rt_maps.h"
#include "rt_names.h"
#include "rt_report.h"

/*
 * Length of the valid UTF-8 sequence at @p (1 to 4), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629, table 3-7 of
 * the Unicode standard).
 */
static int
utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void
rt_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', f);
	while (*p) {
		switch (*p) {
		case '"': fputs("\\\"", f); p++; continue;
		case '\\': fputs("\\\\", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		case '\t': fputs("\\t", f); p++; continue;
		case '\r': fputs("\\r", f); p++; continue;
		}
		n = utf8_len(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void
rt_json_hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%" PRIx64 "\"", v);
}

void
rt_json_time(FILE *f, const struct timespec *when)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&when->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"time\":\"%s.%06ldZ\"", buf, when->tv_nsec / 1000);
}

/* "key": a JSON string of text that a describe.c function writes. */
static void
str_of(FILE *f, void (*fn)(FILE *, const void *), const void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (m) {
		fn(m, arg);
		fclose(m);
	}
	rt_json_str(f, text ? text : "");
	free(text);
}

static void
put_vma(FILE *f, const struct rt_vma *v)
{
	char perms[5], vmflags[256];

	rt_describe_perms(v, perms);
	fputs("{\"start\":", f);
	rt_json_hex(f, v->start);
	fputs(",\"end\":", f);
	rt_json_hex(f, v->end);
	fprintf(f, ",\"perms\":\"%s\",\"sharing\":", perms);
	rt_json_str(f, rt_describe_sharing(v));
	fprintf(f, ",\"vm_shared\":%s,\"offset\":",
		v->flags & RT_VM_SHARED ? "true" : "false");
	rt_json_hex(f, v->offset);
	fprintf(f, ",\"dev\":\"%02x:%02x\",\"inode\":%" PRIu64 ",\"name\":",
		v->dev_major, v->dev_minor, v->ino);
	rt_json_str(f, rt_describe_name(v));
	if (v->flags_exact) {
		rt_maps_format_vmflags(v->flags, vmflags, sizeof(vmflags));
		fputs(",\"vmflags\":", f);
		rt_json_str(f, vmflags);
	}
	fputc('}', f);
}

static void
put_args(FILE *f, const struct rt_call *c, uint64_t page_size)
{
	const struct rt_remap_args *a = &c->args;
	char prot[128], flags[256];

	if (a->prot && a->prot <= 0x7fffffff)
		rt_names_prot((int)a->prot, prot, sizeof(prot));
	else
		snprintf(prot, sizeof(prot), a->prot ? "%#" PRIx64 : "0",
			 a->prot);
	rt_names_mapflags(a->flags, flags, sizeof(flags));
	fputs("\"args\":{\"start\":", f);
	rt_json_hex(f, a->start);
	fprintf(f, ",\"size\":%" PRIu64 ",\"prot\":%" PRIu64 ",\"pgoff\":%"
		PRIu64 ",\"flags\":%" PRIu64 ",\"prot_text\":", a->size,
		a->prot, a->pgoff, a->flags);
	rt_json_str(f, prot);
	fputs(",\"flags_text\":", f);
	rt_json_str(f, flags);
	fputs(",\"offset\":", f);
	if (a->pgoff <= UINT64_MAX / page_size)
		rt_json_hex(f, a->pgoff * page_size);
	else
		fputs("null", f);
	fputc('}', f);
}

static const char *const outcome_names[] = {
	[RT_OUT_EMULATED] = "emulated",
	[RT_OUT_REJECTED] = "rejected",
	[RT_OUT_PASSED] = "passed",
	[RT_OUT_DENIED] = "denied",
	[RT_OUT_FAILED] = "failed",
	[RT_OUT_GONE] = "gone",
	[RT_OUT_FAULT] = "injected",
	[RT_OUT_RESTARTED] = "restarted",
};

/* Whether the caller's result is known (a passed call's only once the
 * thread was caught on its way out, which -k does). */
static bool
result_known(const struct rt_call *c)
{
	return c->outcome != RT_OUT_GONE &&
	       (c->outcome != RT_OUT_PASSED || c->stack);
}

static void
put_result(FILE *f, const struct rt_call *c)
{
	const char *name = rt_names_errno((int)-c->result);

	if (!result_known(c)) {
		fputs(",\"result\":null,\"errno\":null,\"errno_num\":null", f);
		return;
	}
	fprintf(f, ",\"result\":%d", c->result < 0 ? -1 : (int)c->result);
	if (c->result >= 0) {
		fputs(",\"errno\":null,\"errno_num\":null", f);
		return;
	}
	fputs(",\"errno\":", f);
	if (name)
		rt_json_str(f, name);
	else
		fputs("null", f);
	fprintf(f, ",\"errno_num\":%ld", -c->result);
}

struct why_arg {
	const struct rt_call *c;
	uint64_t page_size;
};

static void
write_why(FILE *f, const void *arg)
{
	const struct why_arg *w = arg;

	rt_describe_why(f, &w->c->args, &w->c->v, w->page_size);
}

static void
put_reason(FILE *f, const struct rt_call *c, uint64_t page_size)
{
	struct why_arg w = { c, page_size };
	const char *code, *text;

	switch (c->outcome) {
	case RT_OUT_EMULATED:
	case RT_OUT_REJECTED:
	case RT_OUT_PASSED:
		code = rt_rule_id(c->v.rule);
		text = rt_rule_text(c->v.rule);
		break;
	case RT_OUT_FAILED:
		code = c->v.action == RT_ACT_MMAP && c->why &&
		       !strcmp(c->why, "mmap failed") ? "mmap" : "supervisor";
		text = c->why ? c->why : "emulation failed";
		break;
	case RT_OUT_DENIED:
		code = "denied";
		text = "denied by --mode=deny";
		break;
	case RT_OUT_FAULT:
		code = "injected";
		text = "failed on purpose by --inject";
		break;
	default:
		fputs(",\"reason\":null", f);
		return;
	}
	fputs(",\"reason\":{\"code\":", f);
	rt_json_str(f, code);
	fputs(",\"text\":", f);
	rt_json_str(f, text);
	if (c->outcome == RT_OUT_REJECTED) {
		fputs(",\"detail\":", f);
		str_of(f, write_why, &w);
	}
	fputc('}', f);
}

static void
write_mmap(FILE *f, const void *arg)
{
	rt_describe_mmap(f, arg);
}

/* The mmap made (emulated) or tried (failed), and how the file was got. */
static void
put_emulation(FILE *f, const struct rt_call *c)
{
	const struct rt_plan *p = &c->v.plan;
	char prot[128], flags[256];

	if ((c->outcome != RT_OUT_EMULATED && c->outcome != RT_OUT_FAILED) ||
	    c->v.action != RT_ACT_MMAP) {
		fputs(",\"emulation\":null", f);
		return;
	}
	rt_names_prot(p->prot, prot, sizeof(prot));
	rt_names_mapflags((unsigned int)p->flags, flags, sizeof(flags));
	fputs(",\"emulation\":{\"call\":", f);
	str_of(f, write_mmap, &c->v);
	fputs(",\"addr\":", f);
	rt_json_hex(f, p->addr);
	fprintf(f, ",\"length\":%" PRIu64 ",\"prot\":", p->len);
	rt_json_str(f, prot);
	fputs(",\"flags\":", f);
	rt_json_str(f, flags);
	fputs(",\"file\":", f);
	rt_json_str(f, rt_describe_name(&c->v.first));
	fputs(",\"offset\":", f);
	rt_json_hex(f, p->offset);
	fprintf(f, ",\"vmas\":%u,\"file_via\":", p->nvmas);
	rt_json_str(f, rt_fileobj_how_name(c->how));
	fprintf(f, ",\"by\":\"%s\",\"ptrace_stops\":%u",
		c->by_agent ? "agent" : "ptrace", c->stops);
	/* null when the injected calls were not timed on their own */
	if (c->mmap_ns)
		fprintf(f, ",\"mmap_us\":%.1f}", c->mmap_ns / 1000.0);
	else
		fputs(",\"mmap_us\":null}", f);
}

static void
put_stack(FILE *f, const struct rt_stack *st)
{
	fputs(",\"stack\":[", f);
	for (unsigned int i = 0; st && i < st->n; i++) {
		const struct rt_frame *fr = &st->f[i];

		fputs(i ? ",{\"pc\":" : "{\"pc\":", f);
		rt_json_hex(f, fr->pc);
		fputs(",\"function\":", f);
		if (fr->func[0]) {
			rt_json_str(f, fr->func);
			fprintf(f, ",\"function_offset\":%" PRIu64, fr->off);
		} else {
			fputs("null,\"function_offset\":null", f);
		}
		fputs(",\"module\":", f);
		if (fr->module[0]) {
			rt_json_str(f, fr->module);
			fputs(",\"module_offset\":", f);
			rt_json_hex(f, fr->rel);
		} else {
			fputs("null,\"module_offset\":null", f);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

/**
 * rt_json_call() - one call as a JSON object on one line.
 * @f: where to write (report.c's buffer for the record).
 * @ctx: options (-k adds "stack", --layout "layout") and the page size.
 * @c: the call.
 * @past_eof: words on pages past the end of the file, or NULL.
 */
void
rt_json_call(FILE *f, const struct rt_ctx *ctx, const struct rt_call *c,
	     const char *past_eof)
{
	fputs("{\"type\":\"call\",", f);
	rt_json_time(f, &c->when);
	fprintf(f, ",\"pid\":%d,\"tid\":%d,\"seq\":%lu,", c->tgid ? c->tgid :
		c->tid, c->tid, c->nth);
	put_args(f, c, ctx->page_size);
	fputs(",\"vma\":", f);
	if (c->v.first.end)
		put_vma(f, &c->v.first);
	else
		fputs("null", f);
	fprintf(f, ",\"outcome\":\"%s\"", outcome_names[c->outcome]);
	put_result(f, c);
	put_reason(f, c, ctx->page_size);
	fputs(",\"culprit\":", f);
	if (c->outcome == RT_OUT_REJECTED && c->v.rule >= RT_RULE_SPAN_HOLE &&
	    c->v.rule <= RT_RULE_SPAN_END && c->v.have_vma)
		put_vma(f, &c->v.vma);
	else
		fputs("null", f);
	put_emulation(f, c);
	fprintf(f, ",\"latency_us\":%.1f", c->ns / 1000.0);
	fputs(",\"past_eof\":", f);
	if (past_eof)
		rt_json_str(f, past_eof);
	else
		fputs("null", f);
	if (ctx->opt.stack_trace)
		put_stack(f, c->stack);
	if (ctx->opt.layout && c->outcome == RT_OUT_EMULATED) {
		fputs(",\"layout\":", f);
		if (c->layout)
			rt_json_str(f, c->layout);
		else
			fputs("null", f);
	}
	fputs("}\n", f);
}

/**
 * rt_json_exit() - the end of a traced process as a JSON object.
 * @pid: the process; @status: its wait status.
 */
void
rt_json_exit(FILE *f, pid_t pid, int status)
{
	struct timespec now;
	const char *sig;

	clock_gettime(CLOCK_REALTIME, &now);
	fputs("{\"type\":\"exit\",", f);
	rt_json_time(f, &now);
	fprintf(f, ",\"pid\":%d,", pid);
	if (WIFSIGNALED(status)) {
		sig = rt_names_signal(WTERMSIG(status));
		fputs("\"exit_code\":null,\"signal\":", f);
		if (sig)
			rt_json_str(f, sig);
		else
			fprintf(f, "\"signal %d\"", WTERMSIG(status));
		fprintf(f, ",\"core_dumped\":%s}\n",
			WCOREDUMP(status) ? "true" : "false");
	} else {
		fprintf(f, "\"exit_code\":%d,\"signal\":null,"
			"\"core_dumped\":false}\n", WEXITSTATUS(status));
	}
}

static void
write_siginfo(FILE *f, const void *arg)
{
	rt_siginfo_text(f, arg);
}

/**
 * rt_json_signal() - a signal delivered to @pid as a JSON object:
 * "signal", "code" (null when it has no name), "addr" for the fault
 * signals, "siginfo" (strace's text) and, when @st is given (-k),
 * "stack".
 */
void
rt_json_signal(FILE *f, pid_t pid, const siginfo_t *si,
	       const struct timespec *when, const struct rt_stack *st)
{
	const char *sig = rt_names_signal(si->si_signo);
	const char *code = rt_siginfo_code(si);

	fputs("{\"type\":\"signal\",", f);
	rt_json_time(f, when);
	fprintf(f, ",\"pid\":%d,\"signal\":", pid);
	if (sig)
		rt_json_str(f, sig);
	else
		fprintf(f, "\"signal %d\"", si->si_signo);
	fputs(",\"code\":", f);
	if (code)
		rt_json_str(f, code);
	else
		fputs("null", f);
	if (rt_siginfo_is_fault(si->si_signo) && si->si_code > 0) {
		fputs(",\"addr\":", f);
		rt_json_hex(f, (uintptr_t)si->si_addr);
	}
	fputs(",\"siginfo\":", f);
	str_of(f, write_siginfo, si);
	if (st)
		put_stack(f, st);
	fputs("}\n", f);
}
