/* emulate.c - run a valid call's mmap inside the calling thread.
 *
 * The thread is answered 0 with a PTRACE_INTERRUPT pending, caught in the
 * stop that follows, and made to run the planned mmap (and the close of a
 * descriptor installed for it); the call then returns the mmap's verdict.
 * The kernel's remap_file_pages never runs in this mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <linux/kcmp.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_job.h"
#include "rt_call.h"
#include "rt_emulate.h"
#include "rt_fileobj.h"
#include "rt_freeze.h"
#include "rt_inherit.h"
#include "rt_inject.h"
#include "rt_seccomp.h"
#include "rt_shm.h"
#include "rt_stack.h"
#include "rt_vmas.h"
#include "rt_util.h"

/* Replace the first VMA's flags with the complete set from smaps. */
static int
exact_flags(struct rt_call *c)
{
	struct rt_vma_lookup lk;
	struct rt_vmas vs;
	struct rt_vma v;
	int r;

	r = rt_vmas_open(&vs, c->tid);
	if (r == 0) {
		rt_vmas_lookup(&vs, &lk);
		r = lk.find(lk.ctx, c->v.first.start, true, &v);
	}
	c->smaps_reads += vs.smaps_reads;
	rt_vmas_close(&vs);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (v.start != c->v.first.start || v.ino != c->v.first.ino)
		return -ESTALE;		/* changed under us */
	c->v.first.flags = v.flags;
	c->v.first.flags_exact = true;
	/* The plan's MAP_LOCKED as the rule book gives it from exact flags
	 * (emu/validate.c: never on hugetlb or VM_SPECIAL VMAs). */
	if (c->v.action == RT_ACT_MMAP && (v.flags & RT_VM_LOCKED) &&
	    !(v.flags & (RT_VM_HUGETLB | RT_VM_SPECIAL)))
		c->v.plan.flags |= MAP_LOCKED;
	return 0;
}

/* Why no way reached the file, for the log: what was missing, and why
 * remaptrace does not take it with its own rights (README, Security). */
static const char *
unreachable(int r)
{
	switch (r) {
	case -ENOENT:
		return "no descriptor of the program reaches this open file "
		       "and it has no path to open, being shared memory or "
		       "deleted; only /proc/PID/map_files reaches it, which "
		       "the program may open only with CAP_SYS_ADMIN or "
		       "CAP_CHECKPOINT_RESTORE (remaptrace never opens it with "
		       "its own rights)";
	case -ESTALE:
		return "its path names another file now, or the same inode "
		       "through a mount with other exec rights";
	case -EACCES:
		/* (a copy of ours would reach it, but after a change of
		 * rights it is not handed back: privilege.c) */
		return "the program may not open it for reading and writing, "
		       "holds no read-write descriptor of it, and no mapping "
		       "of that open file reaches the offset (a second "
		       "mapping reaches only offsets from one that a mapping "
		       "maps, up)";
	case -ENOTSUP:
		return "the program has seccomp filters of its own, which "
		       "would judge an injected openat";
	case -EMFILE:
		return "the program has no free descriptor slot, even with "
		       "its soft RLIMIT_NOFILE raised to the hard limit";
	case -ENOSYS:
		return "no second mapping reaches the offset, and a file the "
		       "program opens cannot be checked without pidfd_getfd "
		       "(Linux 5.6)";
	default:
		return "the program cannot open it by path";
	}
}

/*
 * SECCOMP_IOCTL_NOTIF_ADDFD allocates in the caller's table under its
 * soft RLIMIT_NOFILE: a program at its limit would get EMFILE, which the
 * kernel's remap_file_pages never returns.  Raise the soft limit by one
 * for the call (up to the hard limit) and put it back afterwards.
 */
static int
install_fd(struct rt_ctx *ctx, struct rt_call *c, int fd,
	   struct rlimit *saved, bool *raised)
{
	struct rlimit more;
	int tfd;

	*raised = false;
	tfd = rt_seccomp_addfd(ctx, fd);
	if (tfd != -EMFILE)
		return tfd;
	if (prlimit(c->tgid, RLIMIT_NOFILE, NULL, saved) < 0 ||
	    saved->rlim_cur >= saved->rlim_max)
		return -EMFILE;
	more = *saved;
	more.rlim_cur++;
	if (prlimit(c->tgid, RLIMIT_NOFILE, &more, NULL) < 0)
		return -EMFILE;
	*raised = true;
	return rt_seccomp_addfd(ctx, fd);
}

static bool reopen_first(struct rt_ctx *ctx, const struct rt_call *c);
static bool dup_src(struct rt_ctx *ctx, struct rt_call *c, bool donors,
		    uint64_t *src, uint64_t *lead);

/*
 * The open file to map: the one the tracee's mmap was seen with (the
 * kernel's vma->vm_file itself), else one reached by fileobj.c, which
 * becomes known from now on.  *key: its identity key.
 */
static int
get_file(struct rt_ctx *ctx, struct rt_call *c, int64_t *key)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	_cleanup_close_ int pidfd = -1;
	uint64_t src, lead;
	int r, fd, tfd, want = -1;

	/* vmas.c vouched for it: same inode, offset and access mode; unless
	 * the process has changed its rights since (privilege.c). */
	if (c->v.first.file_id && proc && !proc->keys_revoked) {
		c->how = c->v.first.file_id_inferred ? RT_FILE_INFERRED :
						       RT_FILE_FOLLOWED;
		*key = (int64_t)c->v.first.file_id;
		return 0;
	}
	/* Shared memory no descriptor names, where no second mapping
	 * serves (prefer_dup()): the file the program opened of it before. */
	if (!c->v.first.file_id && rt_shm_unnamed(&c->v.first) && proc &&
	    !proc->keys_revoked) {
		uint64_t k = rt_ident_stand_in(&ctx->tr.ident, c->tgid,
					       &c->v.first,
					       c->v.first.flags & RT_VM_SHARED);

		if (k) {
			c->how = RT_FILE_INFERRED;
			*key = (int64_t)k;
			return 0;
		}
	}
	/* Without pidfd_open (ENOSYS: a tool that runs us does not know
	 * it, valgrind 3.19), only the ways that need no pidfd remain. */
	pidfd = rt_procs_pidfd(c->tid);
	if ((pidfd < 0 && pidfd != -ENOSYS) || rt_seccomp_valid(ctx) < 0)
		return -ESRCH;
	/* A descriptor must match flags PROCMAP_QUERY does not show
	 * (VM_MAYEXEC: a noexec mount of the same inode): get them all, but
	 * only when the program has one that may do (smaps walks every VMA,
	 * and shared memory has none). */
	if (!c->v.first.flags_exact &&
	    !rt_fileobj_candidate(c->tid, &c->v.first))
		return -EPERM;
	r = exact_flags(c);
	if (r < 0)
		return r;
	/*
	 * After a change of rights the copy is not handed back, but still
	 * tells which of the program's descriptors is the VMA's open file.
	 * When none is, a second mapping of the VMA is of that open file;
	 * another one of the same inode would not merge with it, and a span
	 * across the two would be refused where the kernel's call succeeds.
	 */
	if (c->v.first.file_id && proc && proc->keys_revoked)
		want = rt_ident_key_fd(&ctx->tr.ident,
				       (int64_t)c->v.first.file_id);
	r = rt_fileobj_get(c->tid, pidfd, &c->v.first, want, &fd, &c->how,
			   &tfd);
	if (r < 0)
		return r;
	if (r == 1 && !reopen_first(ctx, c) &&
	    dup_src(ctx, c, true, &src, &lead)) {
		close(fd);
		return -EPERM;
	}
	*key = rt_ident_adopt(&ctx->tr.ident, c->tgid, fd);
	if (*key < 0) {
		close(fd);
		return (int)*key;
	}
	if (c->how == RT_FILE_TRACEE_FD)
		rt_ident_set_fd_hint(&ctx->tr.ident, c->tgid, *key, tfd);
	return 0;
}

/*
 * The tracee's own descriptor for the open file of @key, if it still has
 * the one its mmap used (kcmp(2) across processes says so): mapping from
 * it saves installing one and the injected close, two ptrace stops.
 * Only in a single-threaded process, where no other thread can close or
 * replace that descriptor before the injected mmap uses it.
 */
static int
own_fd(struct rt_ctx *ctx, const struct rt_call *c, int64_t key)
{
	int hint = rt_ident_fd_hint(&ctx->tr.ident, c->tgid, key);

	if (hint < 0 || rt_procs_nthreads(&ctx->tr.procs, c->tgid) != 1 ||
	    !rt_features_has(RT_FEAT_KCMP))
		return -1;
	if (syscall(SYS_kcmp, c->tid, ctx->self, KCMP_FILE, hint,
		    rt_ident_key_fd(&ctx->tr.ident, key)) != 0)
		return -1;
	return hint;
}

/* May injected calls be single-stepped?  Not if SIGTRAP is ignored. */
static bool
step_ok(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	unsigned long long ign;

	if (!proc)
		return false;
	if (proc->step_ok >= 0)
		return proc->step_ok;
	if (rt_procs_status(c->tid, "SigIgn", 16, &ign) < 0)
		return false;
	proc->step_ok = !(ign & (1ULL << (SIGTRAP - 1)));
	return proc->step_ok;
}


/*
 * With @donors, also another VMA of the inode (rt_vmas_donor()): only
 * where no descriptor reaches the file, as the alternative is to refuse.
 *
 * Where the first VMA itself maps the planned file offset, for a second
 * mapping of its very open file (mremap(src, 0, len, MREMAP_MAYMOVE)),
 * moved over the range: no descriptor at all, so nothing the program
 * could not reach, and the new piece is of the same struct file, so it
 * merges with its neighbours as the kernel's does.  A second mapping
 * starts at its source's offset and goes up from there, so the source
 * must map that offset.  Not for huge pages (alignment rules of their
 * own).  The piece keeps its source's VM flags: madvise hints the
 * kernel's own remap would drop stay (README, Differences).
 */
static int probe_here(struct rt_ctx *ctx, struct rt_call *c);
static int probe_at(struct rt_ctx *ctx, struct rt_call *c, uint64_t addr);

/*
 * May anything be locked in the caller's process?  Not before it made a
 * call that locks (lock_seen).  After one, where the kernel is asked from
 * here at no more than a system call (probe_here()), simply yes; else
 * VmLck says (a /proc read, once per call).
 */
static bool
something_locked(struct rt_ctx *ctx, struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	unsigned long long kb;

	if (proc && !proc->lock_seen)
		return false;
	if (rt_features_has(RT_FEAT_PROCESS_MADVISE))
		return true;
	if (!c->locked)
		c->locked = rt_procs_status(c->tid, "VmLck", 10, &kb) == 0 &&
			    !kb ? 1 : 2;
	return c->locked == 2;
}

#define RT_DUP_MAX_LEAD_PAGES	256

/*
 * May the caller lock without a limit (CAP_IPC_LOCK, or RLIMIT_MEMLOCK
 * unlimited: mlock_future_ok())?  Read once per process, again after a
 * change of its credentials, namespaces or limits (privilege.c).
 */
static bool
lock_unlimited(struct rt_call *c, struct rt_proc *proc)
{
	unsigned long long limit;

	if (proc->lock_unlimited < 0)
		proc->lock_unlimited =
			(rt_procs_soft_limit(c->tgid, "Max locked memory",
					     &limit) == 0 &&
			 limit == RLIM_INFINITY) ||
			rt_procs_init_cap(c->tid, CAP_IPC_LOCK);
	return proc->lock_unlimited;
}

/*
 * A donor lends its own VM_LOCKED; the kernel's remap gives the first
 * VMA's (MAP_LOCKED).  The piece can be given that after its move
 * (c->dup_lock): mlock sets VM_LOCKED without VM_LOCKONFAULT and
 * populates, as MAP_LOCKED does, and munlock clears both.  The kernel
 * checks the lock limit before it unmaps the range, the mlock after:
 * only where no limit applies.  Not while mlockall(MCL_FUTURE) makes
 * every new mapping locked its own way.  Returns whether the donor may
 * serve, having asked the kernel for the first VMA's VM_LOCKED.
 */
static bool
donor_lock_fixed(struct rt_ctx *ctx, struct rt_call *c, struct rt_proc *proc)
{
	int locked;

	if (c->dup_lock)
		return true;
	if (proc->mcl_future || !rt_features_has(RT_FEAT_PROCESS_MADVISE) ||
	    !lock_unlimited(c, proc))
		return false;
	locked = probe_here(ctx, c);
	if (locked < 0)
		return false;
	c->dup_lock = locked ? RT_DUP_MLOCK : RT_DUP_MUNLOCK;
	return true;
}

static bool
dup_src(struct rt_ctx *ctx, struct rt_call *c, bool donors,
	uint64_t *src, uint64_t *lead)
{
	const struct rt_vma *v = &c->v.first;
	const struct rt_plan *p = &c->v.plan;
	bool both_unlocked = false;
	struct rt_proc *proc;
	struct rt_vmas vs;
	int r;

	*src = *lead = 0;
	c->dup_narrow = false;
	if (v->flags & RT_VM_HUGETLB)
		return false;
	proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	/* (not a piece of shared memory that was mapped from a file the
	 * program opened anew: its own open file is sought below) */
	if (!(rt_shm_unnamed(v) && v->file_id) &&
	    p->offset >= v->offset && p->offset - v->offset < v->end - v->start) {
		*src = v->start + (p->offset - v->offset);
		/*
		 * It carries the first VMA's VM_LOCKED, and its
		 * VM_LOCKONFAULT too, which MAP_LOCKED does not give:
		 * given its lock again where that is exact.
		 */
		if (proc && proc->hidden_flags && something_locked(ctx, c))
			donor_lock_fixed(ctx, c, proc);
		return true;
	}
	/*
	 * Another VMA of the same inode may map it (a piece left by an
	 * earlier remap, usually): the same struct file but for an inode
	 * mapped through two open files (SysV shm attached twice), where
	 * the piece is of the other one (README, Differences).
	 */
	if (!proc || !donors)
		return false;
	/*
	 * Another VMA lends its own flags, the kernel would give the first
	 * one's: with hidden flags about, only where none can differ in
	 * VM_LOCKED (nothing locked: VmLck 0; or the lock given after, as
	 * donor_lock_fixed() says; or neither VMA locked, asked of the
	 * kernel, and no mlockall(MCL_FUTURE) to lock the kernel's new
	 * mapping).  The madvise hints are cleared anyway (hinted()).
	 */
	if (proc->hidden_flags && something_locked(ctx, c) &&
	    !donor_lock_fixed(ctx, c, proc)) {
		if (proc->mcl_future || probe_here(ctx, c) != 0)
			return false;
		both_unlocked = true;
	}
	rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc, &ctx->tr.ident);
	/* From a piece mapped from a file the program opened anew, which
	 * serves when no second mapping does, only a quick look. */
	r = rt_vmas_donor(&vs, v, p->offset, rt_shm_unnamed(v) && v->file_id,
			  src, lead, &c->dup_narrow);
	rt_vmas_close(&vs);
	if (r == 0 && both_unlocked && probe_at(ctx, c, *src) != 0)
		r = -ENOENT;
	/*
	 * The part before the offset is mapped for a moment (locked and
	 * populated too, from a VM_LOCKED source): a few pages only.
	 */
	if (r == 0 && *lead <= RT_DUP_MAX_LEAD_PAGES * ctx->page_size)
		return true;
	*src = *lead = 0;
	c->dup_narrow = false;
	return false;
}

/*
 * A second mapping is of the first VMA's very open file: its key, where
 * we know it for sure, names the new piece too (ident.c).
 */
static int64_t
dup_key(const struct rt_call *c)
{
	/* Shared memory no descriptor names: a donor no record vouches for
	 * (vmas.c), of an open file we hold no copy of. */
	if (rt_shm_unnamed(&c->v.first))
		return 0;
	return c->v.first.file_id_inferred ? 0 : (int64_t)c->v.first.file_id;
}

/*
 * The first VMA's flags are not all known (a process with hidden flags,
 * judged from PROCMAP_QUERY: vmas.c): only a second mapping of it carries
 * them all (VM_LOCKED, which the kernel's remap keeps with MAP_LOCKED,
 * among them).
 */
static bool
flags_unknown(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	return proc && proc->hidden_flags && !c->v.first.flags_exact;
}

/*
 * May a second mapping be preferred to the program's own open file when
 * the flags are not known?  Not after MADV_HUGEPAGE or NOHUGEPAGE: the
 * piece would keep a state no madvise clears (hinted() clears the rest).
 */
static bool
dup_first(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	return flags_unknown(ctx, c) && proc && !proc->thp_hinted;
}

/*
 * Is a second mapping to be tried before any descriptor?  Where the
 * flags are not known (dup_first()), and for shared memory no descriptor
 * names: only a second mapping is of its very open file, so the pieces
 * merge as the kernel's do; a file the program opened of it is the last
 * resort (get_file()).
 */
static bool
prefer_dup(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	return dup_first(ctx, c) ||
	       (rt_shm_unnamed(&c->v.first) && proc && !proc->thp_hinted &&
		!proc->noreserve_anon);
}

/*
 * May a second mapping preferred to a descriptor (prefer_dup()) be of
 * another VMA?  Only for shared memory no descriptor names: elsewhere the
 * program's own open file maps without a flag of another VMA's.
 */
static bool
prefer_donors(const struct rt_call *c)
{
	return rt_shm_unnamed(&c->v.first);
}

/*
 * With no descriptor of the program's (nor a copy of ours), must it open
 * the file anew before a second mapping is tried?  Where that would
 * carry a state nothing clears (hugepage advice, VM_NORESERVE) that a
 * fresh mapping lacks: the flags come first, the merging of its pieces
 * second (README, Differences).  A second mapping remains if it cannot.
 */
static bool
reopen_first(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	if (!proc)
		return false;
	return proc->thp_hinted || (rt_shm_unnamed(&c->v.first) ?
				    proc->noreserve_anon :
				    proc->noreserve_file);
}

/*
 * Is the first VMA's VM_LOCKED unknown, with something locked in the
 * process?  Of the flags a fresh mmap does not give itself, the plan
 * needs only VM_LOCKED (MAP_LOCKED; mlockall's MCL_FUTURE applies to our
 * mmap as to the kernel's); the thread itself then asks the kernel
 * (PLAN_PROBED), never smaps, which walks every VMA.
 */
static bool
lock_unknown(struct rt_ctx *ctx, struct rt_call *c)
{
	return flags_unknown(ctx, c) && something_locked(ctx, c);
}

/*
 * Before the answer, while the notification is pending: find the open
 * file and, unless the tracee's own descriptor will do, install ours
 * (NOTIF_ADDFD works only while the caller waits).  Returns 0 or -errno.
 */
static int
prepare(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	uint64_t src, lead;
	int r;

	e->probe_lock = lock_unknown(ctx, c);
	/* A second mapping of the first VMA carries every flag, and is of
	 * its very open file. */
	if (!e->have_file && prefer_dup(ctx, c) &&
	    dup_src(ctx, c, prefer_donors(c), &src, &lead)) {
		e->open_later = true;
		e->dup_preferred = true;
		e->key = dup_key(c);
		return 0;
	}
	r = e->have_file ? e->file_r : get_file(ctx, c, &e->key);
	if (r == -EPERM) {
		/* No descriptor of the program's: a second mapping, or the
		 * program opens the file itself. */
		e->open_later = true;
		e->key = dup_key(c);
		return 0;
	}
	if (r < 0)
		return r;
	e->tfd = own_fd(ctx, c, e->key);
	rt_call_phase(c, RT_PH_FILE);
	if (e->tfd >= 0)
		return 0;
	e->tfd = install_fd(ctx, c, rt_ident_key_fd(&ctx->tr.ident, e->key),
			    &e->saved, &e->raised);
	e->installed = e->tfd >= 0;
	if (e->installed)
		e->slot = rt_inherit_installed(ctx, c->tgid, e->tfd,
					       rt_ident_key_fd(&ctx->tr.ident,
							       e->key));
	return e->tfd < 0 ? e->tfd : 0;
}


/* Is the tracee's descriptor e->tfd still the one we installed? */
static bool
still_ours(struct rt_ctx *ctx, const struct rt_call *c, const struct rt_emu *e)
{
	int kfd = e->key > 0 ? rt_ident_key_fd(&ctx->tr.ident, e->key) : -1;

	/* No copy to compare with (no pidfd_getfd): checked by path only. */
	long r;

	if ((kfd < 0 && e->key <= 0) || !rt_features_has(RT_FEAT_KCMP))
		return true;
	r = syscall(SYS_kcmp, c->tid, ctx->self, KCMP_FILE, e->tfd, kfd);
	/*
	 * kcmp needs ptrace-read access: an unprivileged supervisor loses it
	 * when the program makes itself non-dumpable.  Unverifiable, then,
	 * as without pidfd_getfd; restarting would only install it again.
	 */
	return r == 0 || (r < 0 && errno == EPERM);
}

/* Does the planned range now map the first VMA's inode at pgoff? */
static bool
mapped_right(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	struct rt_vma_lookup lk;
	struct rt_vmas vs;
	struct rt_vma v;
	bool ok;

	if (!proc)
		return false;
	rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc, NULL);
	rt_vmas_lookup(&vs, &lk);
	ok = lk.find(lk.ctx, c->v.plan.addr, false, &v) == 0 &&
	     v.start <= c->v.plan.addr && v.ino == c->v.first.ino &&
	     v.dev_major == c->v.first.dev_major &&
	     v.dev_minor == c->v.first.dev_minor &&
	     v.offset + (c->v.plan.addr - v.start) == c->v.plan.offset;
	rt_vmas_close(&vs);
	return ok;
}

/*
 * mmap(2)'s arguments for the plan, mapping descriptor @fd, in ABI @A's
 * terms (i386: mmap2, its offset in 4096-byte units, 32-bit registers).
 * Returns 0, or -EOVERFLOW when they do not fit that ABI's registers.
 */
static int
plan_args(const struct rt_plan *p, const struct rt_arch *A, int fd,
	  uint64_t a[6])
{
	if (!A->native)
		return rt_remap_mmap_args(p, fd, A->mmap_mark,
					  A->mmap_offset_shift, A->word_bits,
					  a);
	a[0] = p->addr;
	a[1] = p->len;
	a[2] = (uint64_t)p->prot;
	a[3] = (uint64_t)p->flags | A->mmap_mark;
	a[4] = (uint64_t)fd;
	a[5] = p->offset;
	return 0;
}

/* What the call returns when the planned mmap returned @ret. */
static long
mmap_result(const struct rt_plan *p, long ret)
{
	return ret < 0 && ret > -4096 ? ret : (uint64_t)ret == p->addr ? 0 :
					      -EIO;
}

/* The mmap gave @result: the file's key is recorded for the range, or
 * let go; a failure is named. */
static void
keep_key(struct rt_ctx *ctx, struct rt_call *c, const struct rt_emu *e,
	 long result)
{
	const struct rt_plan *p = &c->v.plan;
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	/* The new piece may lend a second mapping later (vmas.c). */
	if (result == 0 && proc)
		rt_vmas_note_piece(proc, c->v.first.ino, p->offset, p->addr,
				   ctx->page_size);
	if (result == 0 && e->key > 0)
		rt_ident_record(&ctx->tr.ident, c->tgid, p->addr, p->len,
				p->offset, e->key);
	else if (result == 0)
		rt_ident_forget(&ctx->tr.ident, c->tgid, p->addr, p->len);
	else if (e->key > 0)
		rt_ident_put_unused(&ctx->tr.ident, e->key);
	if (result < 0 && !c->why)
		c->why = "mmap failed";
}

/* The outcome of an emulated call that returns @result. */
static enum rt_outcome
outcome_of(const struct rt_call *c, long result)
{
	return result == 0 ? RT_OUT_EMULATED :
	       c->v.action == RT_ACT_MUNMAP ? RT_OUT_REJECTED : RT_OUT_FAILED;
}

/*
 * May the source carry madvise hints the kernel's fresh mapping would not
 * have?  Only in a process that gave some (the filter hears of them).
 */
static bool
hinted(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);

	return proc && proc->hidden_flags;
}

/* The steps of plan_step(): what the last injected call was. */
enum {
	PLAN_START,
	PLAN_PROBED,		/* madvise(MADV_DONTNEED) asked for VM_LOCKED */
	PLAN_UNMAPPED,		/* munmap of a huge-page range: the call fails */
	PLAN_OPEN,		/* the tracee opens the file (fileobj.c) */
	PLAN_MAPPED,		/* the planned mmap */
	PLAN_CLOSED,		/* the installed descriptor closed again */
	DUP_MADE,		/* mremap(src, 0, lead + len, MAYMOVE) */
	DUP_HINTS,		/* madvise hints cleared on its piece */
	DUP_MOVED,		/* its piece moved over the range */
	DUP_TRIMMED,		/* the lead (or all, on failure) unmapped */
};

static int
sys(struct rt_sys *next, long nr, const uint64_t args[6])
{
	next->nr = nr;
	memcpy(next->args, args, sizeof(next->args));
	next->pc = 0;
	return RT_SYS_CALL;
}

/* The call that gives a donor's second mapping its lock, or 0. */
static long
lock_nr(const struct rt_call *c)
{
	return c->dup_lock == RT_DUP_MLOCK ? c->abi->nr_mlock :
	       c->dup_lock == RT_DUP_MUNLOCK ? c->abi->nr_munlock : 0;
}

/*
 * The ptrace way of a second mapping (as rt_agent_run_dup() does it):
 * mremap(src, 0, lead + len, MAYMOVE), the madvise hints of a hinted
 * process cleared on it, its part at @lead moved over the range, and the
 * rest unmapped.  e->result as mmap_result() gives it.
 */
static int
dup_step(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e, long ret,
	 struct rt_sys *next)
{
	static const int advice[RT_FRESH_ADVICE_N] = RT_FRESH_ADVICE;
	const struct rt_arch *a = c->abi;
	const struct rt_plan *p = &c->v.plan;
	uint64_t args[6] = { 0 };

	switch (e->pstep) {
	case DUP_MADE:
		if (ret < 0 && ret > -4096) {
			e->result = ret;
			keep_key(ctx, c, e, e->result);
			return RT_SYS_DONE;
		}
		e->scratch = (uint64_t)ret;
		e->hint = 0;
		e->pstep = DUP_HINTS;
		/* fall through */
	case DUP_HINTS:
		if (hinted(ctx, c) && e->hint < RT_FRESH_ADVICE_N) {
			uint64_t hint[6] = { e->scratch + e->lead, p->len,
					     (uint64_t)advice[e->hint++],
					     a->mremap_mark };

			return sys(next, a->nr_madvise, hint);
		}
		if (c->dup_narrow && e->hint < RT_FRESH_ADVICE_N + 1) {
			uint64_t pr[6] = { e->scratch + e->lead, p->len,
					   (uint64_t)p->prot, a->mremap_mark };

			e->hint = RT_FRESH_ADVICE_N + 1;	/* narrowed */
			return sys(next, a->nr_mprotect, pr);
		}
		if (lock_nr(c) && e->hint < RT_FRESH_ADVICE_N + 2) {
			uint64_t lk[6] = { e->scratch + e->lead, p->len,
					   a->mremap_mark };

			e->hint = RT_FRESH_ADVICE_N + 2;	/* locked */
			return sys(next, lock_nr(c), lk);
		}
		args[0] = e->scratch + e->lead;
		args[1] = args[2] = p->len;
		args[3] = MREMAP_MAYMOVE | MREMAP_FIXED;
		args[4] = p->addr;
		e->pstep = DUP_MOVED;
		return sys(next, a->nr_mremap, args);
	case DUP_MOVED:
		e->result = mmap_result(p, ret);
		c->how = RT_FILE_DUP;
		/* The part before @lead, or all of it when the move failed. */
		args[0] = e->scratch;
		args[1] = e->result == 0 ? e->lead : e->lead + p->len;
		e->pstep = DUP_TRIMMED;
		if (args[1])
			return sys(next, a->nr_munmap, args);
		/* fall through */
	default:
		keep_key(ctx, c, e, e->result);
		return RT_SYS_DONE;
	}
}

/*
 * Did the probe say VM_LOCKED (@ret: its result)?  EINVAL also comes from
 * VM_PFNMAP, which device files map: those are read from smaps, and as
 * the rule book does, never get MAP_LOCKED when VM_SPECIAL.
 */
static bool
probed_locked(struct rt_call *c, long ret)
{
	const struct rt_vma *v = &c->v.first;

	if (ret != -EINVAL)
		return false;
	/* Shared anonymous memory shows as "/dev/zero (deleted)". */
	if (strncmp(v->name, "/dev/", 5) || !strncmp(v->name, "/dev/shm/", 9) ||
	    !strncmp(v->name, "/dev/zero", 9))
		return true;
	return exact_flags(c) == 0 && (v->flags & RT_VM_LOCKED) &&
	       !(v->flags & (RT_VM_HUGETLB | RT_VM_SPECIAL));
}

/*
 * Ask for the first VMA's VM_LOCKED from here (RT_FEAT_PROCESS_MADVISE):
 * MADV_COLD refuses a VM_LOCKED VMA with EINVAL (can_madv_lru_vma()),
 * as the MADV_DONTNEED that the program's side runs otherwise does, and
 * elsewhere only moves the page the remap replaces next to the inactive
 * list.  Not for huge pages, which MADV_COLD refuses too.  Returns 1
 * (locked), 0, or -errno: ask on the program's side.
 */
static int
probe_here(struct rt_ctx *ctx, struct rt_call *c)
{
	return probe_at(ctx, c, c->v.plan.addr);
}

/* The same for the VMA at @addr: the first VMA, or another of its
 * inode (read as the first VMA's kind: not a device's). */
static int
probe_at(struct rt_ctx *ctx, struct rt_call *c, uint64_t addr)
{
	struct iovec iov = {
		.iov_base = (void *)(uintptr_t)addr,
		.iov_len = ctx->page_size,
	};
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	bool fresh;
	int pidfd;
	long r;

	if (!proc || !rt_features_has(RT_FEAT_PROCESS_MADVISE) ||
	    (c->v.first.flags & RT_VM_HUGETLB))
		return -EOPNOTSUPP;
	pidfd = rt_procs_own_pidfd(proc, &fresh);
	if (pidfd < 0)
		return pidfd;
	/* The pidfd is of the caller, not of a process that reused its id. */
	if (fresh && rt_seccomp_valid(ctx) < 0)
		return -ESRCH;
	r = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0);
	if (r < 0 && (errno == EPERM || errno == ESRCH || errno == ENOSYS))
		return -errno;
	return probed_locked(c, r < 0 ? -errno : r);
}

/*
 * Would the kernel's own call fail on the lock limit before it maps
 * anything?  Its do_mmap() carries the first VMA's VM_LOCKED (MAP_LOCKED)
 * and asks first (mm/mmap.c), without CAP_IPC_LOCK: for MAP_LOCKED,
 * can_do_mlock(), EPERM for a limit of 0; then, for VM_LOCKED from
 * MAP_LOCKED or from mlockall(MCL_FUTURE) (mm->def_flags),
 * mlock_future_ok(), EAGAIN for locked_vm plus the range, in pages, over
 * the limit; whatever file backs the range.  Asked only where remaptrace
 * reaches nothing to map, so that the program gets the kernel's errno
 * rather than remaptrace's EACCES; everywhere else the emulating mmap
 * meets the same checks.  With @count false, only the first check
 * (lock_forbidden()).  The limit is read anew each time (a prlimit from
 * elsewhere may have just lowered it); the first VMA's lock is asked of
 * the kernel only where the limit would refuse it.  Returns -EPERM,
 * -EAGAIN, or 0 (within the limit, or unsure), with c->why.
 */
static int
over_lock_limit(struct rt_ctx *ctx, struct rt_call *c, bool count)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, c->tgid);
	unsigned long long kb, limit;
	uint64_t pages;

	if (!proc || !(proc->lock_seen || proc->mcl_future) ||
	    lock_unlimited(c, proc) ||
	    rt_procs_soft_limit(c->tgid, "Max locked memory", &limit) < 0 ||
	    limit == RLIM_INFINITY)
		return 0;
	if (limit == 0 && proc->lock_seen && probe_here(ctx, c) == 1) {
		c->why = "RLIMIT_MEMLOCK is 0: the kernel's call fails so "
			 "before it maps anything (can_do_mlock())";
		return -EPERM;
	}
	if (!count || rt_procs_status(c->tgid, "VmLck", 10, &kb) < 0)
		return 0;
	pages = kb * 1024 / ctx->page_size + c->v.plan.len / ctx->page_size;
	if (pages <= limit / ctx->page_size ||
	    !(proc->mcl_future || (proc->lock_seen && probe_here(ctx, c) == 1)))
		return 0;
	c->why = "over RLIMIT_MEMLOCK: the kernel's call fails so before it "
		 "maps anything (mlock_future_ok())";
	return -EAGAIN;
}

/* What a call nothing reaches (@r: why) returns: EACCES (or EMFILE), or
 * the kernel's EPERM or EAGAIN where its lock limit would refuse the call
 * anyway, whatever kept remaptrace from the file. */
static long
refusal(struct rt_ctx *ctx, struct rt_call *c, int r)
{
	int limit = r != -ESRCH ? over_lock_limit(ctx, c, true) : 0;

	if (limit < 0)
		return limit;
	c->why = unreachable(r);
	return r == -EMFILE ? -EMFILE : -EACCES;
}

/* The tracee opened the file itself (fileobj.c): map from it. */
static int
opened(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	int kfd = e->open.fd;

	if (e->open.r < 0) {
		if (e->open.r == -ESRCH)
			return -ESRCH;
		/* Nothing safe reaches the file: refuse (unreachable()). */
		e->result = refusal(ctx, c, e->open.r);
		if (e->result == -EMFILE)
			e->result = -EACCES;
		return RT_SYS_DONE;
	}
	e->tfd = e->open.tfd;
	c->how = e->open.how;
	e->installed = true;
	e->slot = rt_inherit_installed(ctx, c->tgid, e->tfd, kfd);
	e->key = kfd < 0 ? 0 : rt_ident_adopt(&ctx->tr.ident, c->tgid, kfd);
	if (e->key < 0) {
		close(kfd);
		e->key = 0;
	}
	return 1;
}

/* The planned mmap ran (e->mmap_ret): judge it, keep its key. */
static int
mapped(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	const struct rt_plan *p = &c->v.plan;

	if (e->raised) {
		prlimit(c->tgid, RLIMIT_NOFILE, &e->saved, NULL);
		e->raised = false;
	}
	e->result = mmap_result(p, e->mmap_ret);
	if (e->installed && (e->disturbed || e->result == -EBADF ||
			     (e->result == 0 && !mapped_right(ctx, c)))) {
		/*
		 * The kernel's call takes no descriptor, so nothing the
		 * program does with descriptors may change its outcome:
		 * make the call again (the thread re-executes it; a wrong
		 * mapping left meanwhile is replaced by the next attempt).
		 */
		c->why = "another thread changed the installed descriptor "
			 "during the call";
		e->restart = true;
		if (e->key > 0)
			rt_ident_put_unused(&ctx->tr.ident, e->key);
		return RT_SYS_DONE;
	}
	keep_key(ctx, c, e, e->result);
	return RT_SYS_DONE;
}

/*
 * In the stop: the plan's calls, one at a time.  Asked again with each
 * call's result @ret.  Returns RT_SYS_CALL (*next), RT_SYS_DONE
 * (e->result: what the call returns; e->restart), or -ESRCH.
 */
static int
plan_step(struct rt_ctx *ctx, struct rt_call_job *cj, long ret,
	  struct rt_sys *next)
{
	struct rt_call *c = &cj->c;
	struct rt_emu *e = &cj->e;
	const struct rt_plan *p = &c->v.plan;
	const struct rt_arch *A = c->abi;
	uint64_t a[6];
	int r;

	/* (a descriptor still to be found is checked as 0: it fits) */
	r = plan_args(p, A, e->tfd < 0 ? 0 : e->tfd, a);
	if (r < 0 && e->pstep == PLAN_START) {
		/* mmap2 cannot name the offset (a compat call past 2^44). */
		c->why = "the offset does not fit the caller's mmap2";
		e->result = r;
		return RT_SYS_DONE;
	}
	switch (e->pstep) {
	case PLAN_START:
		if (c->v.action == RT_ACT_MUNMAP) {
			e->result = -c->v.err;
			e->pstep = PLAN_UNMAPPED;
			return sys(next, A->nr_munmap, a);
		}
		if (e->open_later &&
		    (e->dup_preferred || !reopen_first(ctx, c)) &&
		    dup_src(ctx, c, e->dup_preferred ? prefer_donors(c) : true,
			    &e->src, &e->lead)) {
			uint64_t dup[6] = { e->src, 0, e->lead + p->len,
					    MREMAP_MAYMOVE,
					    A->mremap_mark };

			e->pstep = DUP_MADE;
			return sys(next, A->nr_mremap, dup);
		}
		if (e->probe_lock) {
			int locked = probe_here(ctx, c);

			if (locked >= 0) {
				e->probe_lock = false;
				if (locked)
					c->v.plan.flags |= MAP_LOCKED;
			}
		}
		if (e->probe_lock) {
			/*
			 * MADV_DONTNEED refuses a VM_LOCKED VMA with EINVAL
			 * (madvise_dontneed_free_valid_vma()) and elsewhere
			 * only drops the page table entries of a page the mmap
			 * replaces next: the data of a shared mapping stays.
			 */
			uint64_t probe[6] = { p->addr, ctx->page_size,
					      MADV_DONTNEED,
					      A->mremap_mark };

			e->pstep = PLAN_PROBED;
			return sys(next, A->nr_madvise, probe);
		}
		/* fall through */
	case PLAN_PROBED:
		if (e->pstep == PLAN_PROBED && probed_locked(c, ret))
			c->v.plan.flags |= MAP_LOCKED;
		plan_args(p, A, e->tfd, a);
		if (!e->open_later)
			goto map;
		rt_fileobj_open_begin(&e->open, c->tid, A,
				      &cj->job.in.saved, &c->v.first,
				      ctx->base_filters);
		e->pstep = PLAN_OPEN;
		/* fall through */
	case PLAN_OPEN:
		if (rt_fileobj_open_step(&e->open, ret, next) == RT_SYS_CALL)
			return RT_SYS_CALL;
		/* Nothing reaches it anew: a second mapping, flags and all,
		 * rather than no mapping (reopen_first()). */
		if (e->open.r < 0 && e->open.r != -ESRCH &&
		    reopen_first(ctx, c) &&
		    dup_src(ctx, c, true, &e->src, &e->lead)) {
			uint64_t dup[6] = { e->src, 0, e->lead + p->len,
					    MREMAP_MAYMOVE, A->mremap_mark };

			e->pstep = DUP_MADE;
			return sys(next, A->nr_mremap, dup);
		}
		r = opened(ctx, c, e);
		if (r <= 0)
			return r;
		plan_args(p, A, e->tfd, a);
	map:
		e->pstep = PLAN_MAPPED;
		return sys(next, A->nr_mmap, a);
	case PLAN_MAPPED:
		e->mmap_ret = ret;
		e->pstep = PLAN_CLOSED;
		if (e->installed) {
			/*
			 * Another thread may have closed the number, or
			 * dup2()ed its own file onto it, meanwhile: then it
			 * is not ours to close, and the mmap may have used
			 * the wrong file.
			 */
			e->disturbed = !still_ours(ctx, c, e);
			if (!e->disturbed) {
				uint64_t ca[6] = { (uint64_t)e->tfd };

				return sys(next, A->nr_close, ca);
			}
		}
		/* fall through */
	case PLAN_CLOSED:
		if (e->installed) {
			rt_inherit_closed(ctx, e->slot);
			e->slot = -1;
		}
		return mapped(ctx, c, e);
	case PLAN_UNMAPPED:
		return RT_SYS_DONE;
	default:
		return dup_step(ctx, c, e, ret, next);
	}
}

/*
 * The agent's way (rt_agent.h): the mmap runs in the helper process that
 * shares the caller's memory, from a descriptor in the helper's own table,
 * and the caller, never stopped, is simply answered.  Decide whether it
 * may, and with what: returns 0, or -EAGAIN for the ptrace way, with
 * whatever open file was found here kept in @e.
 */
static int
agent_plan(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	/* The agent's code is the native ABI's: another ABI's calls go
	 * the ptrace way (its numbers, its syscall instruction). */
	if (ctx->opt.stack_trace || c->retried || !c->abi->native ||
	    !rt_agent_ready(ctx, c->tgid))
		return -EAGAIN;
	if (c->v.action == RT_ACT_MUNMAP)
		return 0;
	/*
	 * MAP_LOCKED is judged against the mapping task's RLIMIT_MEMLOCK
	 * and CAP_IPC_LOCK (mlock_future_ok()): the agent's are copies of
	 * the program's (clone() copies the limits), and it is dropped
	 * before the program changes either (privilege.c).  O(1) while
	 * nothing is locked; else the VM_LOCKED the plan needs is asked of
	 * the kernel first (RT_CALL_AGENT_PROBE), unless a second mapping of
	 * the first VMA carries it anyway.
	 */
	e->probe_lock = lock_unknown(ctx, c);
	e->have_file = true;
	if (prefer_dup(ctx, c) &&
	    dup_src(ctx, c, prefer_donors(c), &e->src, &e->lead))
		e->file_r = -EPERM;
	else
		e->file_r = get_file(ctx, c, &e->key);
	if (e->file_r == -EPERM && !e->src &&
	    (reopen_first(ctx, c) || !dup_src(ctx, c, true, &e->src, &e->lead)))
		return -EAGAIN;
	if (e->file_r < 0 && e->file_r != -EPERM)
		return -EAGAIN;
	e->key_id = e->file_r < 0 ? 0 : (uint64_t)e->key;
	/* get_file() may have read the exact flags meanwhile. */
	e->probe_lock = lock_unknown(ctx, c);
	rt_call_phase(c, RT_PH_FILE);
	return 0;
}

/* The agent asks the kernel for the first VMA's VM_LOCKED (PLAN_PROBED
 * tells how).  Returns as agent_send(). */
static int
agent_probe(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	uint64_t probe[6] = { c->v.plan.addr, ctx->page_size, MADV_DONTNEED,
			      rt_arch_native.mremap_mark };
	int r;

	r = rt_agent_run(ctx, c->tgid, rt_arch_native.nr_madvise, probe, 0, 0,
			 0, NULL);
	if (r == 0)
		e->agent_pid = rt_agent_pid(ctx, c->tgid);
	return r;
}

/* Send the request(s).  Returns 0, -EINPROGRESS (the agent cannot take
 * them yet), or another -errno for the ptrace way. */
static int
agent_send(struct rt_ctx *ctx, struct rt_call *c, struct rt_emu *e)
{
	const struct rt_plan *p = &c->v.plan;
	uint64_t a[6], answer_id = rt_agent_direct(ctx) ? ctx->req->id : 0;
	struct rt_span_job span = {
		.read = c->span, .maps = c->v.action == RT_ACT_MMAP,
		.addr = p->addr, .len = p->len, .offset = p->offset,
		.ino = c->v.first.ino, .dev_major = c->v.first.dev_major,
		.dev_minor = c->v.first.dev_minor,
	};
	int r;

	plan_args(p, &rt_arch_native, 0, a);	/* the agent puts its slot in */
	e->answered = answer_id != 0;
	if (e->src) {
		r = rt_agent_run_dup(ctx, c->tgid, e->src, e->lead, p->len,
				     p->addr, hinted(ctx, c),
				     c->dup_narrow ? p->prot : -1, lock_nr(c),
				     answer_id,
				     c->span.any ? &span : NULL);
	} else {
		r = rt_agent_run(ctx, c->tgid, c->v.action == RT_ACT_MUNMAP ?
				 rt_arch_native.nr_munmap :
				 rt_arch_native.nr_mmap, a, e->key_id,
				 answer_id, c->v.action == RT_ACT_MUNMAP ?
				 -(int64_t)c->v.err : 0,
				 c->span.any ? &span : NULL);
	}
	if (r == 0 && e->src) {
		e->key = dup_key(c);
		c->how = RT_FILE_DUP;
	}
	if (r == 0)
		e->agent_pid = rt_agent_pid(ctx, c->tgid);
	return r;
}

/*
 * The agent ran it (@ret: the mmap's or the move's raw result, unless it
 * answered the caller itself): the verdict.
 */
static void
agent_done(struct rt_ctx *ctx, struct rt_call_job *cj, long ret)
{
	struct rt_call *c = &cj->c;
	struct rt_emu *e = &cj->e;
	long result;

	rt_call_phase(c, RT_PH_INJECT);
	/*
	 * Answered by the agent itself: the outcome is the expected one
	 * (an mmap that fails there is accounted for when its result is
	 * read, retire() in agent.c), and the record stale if it failed.
	 */
	if (c->v.action == RT_ACT_MUNMAP)
		result = -c->v.err;
	else if (e->answered)
		result = 0;
	else
		result = mmap_result(&c->v.plan, ret);
	if (c->v.action == RT_ACT_MMAP)
		keep_key(ctx, c, e, result);
	c->by_agent = true;
	c->mmap_ns = e->answered ? 0 : c->ph[RT_PH_INJECT];
	c->result = result;
	c->outcome = outcome_of(c, result);
	if (e->answered)
		cj->pd.what = RT_PEND_NONE;
	else
		rt_call_decide(&cj->pd, (int)-result, false);
	cj->job.step = RT_CALL_ANSWERED;
}

/* The agent's way failed (@r): the ptrace way, unless the caller died. */
static void
agent_failed(struct rt_ctx *ctx, struct rt_call_job *cj, int r)
{
	struct rt_call *c = &cj->c;

	cj->job.step = RT_CALL_PTRACE;
	if (r == -ESRCH && rt_seccomp_valid(ctx) < 0) {
		/* The process died while its agent ran the call. */
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		cj->job.step = RT_CALL_REPORT;
	}
}

/* The ptrace way failed before the caller was caught: answer @r. */
static void
refuse(struct rt_ctx *ctx, struct rt_call_job *cj, int r)
{
	struct rt_call *c = &cj->c;
	struct rt_emu *e = &cj->e;

	rt_freeze_thaw(&cj->job.freeze);
	if (e->raised)
		prlimit(c->tgid, RLIMIT_NOFILE, &e->saved, NULL);
	e->raised = false;
	c->outcome = r == -ESRCH ? RT_OUT_GONE : RT_OUT_FAILED;
	c->result = refusal(ctx, c, r);
	rt_call_decide(&cj->pd, (int)-c->result, false);
	cj->job.step = RT_CALL_ANSWERED;
}

/* The plan is done (@r: 0, or why the injection failed). */
static void
plan_done(struct rt_ctx *ctx, struct rt_call_job *cj, int r)
{
	struct rt_call *c = &cj->c;
	struct rt_emu *e = &cj->e;
	struct rt_job *job = &cj->job;

	if (e->raised)
		prlimit(c->tgid, RLIMIT_NOFILE, &e->saved, NULL);
	e->raised = false;
	if (e->slot >= 0)
		rt_inherit_closed(ctx, e->slot);
	e->slot = -1;
	rt_freeze_thaw(&job->freeze);
	rt_call_phase(c, RT_PH_INJECT);
	c->mmap_ns = c->ph[RT_PH_INJECT];
	c->stops = job->in.stops;
	job->step = RT_CALL_REPORT;
	if (r == -ESRCH || !job->in.stopped) {
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		return;
	}
	if (r == 0 && e->restart) {
		cj->pd.what = RT_PEND_RESUME;
		cj->pd.restart = true;
		c->outcome = RT_OUT_RESTARTED;
		ctx->tr.retry.active = true;
		ctx->tr.retry.tid = c->tid;
		ctx->tr.retry.args = c->args;
		ctx->tr.retry.v = c->v;
		return;
	}
	if (r < 0) {
		e->result = -ENOSYS;
		c->why = "injection failed";
	}
	cj->pd.what = RT_PEND_RESUME;
	cj->pd.resume_val = e->result;
	c->result = e->result;
	c->outcome = outcome_of(c, e->result);
	/* Stopped anyway: next time, the agent's way. */
	if (r == 0 && c->outcome == RT_OUT_EMULATED && c->abi->native) {
		memset(&e->spawn, 0, sizeof(e->spawn));
		job->step = RT_CALL_SPAWN;
	}
}

/* The plan's or the spawn's next call, or the next step of the job. */
static void
go_on(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_job *job = &cj->job;
	struct rt_sys next;
	int r;

	switch (job->step) {
	case RT_CALL_PLAN:
		if (job->err) {
			plan_done(ctx, cj, job->err);
			return;
		}
		r = plan_step(ctx, cj, job->ret, &next);
		if (r == RT_SYS_CALL)
			rt_job_call(job, &next);
		else
			plan_done(ctx, cj, r);
		return;
	case RT_CALL_SPAWN:
		if (!job->err &&
		    rt_agent_spawn_step(ctx, &cj->e.spawn, &job->in, job->ret,
					&next) == RT_SYS_CALL) {
			rt_job_call(job, &next);
			return;
		}
		job->step = RT_CALL_REPORT;
		return;
	}
}

/*
 * The kernel's first check of a locked range, can_do_mlock() (EPERM under
 * a lock limit of 0), asked before any way is tried: a second mapping
 * would meet only mremap's count of the limit (EAGAIN).
 */
static bool
lock_forbidden(struct rt_ctx *ctx, struct rt_call *c)
{
	return c->v.action == RT_ACT_MMAP &&
	       over_lock_limit(ctx, c, false) == -EPERM;
}

void
rt_emulate(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_emu *e = &cj->e;
	int r;

	memset(e, 0, sizeof(*e));
	e->tfd = -1;
	e->slot = -1;
	rt_call_phase(c, RT_PH_LOOKUP);
	if (lock_forbidden(ctx, c)) {
		c->result = -EPERM;
		c->outcome = RT_OUT_FAILED;
		rt_call_decide(&cj->pd, EPERM, false);
		cj->job.step = RT_CALL_ANSWERED;
		return;
	}
	r = agent_plan(ctx, c, e);
	cj->job.step = r == 0 ? RT_CALL_AGENT : RT_CALL_PTRACE;
}

void
rt_emulate_resume(struct rt_ctx *ctx, struct rt_call_job *cj)
{
	struct rt_call *c = &cj->c;
	struct rt_job *job = &cj->job;
	long ret;
	int r;

	switch (job->step) {
	case RT_CALL_AGENT:
		if (cj->e.probe_lock && !cj->e.src && !cj->e.probed) {
			r = probe_here(ctx, c);
			if (r >= 0) {
				cj->e.probed = true;
				if (r)
					c->v.plan.flags |= MAP_LOCKED;
			}
		}
		if (cj->e.probe_lock && !cj->e.src && !cj->e.probed) {
			r = agent_probe(ctx, c, &cj->e);
			if (r == -EINPROGRESS) {
				job->wait = RT_JOB_AGENT;
			} else if (r < 0) {
				agent_failed(ctx, cj, r);
			} else {
				job->step = RT_CALL_AGENT_PROBE;
				job->wait = RT_JOB_AGENT;
			}
			return;
		}
		r = agent_send(ctx, c, &cj->e);
		if (r == -EINPROGRESS) {
			job->wait = RT_JOB_AGENT;
		} else if (r < 0) {
			agent_failed(ctx, cj, r);
		} else if (cj->e.answered) {
			agent_done(ctx, cj, 0);
		} else {
			job->step = RT_CALL_AGENT_RESULT;
			job->wait = RT_JOB_AGENT;
		}
		return;
	case RT_CALL_AGENT_PROBE:
		r = rt_agent_result(ctx, c->tgid, cj->e.agent_pid, false, &ret);
		if (r == -EINPROGRESS) {
			job->wait = RT_JOB_AGENT;
		} else if (r < 0) {
			agent_failed(ctx, cj, r);
		} else {
			cj->e.probed = true;
			if (probed_locked(c, ret))
				c->v.plan.flags |= MAP_LOCKED;
			job->step = RT_CALL_AGENT;
		}
		return;
	case RT_CALL_AGENT_RESULT:
		r = rt_agent_result(ctx, c->tgid, cj->e.agent_pid,
				    cj->e.src != 0, &ret);
		if (r == -EINPROGRESS)
			job->wait = RT_JOB_AGENT;
		else if (r < 0)
			agent_failed(ctx, cj, r);
		else
			agent_done(ctx, cj, ret);
		return;
	case RT_CALL_PTRACE:
		/* The ptrace way runs in its own order: after the agent's. */
		if (!rt_agent_idle(ctx, c->tgid)) {
			job->wait = RT_JOB_AGENT;
			return;
		}
		/*
		 * First make sure the thread is ours to stop: one that
		 * another tracer took over (a debugger attached to it after
		 * we let go) can only have its valid call run by the kernel.
		 * An interrupt left pending by a failure below only makes the
		 * thread stop once more on its way out, which the loop
		 * resumes.
		 *
		 * Without WAIT_KILLABLE_RECV (before 5.19) the interrupt
		 * aborts the notification the thread waits in, and ADDFD then
		 * finds no caller: the file is installed first there.
		 */
		if (!ctx->killable_recv && !c->retried &&
		    c->v.action == RT_ACT_MMAP) {
			r = prepare(ctx, c, &cj->e);
			if (r < 0) {
				refuse(ctx, cj, r);
				return;
			}
			cj->e.prepared = true;
		}
		if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0) {
			c->outcome = RT_OUT_PASSED;
			c->why = "not traced by remaptrace";
			rt_call_decide(&cj->pd, 0, true);
			job->step = RT_CALL_ANSWERED;
			return;
		}
		rt_call_phase(c, RT_PH_STOP);
		job->step = RT_CALL_FROZEN;
		/* A retry is not left to chance again: the other threads
		 * wait. */
		if (c->retried && rt_procs_nthreads(&ctx->tr.procs, c->tgid) > 1 &&
		    rt_freeze_others(&job->freeze, &ctx->tr.procs, c->tgid,
				     c->tid) > 0) {
			job->wait = RT_JOB_FROZEN;
			return;
		}
		/* fall through */
	case RT_CALL_FROZEN:
		r = c->v.action == RT_ACT_MMAP && !cj->e.prepared ?
		    prepare(ctx, c, &cj->e) : 0;
		if (r < 0) {
			refuse(ctx, cj, r);
			return;
		}
		/* Provisional answer; the stop that follows gets the real
		 * one.  ENOENT means the wait was aborted: the stop shows
		 * that too. */
		rt_seccomp_answer(ctx, 0, 0, false);
		rt_call_phase(c, RT_PH_INSTALL);
		job->step = RT_CALL_CAUGHT;
		rt_job_catch(job, c->tid, step_ok(ctx, c));
		return;
	case RT_CALL_CAUGHT:
		rt_call_phase(c, RT_PH_STOP);
		if (job->err) {
			plan_done(ctx, cj, job->err);
			return;
		}
		if (ctx->opt.stack_trace &&
		    rt_call_stack(c, &job->in, &cj->pd.stack) == 0)
			c->stack = cj->pd.stack;
		job->step = RT_CALL_PLAN;
		job->ret = 0;
		go_on(ctx, cj);
		return;
	default:
		go_on(ctx, cj);
		return;
	}
}
