/* rt_shm.h - SysV shared memory as /proc shows it (emu/shm.c): which
 * segment a VMA maps, and one line of /proc/sysvipc/shm.  Pure.
 */
#ifndef RT_SHM_H
#define RT_SHM_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_vma.h"

/* ipc/shm.c: shm_perm.mode bit "destroy on last detach" (IPC_RMID). */
#define RT_SHM_DEST	01000

/* What /proc/sysvipc/shm says of one segment. */
struct rt_shm_seg {
	int id;			/* shmid */
	unsigned int mode;	/* perms, with RT_SHM_DEST once removed */
	uint64_t nattch;	/* attaching VMAs, of every process */
};

/**
 * rt_shm_id() - the shmid of the SysV segment @vma maps.
 * @vma: a VMA snapshot (name and inode).
 * @id: out: the shmid.
 *
 * ipc/shm.c newseg() names the segment's file "SYSV%08x" (the key) and
 * sets its inode number to the shmid, so /proc shows "/SYSVkkkkkkkk"
 * (with " (deleted)": the file is never linked) and the shmid as inode.
 *
 * Return: true for a SysV segment, false otherwise (@id untouched).
 */
bool rt_shm_id(const struct rt_vma *vma, int *id);

/**
 * rt_shm_unnamed() - is @vma shared memory that no descriptor names?
 * @vma: a VMA snapshot.
 *
 * Shared anonymous memory and /dev/zero (mm/shmem.c shmem_zero_setup(),
 * shown as "/dev/zero (deleted)") and SysV segments (a struct file of
 * their own per shmat): their open files live only in VMAs, so no mmap
 * of them is ever followed, and a descriptor the program opens of one is
 * another open file.
 *
 * Return: true for those.
 */
bool rt_shm_unnamed(const struct rt_vma *vma);

/**
 * rt_shm_parse_line() - one line of /proc/sysvipc/shm.
 * @line: "key shmid perms size cpid lpid nattch ..." (ipc/shm.c
 *	sysvipc_shm_proc_show(); perms in octal).
 * @out: out: the segment.
 *
 * Return: 0; -EINVAL for the header line or a malformed line.
 */
int rt_shm_parse_line(const char *line, struct rt_shm_seg *out);

/**
 * rt_shm_destroys() - does closing @whole of its VMAs destroy @seg?
 * @seg: the segment as /proc/sysvipc/shm shows it.
 * @forced: kernel.shm_rmid_forced is set in its IPC namespace.
 * @whole: how many of its VMAs the mmap closes (rt_remap_whole_vmas()).
 *
 * ipc/shm.c shm_close() takes one off shm_nattch per VMA and calls
 * shm_destroy() when shm_may_destroy(): nattch 0, and SHM_DEST (removed
 * by IPC_RMID, do_shm_rmid()) or shm_rmid_forced.  nattch counts the
 * VMAs of every process, so another attach anywhere keeps it.
 */
bool rt_shm_destroys(const struct rt_shm_seg *seg, bool forced,
		     unsigned int whole);

#endif
