/* rt_vmfile.h - the open file behind each mapping of a process, read by a
 * BPF iterator (tracer/vmfile.c), for `remaptrace explain` and for the
 * supervisor's identity of the mappings it did not see land (ident.c).
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

/* A VMA mapping an open file that one of the supervisor's own
 * descriptors holds (rt_vmfile_ours()). */
struct rt_vmfile_ours {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;		/* vm_pgoff: the file offset, in pages */
	int fd;			/* ours, sharing the VMA's open file */
};

/**
 * rt_vmfile_ready() - load, once, the iterators rt_vmfile_ours() runs
 * (task_vma and task_file).  Returns 0, or the -errno of the first try
 * as rt_vmfile_read() says them.  The programs stay loaded (close on
 * exec) until the supervisor exits.
 */
int rt_vmfile_ready(void);

/**
 * rt_vmfile_ours() - the VMAs of process @pid whose vm_file is the open
 * file of one of our descriptors @fds (@nfds of them, ascending), with
 * that descriptor, in address order: which open file each maps, read
 * from the kernel itself, without stopping the process.  Where several
 * of @fds share one open file, the VMA names any of them: with @twin,
 * twin[i] is the index in @fds of the first descriptor sharing fds[i]'s
 * open file (i itself where none before it does; i also where fds[i]
 * was not found).  @out: malloc'd (the caller frees it); *@nread: how
 * many VMAs of @pid and descriptors of ours (all of them, not only
 * @fds) were read: what it cost.  Returns 0 or -errno.
 */
int rt_vmfile_ours(pid_t pid, const int *fds, size_t nfds, size_t *twin,
		   struct rt_vmfile_ours **out, size_t *n, size_t *nread);

#endif
