/* rt_vmfile.h - the open file behind each mapping of a process, read by a
 * BPF iterator (tracer/vmfile.c), for `remaptrace explain`.
 */
#ifndef RT_VMFILE_H
#define RT_VMFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One VMA: its range and a number for its open file (its struct file),
 * from 1; 0: no file.  Equal numbers within one read are one open file;
 * the number means nothing else (it is not the kernel's address). */
struct rt_vmfile {
	uint64_t start;
	uint64_t end;
	uint64_t file;
};

/**
 * rt_vmfile_read() - every VMA of process @pid with its open file.
 * @out: out: a malloc'd array (the caller frees it); @n: out: its length.
 * The VMAs come in address order.  Returns 0, or -errno: -EPERM without
 * CAP_BPF and CAP_PERFMON, -EOPNOTSUPP (or what the kernel said) on a
 * kernel without BTF or the task_vma iterator (Linux 6.1 for one
 * task's), -ESRCH when the process is gone, -E2BIG for a million VMAs
 * or more, -EPROTO when the iterator's output does not make sense.
 */
int rt_vmfile_read(pid_t pid, struct rt_vmfile **out, size_t *n);

#endif
