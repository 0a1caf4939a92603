/* rt_describe.h - a verdict in words (tracer/describe.c), shared by the
 * text log, the JSON log and `remaptrace explain`.
 */
#ifndef RT_DESCRIBE_H
#define RT_DESCRIBE_H

#include <stdint.h>
#include <stdio.h>

#include "rt_remap.h"

/**
 * rt_describe_str() - @s, a name from the program's world (a path, a
 * symbol), escaped as strace quotes strings (rt_escape_str()): the only
 * way such bytes reach the text log or explain's output.
 */
void rt_describe_str(FILE *f, const char *s);

/* "shared", "private", or "shared without VM_SHARED" (VM_MAYSHARE alone:
 * MAP_SHARED of a file opened read-only). */
const char *rt_describe_sharing(const struct rt_vma *v);

/* The name the log shows: the path, "[heap]", or "[anon]". */
const char *rt_describe_name(const struct rt_vma *v);

/* "rw-s" as /proc/PID/maps shows it (the s is VM_MAYSHARE). */
void rt_describe_perms(const struct rt_vma *v, char perms[5]);

/* `0x7f..000-0x7f..000 rw-s shared "/tmp/db" offset 0x0` */
void rt_describe_vma(FILE *f, const struct rt_vma *v);

/* `remap_file_pages(0x7f..000, 4096, 0, 5, 0)` */
void rt_describe_call(FILE *f, const struct rt_remap_args *a);

/* `mmap(0x7f..000, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|..., "/tmp/db",
 * 0x5000)`: the call the emulation makes for a valid verdict. */
void rt_describe_mmap(FILE *f, const struct rt_verdict *v);

/* `pgoff 5 = 0x5000 bytes` */
void rt_describe_pgoff(FILE *f, uint64_t pgoff, uint64_t page_size);

/**
 * rt_describe_why() - the values that broke @v->rule, in words: `start
 * 0x7f..1000 lies in a MAP_PRIVATE mapping of /tmp/db`.  Writes nothing
 * for a valid call.
 * @a: the raw arguments; @page_size: the base page size.
 */
void rt_describe_why(FILE *f, const struct rt_remap_args *a,
		     const struct rt_verdict *v, uint64_t page_size);

#endif
