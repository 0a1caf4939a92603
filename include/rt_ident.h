/* rt_ident.h - which open file (struct file) backs a tracee's shared
 * mapping (tracer/ident.c), and which process a thread belongs to
 * (tracer/procs.c).
 */
#ifndef RT_IDENT_H
#define RT_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt_vma.h"

struct rt_ctx;

/* One open file description the supervisor holds a reference to. */
struct rt_ident_key {
	uint64_t id;		/* never 0, never reused */
	int fd;			/* ours: shares the tracee's open file */
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	unsigned int refs;	/* records naming it */
	bool writable;		/* opened for writing: FMODE_WRITE */
};

/* A range of a process's address space mapped from key @key_id. */
struct rt_ident_rec {
	uint64_t start, end;
	uint64_t off;		/* file offset at start, bytes */
	uint64_t key_id;
};

/* The descriptor number the process mapped a key's open file with. */
struct rt_ident_hint {
	uint64_t key_id;
	int tfd;
};

struct rt_ident_mm {
	pid_t tgid;
	struct rt_ident_rec *recs;
	size_t n, cap;
	struct rt_ident_hint *hints;
	size_t nh, cap_h;
};

struct rt_ident {
	struct rt_ident_key *keys;
	size_t nkeys, cap_keys;
	struct rt_ident_mm *mms;
	size_t nmms, cap_mms;
	uint64_t next_id;
};

/**
 * rt_ident_adopt() - take @fd (a descriptor of ours sharing an open file
 * of the tracee) as a key, or find the existing key for the same open
 * file (kcmp KCMP_FILE) and close @fd.  Returns the key id (> 0) or -errno.
 */
int64_t rt_ident_adopt(struct rt_ident *id, int fd);

/* Record that [start, start+len) of @tgid maps key @key_id at offset @off. */
int rt_ident_record(struct rt_ident *id, pid_t tgid, uint64_t start,
		    uint64_t len, uint64_t off, uint64_t key_id);

/**
 * rt_ident_find() - the key whose record covers @vma->start and agrees
 * with the VMA (same inode, consistent file offset), or NULL.
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
struct rt_proc {
	pid_t tgid;
	int maps_fd;		/* /proc/PID/maps for PROCMAP_QUERY, or -1 */
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
/* A fork: the child starts with the parent's hidden_flags and step_ok. */
void rt_procs_fork(struct rt_procs *p, pid_t parent, pid_t child);

#endif
