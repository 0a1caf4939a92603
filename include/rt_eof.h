/* rt_eof.h - pages past the end of the file (tracer/eof.c), for the log
 * and `remaptrace explain`.
 */
#ifndef RT_EOF_H
#define RT_EOF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "rt_remap.h"
#include "rt_vma.h"

/**
 * rt_eof_size() - the size of the regular file that @vma of process @pid
 * maps, found without opening anything: fstat(@fd) when the tracer holds
 * that open file (@fd >= 0), else stat of /proc/PID/map_files/START-END,
 * else stat of the VMA's path under /proc/PID/root; each result counts
 * only if its device and inode are the VMA's.
 * Returns 0 with *@size, -ENODATA when the VMA maps no regular file (or
 * none whose size is known), another -errno when nothing could be asked.
 */
int rt_eof_size(pid_t pid, const struct rt_vma *vma, int fd, uint64_t *size);

/**
 * rt_eof_describe() - when some page of the call lies at or past the end
 * of a file of @size bytes, write why accesses will SIGBUS: `pgoff 12288
 * is past the end of the file (4 pages): accesses will SIGBUS`.
 * Returns whether it wrote anything.
 */
bool rt_eof_describe(FILE *f, const struct rt_remap_args *a, uint64_t size,
		     uint64_t page_size);

#endif
