/* rt_ident.h - which open file (struct file) backs a tracee's shared
 * mapping (tracer/ident.c).
 */
#ifndef RT_IDENT_H
#define RT_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "rt_procs.h"
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
	bool pending;		/* not in the kcmp order yet: another key
				 * may share its open file (adopt_lazy) */
	pid_t owner;		/* the process whose call brought the copy */
};

/* How many records of a process name key @key_id (of inode @ino). */
struct rt_ident_use {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t key_id;
	unsigned int n;		/* records, and mappings not yet placed */
	unsigned int unplaced;	/* of those, mappings not yet placed */
};

/* The descriptor number the process mapped a key's open file with. */
struct rt_ident_hint {
	uint64_t key_id;
	int tfd;
};

/* Direct-mapped by descriptor number: the key it mapped last. */
#define RT_IDENT_RECENT	16

struct rt_ident_mm {
	pid_t tgid;
	struct rt_ranges recs;		/* address -> key */
	struct rt_ident_use *uses;	/* by inode, then key */
	size_t nu, cap_u;
	struct rt_ident_hint *hints;	/* by key id */
	size_t nh, cap_h;
	struct rt_ident_hint recent[RT_IDENT_RECENT];	/* by tfd */
	size_t sweep_at;	/* drop unmapped ranges at this many */
	size_t nunplaced;	/* mappings not yet placed (all keys) */
	pid_t unplaced_tid;	/* the thread that made them */
	long unplaced_nr;	/* in calls of this number (mmap) */
	size_t left;		/* mappings left unplaced since the last
				 * placement a look-up made */
	bool no_leaving;	/* placements cost it more than stops */
};

/* How many of the copies held a process brought (rt_ident_key.owner). */
struct rt_ident_owner {
	pid_t tgid;
	size_t held;
};

struct rt_ident {
	struct rt_ident_key *keys;	/* slots; an id names its slot */
	size_t nslots, cap_keys;
	uint32_t *free;			/* free slots */
	size_t nfree, cap_free;
	uint32_t *order;		/* slots holding a descriptor, in
					 * kcmp(KCMP_FILE) order */
	size_t norder, cap_order;
	size_t npending;		/* keys with a copy, not in order */
	size_t hand;			/* the clock over the slots */
	size_t budget;			/* descriptors to hold, 0: no limit */
	struct rt_ident_owner *owners;	/* those holding one or more */
	size_t nowners, cap_owners;
	unsigned long dropped;		/* copies let go for the budget */
	unsigned long placements;	/* look-ups of the kernel's word */
	unsigned long place_reads;	/* VMAs and descriptors they read */
	uint64_t next_seq;
	int kcmp_state;			/* 0 unknown, 1 works, -1 missing
					 * (CONFIG_KCMP off) */
	pid_t self;			/* our pid, for kcmp */
	unsigned int batch;		/* let_go() defers to end_batch() */
	bool unordered;			/* order holds slots let go */
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
 * file (kcmp KCMP_FILE, a binary search: O(log n)) and close @fd.  A new
 * copy is @tgid's.  When the budget is full, a copy is let go first: the
 * least recently used of the process holding the most (evict()), so that
 * no process can push another's copies out.
 * Returns the key id (> 0) or -errno.
 */
int64_t rt_ident_adopt(struct rt_ident *id, pid_t tgid, int fd);

/**
 * rt_ident_adopt_lazy() - rt_ident_adopt() for an mmap left unplaced
 * (rt_ident_unplaced()) by descriptor @tfd of @tgid: one kcmp against the
 * key that descriptor mapped last (a program mapping windows of one
 * file), else a new key without the search, "pending": the placement
 * that must come before it is looked up anyway finds, from the kernel's
 * own word, any other key sharing its open file, and merges them; a
 * search (rt_ident_adopt()) first puts the pending ones in order.  @st,
 * @fl: fstat(@fd) and fcntl(@fd, F_GETFL), made already.
 * Where the kernel cannot be asked or kcmp is missing, rt_ident_adopt().
 */
int64_t rt_ident_adopt_lazy(struct rt_ident *id, pid_t tgid, int fd, int tfd,
			    const struct stat *st, int fl);

/*
 * Record that [start, start+len) of @tgid maps key @key_id at offset @off.
 * Ranges the program unmapped since (munmap is not followed) are dropped
 * whenever the records have doubled since the last look at
 * /proc/PID/maps, so they stay in proportion to what is mapped.
 */
int rt_ident_record(struct rt_ident *id, pid_t tgid, uint64_t start,
		    uint64_t len, uint64_t off, uint64_t key_id);

/**
 * rt_ident_unplaced() - thread @tid of @tgid mapped key @key_id, in a
 * call numbered @nr, at an address not known
 * here: its mmap runs without being caught after it, where the kernel can
 * be asked instead (rt_vmfile_ready()).  The first look-up of a VMA of
 * that inode, a fork or a sweep places every such mapping of the process
 * first, as its VMAs' own vm_file says (rt_vmfile_ours()); until then
 * the key counts among the inode's open files.  Returns 0 or -ENOMEM.
 */
int rt_ident_unplaced(struct rt_ident *id, pid_t tgid, pid_t tid, long nr,
		      uint64_t key_id);
/*
 * rt_ident_before_unplaced() - the sweep that a mapping about to be left
 * unplaced by thread @tid of @tgid brings on, made before its copy is
 * adopted: a sweep places, and a placement merges a pending key into an
 * older twin (rt_ident_adopt_lazy()), which a key held across it must
 * not be (its twin kept the reference for good, and a count named no
 * key).
 */
void rt_ident_before_unplaced(struct rt_ident *id, pid_t tgid, pid_t tid);
/*
 * May thread @tid of @tgid leave a mapping unplaced?  Only one thread's
 * may wait at a time: only its own next call says its mmaps returned.
 * And not in a process whose look-ups had to place at a cost above the
 * stops they saved (place()).
 */
bool rt_ident_may_leave(const struct rt_ident *id, pid_t tgid, pid_t tid);
/*
 * [@start, @start + @len) now maps an open file we hold no copy of:
 * whatever was recorded there is stale.  Returns 0 or -ENOMEM.
 */
int rt_ident_forget(struct rt_ident *id, pid_t tgid, uint64_t start,
		    uint64_t len);

/**
 * rt_ident_find() - the key whose record covers @vma->start and agrees
 * with the VMA (same inode, consistent file offset), or NULL (also when
 * that key's copy was let go: then only device and inode identify it).
 * O(log n), but where a mapping of the inode is not yet placed, first a
 * placement (rt_ident_unplaced()), made for thread @tid's call.
 */
const struct rt_ident_key *rt_ident_find(const struct rt_ident *id,
					 pid_t tgid, pid_t tid,
					 const struct rt_vma *vma,
					 bool *inferred);

/*
 * rt_ident_stand_in() - for a VMA of shared memory no descriptor names
 * (rt_shm_unnamed()), which no record vouches for: the one open file of
 * its inode the process has used, which the program opened anew for an
 * earlier call that no second mapping could serve.  Mapping from it is
 * as good as opening another, and cheaper.  Only an open file of the
 * VMA's kind (@writable: a VM_SHARED one).  Its key id, or 0.
 */
uint64_t rt_ident_stand_in(const struct rt_ident *id, pid_t tgid,
			   const struct rt_vma *vma, bool writable);

/*
 * mremap(@old_addr, 0, @len, ...) made a second mapping of the same pages
 * (same open file) at @new_addr: record it like the original.
 */
int rt_ident_dup_range(struct rt_ident *id, pid_t tgid, pid_t tid,
		       uint64_t old_addr, uint64_t new_addr, uint64_t len);

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

#endif
