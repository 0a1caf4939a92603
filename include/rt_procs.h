/* rt_procs.h - which process a traced thread belongs to, and what the
 * supervisor keeps per process (tracer/procs.c); small /proc readers.
 */
#ifndef RT_PROCS_H
#define RT_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

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
	/* Its pidfd, opened while one of its calls was pending (so of it,
	 * never of a process that reused the id), or -1 (rt_procs_own_pidfd) */
	int pidfd;
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
	/* Which process it is (its pidfd's inode, or when it started),
	 * 0 if unknown: one that reused its id is another
	 * (rt_procs_forget_stale()). */
	unsigned long long start;
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
	 * It made a call that can lock memory (mlock, mlock2, mlockall, a
	 * shared MAP_LOCKED mmap): until then no VMA of it is VM_LOCKED
	 * (fork and exec do not carry locks), and a remap needs no probe.
	 */
	bool lock_seen;
	/* It mapped shared memory with MAP_NORESERVE (VM_NORESERVE, which a
	 * second mapping carries and nothing clears): shared anonymous
	 * memory or /dev/zero (noreserve_anon), or any other. */
	bool noreserve_anon, noreserve_file;
	/* mlockall(MCL_FUTURE) is in force: every new mapping is locked
	 * (mm->def_flags), until munlockall. */
	bool mcl_future;
	/*
	 * Can its lock limit not refuse it (CAP_IPC_LOCK, or RLIMIT_MEMLOCK
	 * unlimited)?  Then a lock taken after a remap's mapping is as the
	 * kernel's MAP_LOCKED (emulate.c).  -1: not known yet (read again
	 * after a change of credentials or limits, privilege.c).
	 */
	int lock_unlimited;
	/* Is its RLIMIT_AS unlimited?  -1: not known yet (as above). */
	int as_unlimited;
	/* It called mseal: a MAP_FIXED mmap may meet a sealed VMA. */
	bool seal_seen;
	/*
	 * Where pieces of shared mappings were last seen, by inode and file
	 * page: a VMA that may lend a second mapping (vmas.c), checked
	 * before use, so a stale entry costs one PROCMAP_QUERY.
	 */
	struct rt_piece {
		uint64_t ino, pgoff, addr;
	} pieces[RT_PIECES];
};

/*
 * A call that changes a process's rights or limits, which the kernel was
 * told to run (privilege.c) and may still be running: the thread is
 * sequential, so it is over once the thread makes another call.
 */
struct rt_change {
	pid_t tid;		/* the thread that made it */
	pid_t tgid;		/* the process whose agent it concerns, 0:
				 * any (a process cloned with CLONE_FS while a
				 * chroot runs shares its root) */
	long nr;		/* its number, in the thread's ABI */
};

struct rt_procs {
	struct rt_task *t;
	size_t n, cap;
	struct rt_proc *p;
	size_t np, cap_p;
	struct rt_change *changes;	/* one per thread at most */
	size_t nchanges, cap_changes;
	size_t sweep_at;	/* look for untraced ones gone at this many
				 * processes and tasks (rt_procs_sweep_due()) */
};

int rt_procs_add(struct rt_procs *p, pid_t tid, pid_t tgid);
/* Is @tid a thread of the table (one traced by remaptrace)? */
bool rt_procs_known(struct rt_procs *p, pid_t tid);
void rt_procs_del(struct rt_procs *p, pid_t tid);
/* The process of @tid if the table has it, else -1 (nothing read). */
pid_t rt_procs_tgid_known(struct rt_procs *p, pid_t tid);
/* The process of @tid; read from /proc (and remembered) if unknown. */
pid_t rt_procs_tgid(struct rt_procs *p, pid_t tid);
/* The value of field @key ("Tgid", "flags") of the /proc file @path (at
 * @dfd), read in @base.  Returns 0 or -errno (-ENOENT: no such field). */
int rt_procs_field(int dfd, const char *path, const char *key, int base,
		   unsigned long long *val);
/* rt_procs_field() of /proc/TID/status: "Tgid", "SigIgn"... */
int rt_procs_status(pid_t tid, const char *key, int base,
		    unsigned long long *val);
/*
 * Does @tid hold capability @cap as capable() asks for it, in the initial
 * user namespace (the lock limit's CAP_IPC_LOCK)?  CapEff is relative to
 * the task's own namespace: in one of its own it shows every capability.
 */
bool rt_procs_init_cap(pid_t tid, int cap);
/*
 * The soft limit of resource @name ("Max locked memory") from
 * /proc/PID/limits, which anyone may read where prlimit(2) asks for the
 * same ids or CAP_SYS_RESOURCE; RLIM_INFINITY for "unlimited".  Returns 0
 * or -errno.
 */
int rt_procs_soft_limit(pid_t pid, const char *name,
			unsigned long long *val);
/* The state letter of /proc/PID/stat ('R', 'S', 'T'...), or 0: gone. */
char rt_procs_state(pid_t pid);
/* Is this the first ptrace-stop of @tid?  (Marks it seen.) */
bool rt_procs_first_stop(struct rt_procs *p, pid_t tid);
/* Is @tid a thread remaptrace traces, its first stop seen?  (Not one
 * only looked up in /proc: a thread let go, or never traced.) */
bool rt_procs_traced(const struct rt_procs *p, pid_t tid);
/* How many traced threads process @tgid has. */
unsigned int rt_procs_nthreads(const struct rt_procs *p, pid_t tgid);
void rt_procs_free(struct rt_procs *p);
/* The state of process @tgid, created on first use; NULL on ENOMEM. */
struct rt_proc *rt_procs_proc(struct rt_procs *p, pid_t tgid);
/* Forget process @tgid (exit, or exec: a new address space). */
void rt_procs_drop_proc(struct rt_procs *p, pid_t tgid);
/* A new process @pid: forget what was kept of an earlier process of the
 * same id (one remaptrace heard of, but whose end it did not see: not
 * traced).  Returns true if there was one. */
bool rt_procs_forget_stale(struct rt_procs *p, pid_t pid);
/*
 * rt_procs_sweep_due() - has the table grown enough since the last look
 * for processes that ended untraced (rt_procs_gone_untraced())?  Twice its
 * size then, so the looks cost O(1) per process and task added.
 */
bool rt_procs_sweep_due(struct rt_procs *p);
/*
 * rt_procs_gone_untraced() - up to @max processes of the table that have
 * ended though remaptrace traced none of their threads (started with
 * CLONE_UNTRACED, or children of a process let go): it sees no exit of
 * those, yet their calls reach the filter and leave state behind (an
 * rt_proc, its pidfd and maps descriptors, tasks).  Their tasks are
 * forgotten here, the rest by the caller (rt_follow_gone()).  Returns how
 * many went into @gone.
 */
size_t rt_procs_gone_untraced(struct rt_procs *p, pid_t *gone, size_t max);
/*
 * rt_procs_unseen() - thread @tid is not one remaptrace traces: its
 * process's exec and end go unseen.  What was kept of a process that had
 * its id before is forgotten, and its /proc descriptors are closed (after
 * an exec they would read the old address space): opened again as read.
 */
void rt_procs_unseen(struct rt_procs *p, pid_t tid, pid_t tgid);
/* A fork: the child starts with the parent's hidden_flags, keys_revoked
 * and step_ok. */
void rt_procs_fork(struct rt_procs *p, pid_t parent, pid_t child);
/* The kernel is to run change call @nr of thread @tid, for process
 * @tgid.  Returns 0, or -ENOMEM: the call must not run. */
int rt_procs_change_begin(struct rt_procs *p, pid_t tid, pid_t tgid,
			  long nr);
/* Thread @tid makes another call: any change it made is over. */
void rt_procs_change_seen(struct rt_procs *p, pid_t tid);
/*
 * May a change for process @tgid still be running in the kernel?  Asks
 * /proc/TID/syscall of each thread that made one not yet seen over: a
 * thread in another call, or gone, is past it; one running, or in the
 * same call, or unreadable, may not be.
 */
bool rt_procs_change_pending(struct rt_procs *p, pid_t tgid);
/*
 * Is thread @tid surely past its call @nr, by /proc/TID/syscall?  Gone,
 * or in another call, or stopped outside any: yes; running, in a call
 * @nr, or unreadable: maybe not.
 */
bool rt_procs_past_call(pid_t tid, long nr);
/*
 * The inode of namespace @ns ("pid", "user") of @pid (0: remaptrace's
 * own), 0 if unreadable.  One inode, one namespace: nsfs has a single
 * device.
 */
unsigned long long rt_procs_ns(pid_t pid, const char *ns);
/* How many seccomp filters @tid runs under (/proc/TID/status), or -1. */
int rt_procs_filters(pid_t tid);
/* A pidfd for thread @tid (or its process before 6.9), or -errno. */
int rt_procs_pidfd(pid_t tid);
/*
 * @proc's own pidfd, kept: opened on first use, which must be while a
 * call of it is pending and checked after (the caller's job).  Returns
 * it (not to be closed), or -errno.  *@fresh: opened just now.
 */
int rt_procs_own_pidfd(struct rt_proc *proc, bool *fresh);

#endif
