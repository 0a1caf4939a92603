/* describe.c - a call and its verdict in words: the arguments, the VMA at
 * start, the planned mmap, and the values that broke a rule.  Only
 * formatting; shared by report.c (text), json.c and explain.c.  Every
 * name from the program's world (paths, "[anon]" aside) goes through
 * rt_describe_str(), so no file name can forge or break a log line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_describe.h"
#include "rt_escape.h"
#include "rt_maps.h"
#include "rt_names.h"

void
rt_describe_str(FILE *f, const char *s)
{
	char small[RT_ESCAPE_SIZE(RT_VMA_NAME_MAX)], *buf = small;
	size_t need = rt_escape_str(s, NULL, 0) + 1;

	if (need > sizeof(small) && !(buf = malloc(need))) {
		fputs("?", f);	/* nothing of the name rather than raw */
		return;
	}
	rt_escape_str(s, buf, need);
	fputs(buf, f);
	if (buf != small)
		free(buf);
}

const char *
rt_describe_sharing(const struct rt_vma *v)
{
	if (v->flags & RT_VM_SHARED)
		return "shared";
	if (v->flags & RT_VM_MAYSHARE)
		return "shared without VM_SHARED";
	return "private";
}

const char *
rt_describe_name(const struct rt_vma *v)
{
	return v->name[0] ? v->name : "[anon]";
}

void
rt_describe_perms(const struct rt_vma *v, char perms[5])
{
	perms[0] = v->flags & RT_VM_READ ? 'r' : '-';
	perms[1] = v->flags & RT_VM_WRITE ? 'w' : '-';
	perms[2] = v->flags & RT_VM_EXEC ? 'x' : '-';
	perms[3] = v->flags & RT_VM_MAYSHARE ? 's' : 'p';
	perms[4] = '\0';
}

void
rt_describe_vma(FILE *f, const struct rt_vma *v)
{
	char perms[5];

	rt_describe_perms(v, perms);
	fprintf(f, "%#" PRIx64 "-%#" PRIx64 " %s %s \"", v->start, v->end,
		perms, rt_describe_sharing(v));
	rt_describe_str(f, rt_describe_name(v));
	fprintf(f, "\" offset %#" PRIx64, v->offset);
}

/* prot as the log shows it; a value beyond int is only shown in hex. */
static void
put_prot(FILE *f, uint64_t prot)
{
	char buf[128];

	if (prot == 0 || prot > 0x7fffffff) {
		fprintf(f, prot ? "%#" PRIx64 : "0", prot);
		return;
	}
	rt_names_prot((int)prot, buf, sizeof(buf));
	fputs(buf, f);
}

void
rt_describe_call(FILE *f, const struct rt_remap_args *a)
{
	char flags[256];

	rt_names_mapflags(a->flags, flags, sizeof(flags));
	fprintf(f, "remap_file_pages(%#" PRIx64 ", %" PRIu64 ", ", a->start,
		a->size);
	put_prot(f, a->prot);
	fprintf(f, ", %" PRIu64 ", %s)", a->pgoff, flags);
}

void
rt_describe_mmap(FILE *f, const struct rt_verdict *v)
{
	const struct rt_plan *p = &v->plan;
	char prot[128], flags[256];

	rt_names_prot(p->prot, prot, sizeof(prot));
	rt_names_mapflags((unsigned int)p->flags, flags, sizeof(flags));
	fprintf(f, "mmap(%#" PRIx64 ", %" PRIu64 ", %s, %s, \"", p->addr,
		p->len, prot, flags);
	rt_describe_str(f, rt_describe_name(&v->first));
	fprintf(f, "\", %#" PRIx64 ")", p->offset);
}

void
rt_describe_pgoff(FILE *f, uint64_t pgoff, uint64_t page_size)
{
	if (page_size && pgoff > UINT64_MAX / page_size)
		fprintf(f, "pgoff %" PRIu64 " = more than 2^64 bytes", pgoff);
	else
		fprintf(f, "pgoff %" PRIu64 " = %#" PRIx64 " bytes", pgoff,
			pgoff * page_size);
}

/* Where start lies, for a mapping that is not VM_SHARED. */
static void
why_not_shared(FILE *f, const struct rt_verdict *v)
{
	const struct rt_vma *m = &v->first;

	fprintf(f, "start %#" PRIx64 " lies in ", v->bad);
	if (m->flags & RT_VM_MAYSHARE) {
		fputs("a MAP_SHARED mapping of ", f);
		rt_describe_str(f, m->name);
		fputs(" whose file is open read-only (VM_MAYSHARE without "
		      "VM_SHARED)", f);
	} else if (m->ino) {
		fputs("a MAP_PRIVATE mapping of ", f);
		rt_describe_str(f, m->name);
	} else if (m->name[0]) {
		rt_describe_str(f, m->name);
		fputs(", which is private", f);
	} else {
		fputs("private anonymous memory", f);
	}
}

/* A span's culprit differs in VmFlags from the VMA at start. */
static void
why_flags(FILE *f, const struct rt_verdict *v)
{
	char p1[5], p2[5], lacks[256], has[256];
	/* Only what both views show (validate.c compares the same). */
	uint64_t known = v->first.flags_exact && v->vma.flags_exact ?
			 ~0ULL : RT_VM_INEXACT_MASK;

	rt_describe_perms(&v->first, p1);
	rt_describe_perms(&v->vma, p2);
	rt_maps_format_vmflags(v->first.flags & ~v->vma.flags & known, lacks,
			       sizeof(lacks));
	rt_maps_format_vmflags(v->vma.flags & ~v->first.flags & known, has,
			       sizeof(has));
	fprintf(f, "the mapping at %#" PRIx64 " (%s) differs from the one at "
		"start (%s) in VmFlags:", v->vma.start, p2, p1);
	if (lacks[0])
		fprintf(f, " lacks %s", lacks);
	if (lacks[0] && has[0])
		fputc(',', f);
	if (has[0])
		fprintf(f, " has %s", has);
}

/* RT_RULE_RANGE: a size under one page, or an end past 2^64. */
static void
why_range(FILE *f, const struct rt_remap_args *a, uint64_t page_size)
{
	uint64_t start = a->start & ~(page_size - 1);

	if (a->size == 0)
		fputs("size is 0", f);
	else if (a->size < page_size)
		fprintf(f, "size %" PRIu64 " is less than one page (%" PRIu64
			" bytes)", a->size, page_size);
	else
		fprintf(f, "start %#" PRIx64 " + size %#" PRIx64 " passes the "
			"top of the address space", start,
			a->size & ~(page_size - 1));
}

/* The end of the range the call names, start and size rounded down. */
static uint64_t
range_end(const struct rt_remap_args *a, uint64_t page_size)
{
	return (a->start & ~(page_size - 1)) + (a->size & ~(page_size - 1));
}

static void
why_span(FILE *f, const struct rt_remap_args *a, const struct rt_verdict *v,
	 uint64_t page_size)
{
	uint64_t end = range_end(a, page_size);

	switch (v->rule) {
	case RT_RULE_SPAN_HOLE:
		fprintf(f, "the mappings stop at %#" PRIx64 " and the next "
			"begins at %#" PRIx64 ", short of start + size = %#"
			PRIx64, v->bad, v->vma.start, end);
		break;
	case RT_RULE_SPAN_FILE:
		if (v->vma.ino == v->first.ino &&
		    v->vma.dev_major == v->first.dev_major &&
		    v->vma.dev_minor == v->first.dev_minor) {
			fprintf(f, "the mapping at %#" PRIx64 " maps ",
				v->vma.start);
			rt_describe_str(f, rt_describe_name(&v->vma));
			fputs(" through another open file (opened again)", f);
		} else {
			fprintf(f, "the mapping at %#" PRIx64 " maps ",
				v->vma.start);
			rt_describe_str(f, rt_describe_name(&v->vma));
			fputs(", not ", f);
			rt_describe_str(f, rt_describe_name(&v->first));
		}
		break;
	case RT_RULE_SPAN_FLAGS:
		why_flags(f, v);
		break;
	default:	/* RT_RULE_SPAN_END */
		fprintf(f, "the mappings from start end at %#" PRIx64 ", "
			"short of start + size = %#" PRIx64, v->bad, end);
		break;
	}
}

/* The rules do_mmap() applies: hugetlb alignment, the file size limit. */
static void
why_mmap(FILE *f, const struct rt_verdict *v, uint64_t page_size)
{
	uint64_t huge = v->first.page_size;

	switch (v->rule) {
	case RT_RULE_HUGE_ALIGN:
		fprintf(f, "%s %#" PRIx64 " is not a multiple of the huge page "
			"size %" PRIu64 " KiB",
			v->plan.len % (huge ? huge : 1) ? "size" : "start",
			v->bad, huge / 1024);
		break;
	case RT_RULE_HUGE_PGOFF:
		fprintf(f, "pgoff %" PRIu64 " is not a multiple of %" PRIu64
			" pages (the huge page size, %" PRIu64 " KiB)", v->bad,
			huge / page_size, huge / 1024);
		break;
	default:	/* RT_RULE_OFFSET */
		fprintf(f, "pgoff %#" PRIx64 " with %" PRIu64 " bytes passes "
			"the largest file offset %#" PRIx64, v->bad,
			v->plan.len, (uint64_t)INT64_MAX);
		break;
	}
}

/**
 * rt_describe_why() - the values that broke @v->rule, in words.
 * @f: where to write; nothing is written for a valid verdict.
 * @a: the raw arguments.
 * @v: the verdict (v->bad, v->first and v->vma as emu/validate.c sets
 *	them for each rule).
 * @page_size: the base page size.
 */
void
rt_describe_why(FILE *f, const struct rt_remap_args *a,
		const struct rt_verdict *v, uint64_t page_size)
{
	switch (v->rule) {
	case RT_RULE_OK:
		break;
	case RT_RULE_PROT:
		fprintf(f, "prot is ");
		put_prot(f, v->bad);
		fputs(", not 0", f);
		break;
	case RT_RULE_RANGE:
		why_range(f, a, page_size);
		break;
	case RT_RULE_PGOFF_WRAP:
		fprintf(f, "pgoff %#" PRIx64 " + %" PRIu64 " pages passes 2^64",
			v->bad, (a->size & ~(page_size - 1)) / page_size);
		break;
	case RT_RULE_NO_VMA:
		fprintf(f, "start %#" PRIx64 " is not mapped", v->bad);
		break;
	case RT_RULE_NOT_SHARED:
		why_not_shared(f, v);
		break;
	case RT_RULE_SPAN_HOLE:
	case RT_RULE_SPAN_FILE:
	case RT_RULE_SPAN_FLAGS:
	case RT_RULE_SPAN_END:
		why_span(f, a, v, page_size);
		break;
	case RT_RULE_HUGE_ALIGN:
	case RT_RULE_HUGE_PGOFF:
	case RT_RULE_OFFSET:
		why_mmap(f, v, page_size);
		break;
	case RT_RULE_SHM_GONE:
		fprintf(f, "SysV shmid %" PRIu64 " was removed (IPC_RMID) and "
			"%#" PRIx64 "-%#" PRIx64 " covers every mapping still "
			"attached to it: the mmap's unmap destroys it first",
			v->bad, v->plan.addr, v->plan.addr + v->plan.len);
		break;
	case RT_RULE__COUNT:
		break;
	}
}
