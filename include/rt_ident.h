/* rt_ident.h - which open file (struct file) backs a tracee's shared
 * mapping (tracer/ident.c), and which process a thread belongs to
 * (tracer/procs.c).
 */
#ifndef RT_IDENT_H
#define RT_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt_ranges.h"
#include "rt_vma.h"

struct rt_ctx;

/*
 * One open file description the supervisor knows of.  Its descriptor (a
 * copy of the tracee's) is kept while the budget allows; once let go the
 * key still names its ranges, but they are then told apart from other
 * open files of the inode only by device and inode.
 */
struct rt_ident_key {
	uint64_t id;		/* never 0, never reused; 0: a free slot */
	int fd;			/* ours: shares the tracee's open file; -1:
				 * let go for the budget */
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	unsigned int refs;	/* records naming it */
	bool writable;		/* opened for writing: FMODE_WRITE */
	bool used;		/* looked up since the clock hand passed */
};

/* How many records of a process name key @key_id (of inode @ino). */
struct rt_ident_use {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t key_id;
	unsigned int n;
};

/* The descriptor number the process mapped a key's open file with. */
struct rt_ident_hint {
	uint64_t key_id;
	int tfd;
};

struct rt_ident_mm {
	pid_t tgid;
	struct rt_ranges recs;		/* address -> key */
	struct rt_ident_use *uses;	/* by inode, then key */
	size_t nu, cap_u;
	struct rt_ident_hint *hints;	/* by key id */
	size_t nh, cap_h;
	size_t sweep_at;	/* drop unmapped ranges at this many */
};

struct rt_ident {
	struct rt_ident_key *keys;	/* slots; an id names its slot */
	size_t nslots, cap_keys;
	uint32_t *free;			/* free slots */
	size_t nfree, cap_free;
	uint32_t *order;		/* slots holding a descriptor, in
					 * kcmp(KCMP_FILE) order */
	size_t norder, cap_order;
	size_t hand;			/* the clock over the slots */
	size_t budget;			/* descriptors to hold, 0: no limit */
	unsigned long dropped;		/* copies let go for the budget */
	uint64_t next_seq;
	int kcmp_state;			/* 0 unknown, 1 works, -1 missing
					 * (CONFIG_KCMP off) */
	struct rt_ident_mm *mms;
	size_t nmms, cap_mms;
};

/**
 * rt_ident_budget() - how many open-file copies to keep at most, from the
 * supervisor's descriptor limit @limit: a quarter (at least 64) stays for
 * its own work (pipes, pidfds, /proc files, agents).
 */
void rt_ident_budget(struct rt_ident *id, uint64_t limit);

/**
 * rt_ident_adopt() - take @fd (a descriptor of ours sharing an open file
 * of the tracee) as a key, or find the existing key for the same open
 * file (kcmp KCMP_FILE, a binary search: O(log n)) and close @fd.  When
 * the budget is full, the least recently used copy is let go first.
 * Returns the key id (> 0) or -errno.
 */
int64_t rt_ident_adopt(struct rt_ident *id, int fd);

/*
 * Record that [start, start+len) of @tgid maps key @key_id at offset @off.
 * Ranges the program unmapped since (munmap is not followed) are dropped
 * whenever the records have doubled since the last look at
 * /proc/PID/maps, so they stay in proportion to what is mapped.
 */
int rt_ident_record(struct rt_ident *id, pid_t tgid, uint64_t start,
		    uint64_t len, uint64_t off, uint64_t key_id);

/**
 * rt_ident_find() - the key whose record covers @vma->start and agrees
 * with the VMA (same inode, consistent file offset), or NULL (also when
 * that key's copy was let go: then only device and inode identify it).
 * O(log n).
 */
const struct rt_ident_key *rt_ident_find(const struct rt_ident *id,
					 pid_t tgid,
					 const struct rt_vma *vma,
					 bool *inferred);

/*
 * mremap(@old_addr, 0, @len, ...) made a second mapping of the same pages
 * (same open file) at @new_addr: record it like the original.
 */
int rt_ident_dup_range(struct rt_ident *id, pid_t tgid, uint64_t old_addr,
		       uint64_t new_addr, uint64_t len);

/*
 * Descriptor hints: the tracee's own number for a key's open file, as its
 * mmap used it.  Only a hint: it may have been closed or reused since,
 * so it is checked with kcmp before use.
 */
void rt_ident_set_fd_hint(struct rt_ident *id, pid_t tgid, uint64_t key_id,
			  int tfd);
int rt_ident_fd_hint(const struct rt_ident *id, pid_t tgid, uint64_t key_id);

/* Close key @key_id if no record names it (an mmap that failed). */
void rt_ident_put_unused(struct rt_ident *id, uint64_t key_id);
/* The descriptor of key @key_id, or -1. */
int rt_ident_key_fd(const struct rt_ident *id, uint64_t key_id);

/* A fork: the child maps the same open files at the same places. */
int rt_ident_fork(struct rt_ident *id, pid_t parent, pid_t child);
/* Exec or exit: the address space is gone. */
void rt_ident_drop(struct rt_ident *id, pid_t tgid);
void rt_ident_free(struct rt_ident *id);

/* ---- procs.c: thread -> process ---- */

struct rt_task {
	pid_t tid;
	pid_t tgid;
	bool started;	/* its first ptrace-stop has been seen */
};

/* What the supervisor keeps per traced process. */
#define RT_PIECES	512

struct rt_proc {
	pid_t tgid;
	int maps_fd;		/* /proc/PID/maps for PROCMAP_QUERY, or -1 */
	/* /proc/PID/smaps opened ahead, while the process was still
	 * dumpable (privilege.c), or -1 */
	int smaps_fd;
	/*
	 * The process made a call that can give shared mappings VM flags
	 * that PROCMAP_QUERY does not show (mlock, madvise hints, mseal,
	 * userfaultfd, pkeys, KSM, MAP_LOCKED...): read smaps instead.
	 */
	bool hidden_flags;
	/*
	 * Injected calls may be single-stepped (one ptrace stop each instead
	 * of two) unless SIGTRAP is ignored: the step's forced SIGTRAP would
	 * reset an ignored SIGTRAP to SIG_DFL (force_sig_info_to_task()).
	 * -1: unknown (read /proc/PID/status SigIgn), 0: ignored, 1: safe.
	 */
	int step_ok;
	/* Agents started for this address space (agent.c): at most two. */
	unsigned int agent_tries;
	/* Said that it calls remap_file_pages in another ABI (once). */
	bool told_abi;
	/*
	 * It changed its credentials or confinement (privilege.c): the open
	 * files kept of it were its own under its old rights, so they still
	 * tell identity but are never handed back to it; it is mapped from
	 * its current descriptors or a second mapping of the VMA instead.
	 */
	bool keys_revoked;
	/* It gave MADV_HUGEPAGE or MADV_NOHUGEPAGE: states no madvise can
	 * take back, so a second mapping is its last resort (emulate.c). */
	bool thp_hinted;
	/*
	 * Where pieces of shared mappings were last seen, by inode and file
	 * page: a VMA that may lend a second mapping (vmas.c), checked
	 * before use, so a stale entry costs one PROCMAP_QUERY.
	 */
	struct rt_piece {
		uint64_t ino, pgoff, addr;
	} pieces[RT_PIECES];
};

struct rt_procs {
	struct rt_task *t;
	size_t n, cap;
	struct rt_proc *p;
	size_t np, cap_p;
};

int rt_procs_add(struct rt_procs *p, pid_t tid, pid_t tgid);
void rt_procs_del(struct rt_procs *p, pid_t tid);
/* The process of @tid; read from /proc (and remembered) if unknown. */
pid_t rt_procs_tgid(struct rt_procs *p, pid_t tid);
/* The value of field @key ("Tgid", "flags") of the /proc file @path (at
 * @dfd), read in @base.  Returns 0 or -errno (-ENOENT: no such field). */
int rt_procs_field(int dfd, const char *path, const char *key, int base,
		   unsigned long long *val);
/* rt_procs_field() of /proc/TID/status: "Tgid", "SigIgn"... */
int rt_procs_status(pid_t tid, const char *key, int base,
		    unsigned long long *val);
/* The state letter of /proc/PID/stat ('R', 'S', 'T'...), or 0: gone. */
char rt_procs_state(pid_t pid);
/* Is this the first ptrace-stop of @tid?  (Marks it seen.) */
bool rt_procs_first_stop(struct rt_procs *p, pid_t tid);
/* How many traced threads process @tgid has. */
unsigned int rt_procs_nthreads(const struct rt_procs *p, pid_t tgid);
void rt_procs_free(struct rt_procs *p);
/* The state of process @tgid, created on first use; NULL on ENOMEM. */
struct rt_proc *rt_procs_proc(struct rt_procs *p, pid_t tgid);
/* Forget process @tgid (exit, or exec: a new address space). */
void rt_procs_drop_proc(struct rt_procs *p, pid_t tgid);
/* A fork: the child starts with the parent's hidden_flags, keys_revoked
 * and step_ok. */
void rt_procs_fork(struct rt_procs *p, pid_t parent, pid_t child);

#endif
