/* rt_vmfile.h - the open file behind each mapping of a process, read by a
 * BPF iterator (tracer/vmfile.c), for `remaptrace explain`.
 */
#ifndef RT_VMFILE_H
#define RT_VMFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One VMA: its range and its struct file's address (0: no file), which
 * tells open files apart within one read and means nothing else. */
struct rt_vmfile {
	uint64_t start;
	uint64_t end;
	uint64_t file;
};

/**
 * rt_vmfile_read() - every VMA of process @pid with its open file.
 * @out: out: a malloc'd array (the caller frees it); @n: out: its length.
 * Returns 0, or -errno: -EPERM without CAP_BPF and CAP_PERFMON, -ENOENT
 * or -EOPNOTSUPP on a kernel without BTF or the task_vma iterator (Linux
 * 6.1 for one process's), -ESRCH when the process is gone.
 */
int rt_vmfile_read(pid_t pid, struct rt_vmfile **out, size_t *n);

#endif
