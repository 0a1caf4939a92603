/* rt_fileobj.h - the open file behind a VMA, reached safely
 * (tracer/fileobj.c).
 */
#ifndef RT_FILEOBJ_H
#define RT_FILEOBJ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt_arch.h"
#include "rt_inject.h"
#include "rt_vma.h"

enum rt_fileobj_how {
	RT_FILE_NONE = 0,
	RT_FILE_TRACEE_FD,	/* pidfd_getfd of the tracee's own descriptor */
	RT_FILE_MAP_FILES,	/* the program opened /proc/self/map_files/START-END */
	RT_FILE_FOLLOWED,	/* the open file its mmap was seen with */
	RT_FILE_TRACEE_OPEN,	/* openat injected into the tracee */
	RT_FILE_INFERRED,	/* the process's only open file of the inode */
	RT_FILE_DUP,		/* mremap(old, 0, ...) of the first VMA itself */
};

/**
 * rt_fileobj_get() - a descriptor in the supervisor for the file behind
 * @vma, verified by device and inode.
 * @pidfd: the tracee's pidfd.
 * @want: -1, or a descriptor of ours for the open file @vma maps: of the
 *	tracee's descriptors of that inode, one of that very open file is
 *	taken first (kcmp), so that the new piece merges as the kernel's.
 * @fd: out: the descriptor (the caller closes it).
 * @how: out: how it was obtained.
 * @tfd: out: the tracee's descriptor number when @how is RT_FILE_TRACEE_FD.
 * Returns 0; 1 when, with @want, only another open file of the inode was
 * found (*fd is one); -EPERM when no permitted way reaches it, -ESTALE
 * when what a path names is no longer that file, or -errno.
 */
int rt_fileobj_get(pid_t tid, int pidfd, const struct rt_vma *vma, int want,
		   int *fd, enum rt_fileobj_how *how, int *tfd);
const char *rt_fileobj_how_name(enum rt_fileobj_how how);
/* Has @tid a descriptor of @vma's inode open for reading and writing,
 * the only kind rt_fileobj_get() takes?  (true when it cannot tell) */
bool rt_fileobj_candidate(pid_t tid, const struct rt_vma *vma);



/* An open in the tracee (rt_fileobj_open_step()), step by step. */
struct rt_open_seq {
	int step;
	pid_t tid;
	const struct rt_arch *abi;	/* the call's: numbers to inject */
	uint64_t sp;		/* the stopped thread's stack pointer */
	unsigned int red_zone;	/* below it, left to the thread's code */
	struct rt_vma vma;
	int base_filters;
	long pfd;		/* the tracee's O_PATH descriptor */
	int r;
	char path[4096];
	/* the result, when done */
	int tfd;		/* the tracee's new descriptor, or -1 */
	int fd;			/* our copy of it (pidfd_getfd), or -1 */
	enum rt_fileobj_how how;
};

/**
 * rt_fileobj_open_step() - the last resort: the stopped thread opens the
 * VMA's file itself (injected openat calls, with its own credentials):
 * /proc/self/map_files/START-END if it may (CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), else the VMA's path; the result is accepted only
 * if it is that VMA's inode, opened for reading and writing.  Set up with
 * rt_fileobj_open_begin(), then asked for each next call with the last
 * one's result (@ret, ignored the first time).  Returns RT_SYS_CALL (*next:
 * the call to inject) or RT_SYS_DONE, when s->r is 0 (s->tfd, s->fd and
 * s->how are set: the caller maps and closes s->tfd), -ESTALE when the path
 * names another file now, -ENOENT when there is no path (deleted file,
 * shared memory), -ENOTSUP when the program has seccomp filters of its own,
 * the openat's -errno, or -ESRCH.
 */
void rt_fileobj_open_begin(struct rt_open_seq *s, pid_t tid,
			   const struct rt_arch *abi,
			   const struct rt_regs *saved,
			   const struct rt_vma *vma, int base_filters);
int rt_fileobj_open_step(struct rt_open_seq *s, long ret, struct rt_sys *next);

#endif
