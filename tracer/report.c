/* report.c - one strace-like line per call, and the program's end.
 *
 * stdout belongs to the tracee: everything goes to ctx->log (stderr or
 * -o FILE).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_names.h"
#include "rt_tracer.h"

static const char *
errname(long err)
{
	const char *n = rt_names_errno((int)err);

	return n ? n : "E?";
}

static void
print_vma(FILE *f, const struct rt_vma *v)
{
	fprintf(f, " [%#" PRIx64 "-%#" PRIx64 " %c%c%c%c %#" PRIx64 " %s]",
		v->start, v->end,
		v->flags & RT_VM_READ ? 'r' : '-',
		v->flags & RT_VM_WRITE ? 'w' : '-',
		v->flags & RT_VM_EXEC ? 'x' : '-',
		v->flags & RT_VM_MAYSHARE ? 's' : 'p',
		v->offset, v->name[0] ? v->name : "[anon]");
}

static void
print_mmap(FILE *f, const struct rt_call *c)
{
	const struct rt_plan *p = &c->v.plan;
	char prot[128], flags[256];

	rt_names_prot(p->prot, prot, sizeof(prot));
	rt_names_mapflags((unsigned int)p->flags, flags, sizeof(flags));
	fprintf(f, "mmap(%#" PRIx64 ", %" PRIu64 ", %s, %s, \"%s\", %#"
		PRIx64 ")", p->addr, p->len, prot, flags,
		c->v.first.name[0] ? c->v.first.name : "[anon]", p->offset);
}

/*
 * Each line leaves in one write(2), so that lines from remaptrace and
 * output of the program sharing a terminal or file never interleave
 * within a line.
 */
static void
emit(struct rt_ctx *ctx, const char *buf, size_t len)
{
	fflush(ctx->log);
	while (len) {
		ssize_t n = write(fileno(ctx->log), buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

void
rt_report_call(struct rt_ctx *ctx, const struct rt_call *c)
{
	char prot[128], flags[256], line[4096];
	FILE *f;

	switch (c->outcome) {
	case RT_OUT_EMULATED: ctx->stats.emulated++; break;
	case RT_OUT_REJECTED:
		ctx->stats.rejected++;
		ctx->stats.by_rule[c->v.rule]++;
		break;
	case RT_OUT_PASSED: ctx->stats.passed++; break;
	case RT_OUT_DENIED: ctx->stats.denied++; break;
	case RT_OUT_FAILED: ctx->stats.failed++; break;
	case RT_OUT_GONE: ctx->stats.gone++; break;
	case RT_OUT_INJECTED: ctx->stats.injected++; break;
	}
	rt_summary_add(ctx, c);
	if (ctx->opt.quiet)
		return;
	f = fmemopen(line, sizeof(line), "w");
	if (!f)
		return;

	if (c->args.prot)
		rt_names_prot((int)c->args.prot, prot, sizeof(prot));
	else
		strcpy(prot, "0");
	if (c->args.flags)
		rt_names_mapflags(c->args.flags, flags, sizeof(flags));
	else
		strcpy(flags, "0");
	fprintf(f, "[pid %d] remap_file_pages(%#" PRIx64 ", %" PRIu64
		", %s, %" PRIu64 ", %s)", c->tid, c->args.start, c->args.size,
		prot, c->args.pgoff, flags);

	switch (c->outcome) {
	case RT_OUT_EMULATED:
		fputs(" = 0 <emulated ", f);
		print_mmap(f, c);
		fputc('>', f);
		break;
	case RT_OUT_REJECTED:
		fprintf(f, " = -1 %s (%s)", errname(-c->result),
			rt_rule_text(c->v.rule));
		if (c->v.have_vma)
			print_vma(f, &c->v.vma);
		break;
	case RT_OUT_PASSED:
		fputs(" = ? <valid, passed to the kernel>", f);
		break;
	case RT_OUT_DENIED:
		fprintf(f, " = -1 %s (denied by --mode=deny)",
			errname(-c->result));
		break;
	case RT_OUT_FAILED:
		fprintf(f, " = -1 %s (%s: %s", errname(-c->result),
			c->why ? c->why : "emulation failed",
			strerror((int)-c->result));
		if (c->v.action == RT_ACT_MMAP) {
			fputs(") <", f);
			print_mmap(f, c);
			fputc('>', f);
		} else {
			fputc(')', f);
		}
		break;
	case RT_OUT_GONE:
		fputs(" = ? <the caller vanished>", f);
		break;
	case RT_OUT_INJECTED:
		fprintf(f, " = -1 %s (INJECTED)", errname(-c->result));
		break;
	}
	if (ctx->opt.verbose && c->outcome == RT_OUT_EMULATED)
		fprintf(f, " (%s, %.1f us)", rt_fileobj_how_name(c->how),
			c->ns / 1000.0);
	fputc('\n', f);
	fflush(f);
	emit(ctx, line, strnlen(line, sizeof(line)));
	fclose(f);
}

void
rt_report_exit(struct rt_ctx *ctx, pid_t pid, int status)
{
	char line[256];
	const char *name;
	FILE *f = fmemopen(line, sizeof(line), "w");

	if (!f)
		return;

	if (WIFSIGNALED(status)) {
		name = rt_names_signal(WTERMSIG(status));
		if (name)
			fprintf(f, "[pid %d] +++ killed by %s%s +++\n", pid,
				name, WCOREDUMP(status) ? " (core dumped)" : "");
		else
			fprintf(f, "[pid %d] +++ killed by signal %d%s +++\n",
				pid, WTERMSIG(status),
				WCOREDUMP(status) ? " (core dumped)" : "");
	} else if (ctx->opt.verbose && WIFEXITED(status)) {
		fprintf(f, "[pid %d] +++ exited with %d +++\n", pid,
			WEXITSTATUS(status));
	}
	fflush(f);
	emit(ctx, line, strnlen(line, sizeof(line)));
	fclose(f);
}
