/* rt_vmas.h - one call's view of a tracee's VMAs (tracer/vmas.c). */
#ifndef RT_VMAS_H
#define RT_VMAS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "rt_ident.h"
#include "rt_procs.h"
#include "rt_vma.h"

/*
 * One call's view of a tracee's VMAs.  Fast path: PROCMAP_QUERY (6.11) on
 * the process's cached /proc/PID/maps, O(log n) per VMA.  Exact path:
 * /proc/TID/smaps, O(all VMAs), for processes whose VM flags PROCMAP_QUERY
 * cannot show (rt_proc.hidden_flags) or kernels without the ioctl.
 * Anything opened here by pid is trusted only after the caller's
 * NOTIF_ID_VALID check that follows the lookup.
 */
struct rt_vmas {
	pid_t tid;
	pid_t tgid;
	unsigned long page_size;
	struct rt_proc *proc;		/* cached per-process state */
	const struct rt_ident *ident;	/* to fill file_id, or NULL */
	bool fresh_maps;		/* maps_fd was opened by this call */
	unsigned int queries;		/* PROCMAP_QUERY ioctls made */
	unsigned int smaps_reads;	/* whole smaps files read */
	/* exact path */
	int smaps_fd;
	char *buf;
	size_t len, cap;
	struct rt_vma *v;	/* sorted by start */
	size_t n, cap_v;
	bool loaded;
	struct rt_proc own_proc;	/* for rt_vmas_open() */
};

/*
 * rt_vmas_donor() - a source for a second mapping of the inode @like maps
 * (emulate.c): an address of a VMA of that inode, with at least its
 * protections (*narrow: more of them) and MAP_SHARED, whose file offset
 * is @off (bytes) less *lead: 0 where a
 * VMA maps @off, else the nearest offset below it that one maps.  A walk
 * (PROCMAP_QUERY) over the VMAs that touch @like, up to 16 each way, then
 * at most 16 VMAs within 256 MiB of it (the nearest below first), for calls
 * whose offset their first VMA does not map; with @quick, only where a
 * piece of that file page was last seen (O(1)).  Returns 0, -ENOENT, or
 * -errno (-ENOTTY before 6.11).
 */
int rt_vmas_donor(struct rt_vmas *vs, const struct rt_vma *like,
		  uint64_t off, bool quick, uint64_t *src, uint64_t *lead,
		  bool *narrow);
/*
 * rt_vmas_keep_open() - open @proc's /proc/PID/maps and smaps now, while
 * they still may be opened: a process that makes itself non-dumpable, or
 * changes credentials, keeps an unprivileged supervisor out of new opens,
 * but descriptors opened before keep working.
 */
void rt_vmas_keep_open(struct rt_proc *proc);

/* File offset @off (bytes) of inode @ino was mapped at @addr just now. */
void rt_vmas_note_piece(struct rt_proc *proc, uint64_t ino, uint64_t off,
			uint64_t addr, uint64_t page_size);

/*
 * rt_vmas_open() - exact lookups (smaps) in process @pid, outside any
 * notification (remaptrace explain).  Returns 0 or -ESRCH/-errno.
 */
int rt_vmas_open(struct rt_vmas *vs, pid_t pid);

void rt_vmas_init(struct rt_vmas *vs, pid_t tid, pid_t tgid,
		  unsigned long page_size, struct rt_proc *proc,
		  const struct rt_ident *ident);
/* A struct rt_vma_lookup reading through @vs. */
void rt_vmas_lookup(struct rt_vmas *vs, struct rt_vma_lookup *lk);
void rt_vmas_close(struct rt_vmas *vs);

#endif
