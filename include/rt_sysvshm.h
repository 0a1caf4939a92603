/* rt_sysvshm.h - SysV segments a remap may destroy (tracer/sysvshm.c).
 *
 * A remap whose mmap closes every VMA still attached to a segment removed
 * with IPC_RMID destroys it before mapping it again, and fails (EINVAL,
 * the range left unmapped; emu/validate.c rt_remap_shm_gone()).  To see
 * that, /proc/sysvipc/shm is read, but only for segments that may have
 * been removed: the filter sends shmctl(IPC_RMID) here, and the shmids
 * are noted.
 */
#ifndef RT_SYSVSHM_H
#define RT_SYSVSHM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt_remap.h"
#include "rt_shm.h"

struct rt_ctx;

/* Noted shmids kept; past that, every segment counts as maybe removed. */
#define RT_SYSVSHM_NOTED	32

struct rt_sysvshm {
	int noted[RT_SYSVSHM_NOTED];	/* shmids given to IPC_RMID */
	unsigned int nnoted;
	bool overflow;		/* more were removed than fit */
	bool forced_known;
	bool forced;		/* kernel.shm_rmid_forced: any last detach
				 * destroys (ipc/shm.c shm_may_destroy()) */
	bool ns_known;		/* our IPC namespace, read once */
	uint64_t ns_dev, ns_ino;
	pid_t ns_pid;		/* the last process found in it, or 0 */
	/*
	 * /proc/sysvipc/shm, opened at the first read and kept (CLOEXEC):
	 * a read from offset 0 costs a fifth of open, read and close.
	 */
	bool have_fd;
	int fd;
	unsigned long reads;	/* /proc/sysvipc/shm reads (cost, tests) */
};

/**
 * rt_sysvshm_state() - what /proc/sysvipc/shm says of segment @shmid, as
 * the process @pid sees it.
 * @s: the state (our IPC namespace is looked up once).
 * @pid: a process; /proc/sysvipc/shm lists the reader's IPC namespace, so
 *	its answer holds for @pid only if @pid is in ours.
 * @shmid: the segment.
 * @out: out: the segment.
 *
 * Return: 0; -ENOENT when no such segment is listed; -EXDEV when @pid is
 * in another IPC namespace (unknown); another -errno when /proc could not
 * be read.
 */
int rt_sysvshm_state(struct rt_sysvshm *s, pid_t pid, int shmid,
		     struct rt_shm_seg *out);

/**
 * rt_sysvshm_note() - a tracee asks to remove segment @shmid (the call has
 * not run yet, and may fail: it only makes the segment worth a look).
 */
void rt_sysvshm_note(struct rt_sysvshm *s, int shmid);

/**
 * rt_sysvshm_rmid() - the notification in @ctx->req is shmctl(IPC_RMID):
 * note its shmid and let the kernel run it.
 */
void rt_sysvshm_rmid(struct rt_ctx *ctx);

/**
 * rt_sysvshm_judge() - the kernel's answer to a valid call on a SysV
 * segment whose mmap would destroy it.
 * @s: the state.
 * @tgid: the caller's process.
 * @lk: the lookup @v was reached with.
 * @v: the verdict of rt_remap_validate(): a valid call on a removed
 *	segment (or any, under kernel.shm_rmid_forced) whose range covers
 *	all of its attached VMAs, of every process, becomes the
 *	RT_RULE_SHM_GONE refusal; any other verdict is left alone, and so
 *	is this one when the segment's state cannot be known.
 *
 * Return: 0; a failed lookup's -errno.
 */
int rt_sysvshm_judge(struct rt_sysvshm *s, pid_t tgid,
		     const struct rt_vma_lookup *lk, struct rt_verdict *v);

#endif
