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
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/kcmp.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_tracer.h"
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
	rt_vmas_close(&vs);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (v.start != c->v.first.start || v.ino != c->v.first.ino)
		return -ESTALE;		/* changed under us */
	c->v.first.flags = v.flags;
	c->v.first.flags_exact = true;
	return 0;
}

/* Why no way reached the file, for the log (issue 4: say what was missing). */
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
	tfd = rt_notify_addfd(ctx, fd);
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
	return rt_notify_addfd(ctx, fd);
}

/*
 * The open file to map: the one the tracee's mmap was seen with (the
 * kernel's vma->vm_file itself), else one reached by fileobj.c, which
 * becomes known from now on.  *key: its identity key.
 */
static int
get_file(struct rt_ctx *ctx, struct rt_call *c, int64_t *key)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
	_cleanup_close_ int pidfd = -1;
	int r, fd, tfd;

	/* vmas.c vouched for it: same inode, offset and access mode; unless
	 * the process has changed its rights since (privilege.c). */
	if (c->v.first.file_id && proc && !proc->keys_revoked) {
		c->how = c->v.first.file_id_inferred ? RT_FILE_INFERRED :
						       RT_FILE_FOLLOWED;
		*key = (int64_t)c->v.first.file_id;
		return 0;
	}
	/* Without pidfd_open (ENOSYS: a tool that runs us does not know
	 * it, valgrind 3.19), only the ways that need no pidfd remain. */
	pidfd = rt_notify_pidfd(c->tid);
	if ((pidfd < 0 && pidfd != -ENOSYS) || rt_notify_id_valid(ctx) < 0)
		return -ESRCH;
	/* The fallbacks must match flags PROCMAP_QUERY does not show
	 * (VM_MAYEXEC: a noexec mount of the same inode): get them all. */
	r = exact_flags(c);
	if (r < 0)
		return r;
	r = rt_fileobj_get(c->tid, pidfd, &c->v.first, &fd, &c->how, &tfd);
	if (r < 0)
		return r;
	*key = rt_ident_adopt(&ctx->ident, fd);
	if (*key < 0) {
		close(fd);
		return (int)*key;
	}
	if (c->how == RT_FILE_TRACEE_FD)
		rt_ident_set_fd_hint(&ctx->ident, c->tgid, *key, tfd);
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
	int hint = rt_ident_fd_hint(&ctx->ident, c->tgid, key);

	if (hint < 0 || rt_procs_nthreads(&ctx->procs, c->tgid) != 1 ||
	    !rt_features_has(RT_FEAT_KCMP))
		return -1;
	if (syscall(SYS_kcmp, c->tid, ctx->self, KCMP_FILE, hint,
		    rt_ident_key_fd(&ctx->ident, key)) != 0)
		return -1;
	return hint;
}

/* May injected calls be single-stepped?  Not if SIGTRAP is ignored. */
static bool
step_ok(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
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
 * Emulate a valid call in the tracee: on return c->result and c->outcome
 * are set, and the thread waits in a ptrace-stop (RT_PEND_RESUME) or for its
 * answer (RT_PEND_RESPOND), unless it vanished.
 */
/* What one emulation has set up in the tracee, to use and undo. */
struct emu {
	bool disturbed;		/* the installed descriptor was replaced */
	int slot;		/* its inherit.c record, or -1 */
	bool restart;		/* make the thread issue the call again */
	int64_t key;		/* identity key of the open file, or 0 */
	int tfd;		/* the descriptor the mmap uses, or -1 */
	bool installed;		/* tfd is ours to close afterwards */
	bool open_later;	/* the tracee must open the file itself */
	bool raised;		/* RLIMIT_NOFILE raised: put saved back */
	struct rlimit saved;
	bool have_file;		/* get_file() ran already: file_r, key */
	int file_r;
};

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
/* Is anything locked in the caller's process?  (VmLck, O(1), once.) */
static bool
something_locked(struct rt_call *c)
{
	unsigned long long kb;

	if (!c->locked)
		c->locked = rt_procs_status(c->tid, "VmLck", 10, &kb) == 0 &&
			    !kb ? 1 : 2;
	return c->locked == 2;
}

#define RT_DUP_MAX_LEAD_PAGES	256

static bool
dup_src(struct rt_ctx *ctx, struct rt_call *c, bool donors,
	uint64_t *src, uint64_t *lead)
{
	const struct rt_vma *v = &c->v.first;
	const struct rt_plan *p = &c->v.plan;
	struct rt_proc *proc;
	struct rt_vmas vs;
	int r;

	*src = *lead = 0;
	if (v->flags & RT_VM_HUGETLB)
		return false;
	if (p->offset >= v->offset && p->offset - v->offset < v->end - v->start) {
		*src = v->start + (p->offset - v->offset);
		return true;
	}
	/*
	 * Another VMA of the same inode may map it (a piece left by an
	 * earlier remap, usually): the same struct file but for an inode
	 * mapped through two open files (SysV shm attached twice), where
	 * the piece is of the other one (README, Differences).
	 */
	proc = rt_procs_proc(&ctx->procs, c->tgid);
	if (!proc || !donors)
		return false;
	/*
	 * Another VMA lends its own flags, the kernel would give the first
	 * one's: with hidden flags about, only where none can differ in
	 * VM_LOCKED (nothing locked: VmLck 0); the madvise hints are cleared
	 * anyway (hinted()).
	 */
	if (proc->hidden_flags && something_locked(c))
		return false;
	rt_vmas_init(&vs, c->tid, c->tgid, ctx->page_size, proc, &ctx->ident);
	r = rt_vmas_donor(&vs, v, p->offset, src, lead);
	rt_vmas_close(&vs);
	/*
	 * The part before the offset is mapped for a moment (locked and
	 * populated too, from a VM_LOCKED source): a few pages only.
	 */
	if (r == 0 && *lead <= RT_DUP_MAX_LEAD_PAGES * ctx->page_size)
		return true;
	*src = *lead = 0;
	return false;
}

/*
 * A second mapping is of the first VMA's very open file: its key, where
 * we know it for sure, names the new piece too (ident.c).
 */
static int64_t
dup_key(const struct rt_call *c)
{
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
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);

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
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);

	return flags_unknown(ctx, c) && proc && !proc->thp_hinted;
}

/*
 * No second mapping will do after all: read the first VMA's flags in full
 * (smaps) and give the plan the MAP_LOCKED the rule book would have
 * (emu/validate.c: never on hugetlb or VM_SPECIAL VMAs).
 */
static int
exact_plan(struct rt_call *c)
{
	uint64_t f;
	int r;

	/*
	 * Of the flags a fresh mmap does not give itself, the plan needs
	 * only VM_LOCKED (MAP_LOCKED; mlockall's MCL_FUTURE applies to our
	 * mmap as to the kernel's).  Nothing locked in the process: nothing
	 * to read (VmLck, O(1), instead of smaps, which walks every VMA).
	 */
	if (!something_locked(c))
		return 0;
	r = exact_flags(c);
	f = c->v.first.flags;
	if (r < 0)
		return r;
	if ((f & RT_VM_LOCKED) && !(f & (RT_VM_HUGETLB | RT_VM_SPECIAL)))
		c->v.plan.flags |= MAP_LOCKED;
	return 0;
}

/*
 * Before the answer, while the notification is pending: find the open
 * file and, unless the tracee's own descriptor will do, install ours
 * (NOTIF_ADDFD works only while the caller waits).  Returns 0 or -errno.
 */
static int
prepare(struct rt_ctx *ctx, struct rt_call *c, struct emu *e)
{
	uint64_t src, lead;
	int r;

	if (!e->have_file && flags_unknown(ctx, c)) {
		r = exact_plan(c);
		if (r < 0)
			return r;
		/* Nothing locked: a second mapping carries every flag. */
		if (dup_first(ctx, c) && dup_src(ctx, c, true, &src, &lead)) {
			e->open_later = true;
			e->key = dup_key(c);
			return 0;
		}
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
	rt_notify_phase(c, RT_PH_FILE);
	if (e->tfd >= 0)
		return 0;
	e->tfd = install_fd(ctx, c, rt_ident_key_fd(&ctx->ident, e->key),
			    &e->saved, &e->raised);
	e->installed = e->tfd >= 0;
	if (e->installed)
		e->slot = rt_inherit_installed(ctx, c->tgid, e->tfd,
					       rt_ident_key_fd(&ctx->ident,
							       e->key));
	return e->tfd < 0 ? e->tfd : 0;
}


/* Is the tracee's descriptor e->tfd still the one we installed? */
static bool
still_ours(struct rt_ctx *ctx, const struct rt_call *c, const struct emu *e)
{
	int kfd = e->key > 0 ? rt_ident_key_fd(&ctx->ident, e->key) : -1;

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
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
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

/* mmap(2)'s arguments for the plan, mapping descriptor @fd. */
static void
plan_args(const struct rt_plan *p, int fd, uint64_t a[6])
{
	a[0] = p->addr;
	a[1] = p->len;
	a[2] = (uint64_t)p->prot;
	a[3] = (uint64_t)p->flags | rt_arch_native.mmap_mark;
	a[4] = (uint64_t)fd;
	a[5] = p->offset;
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
keep_key(struct rt_ctx *ctx, struct rt_call *c, const struct emu *e,
	 long result)
{
	const struct rt_plan *p = &c->v.plan;
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);

	/* The new piece may lend a second mapping later (vmas.c). */
	if (result == 0 && proc)
		rt_vmas_note_piece(proc, c->v.first.ino, p->offset, p->addr,
				   ctx->page_size);
	if (result == 0 && e->key > 0)
		rt_ident_record(&ctx->ident, c->tgid, p->addr, p->len,
				p->offset, e->key);
	else if (e->key > 0)
		rt_ident_put_unused(&ctx->ident, e->key);
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
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);

	return proc && proc->hidden_flags;
}

/* The ptrace way of the same: *result as mmap_result() gives it. */
static int
run_dup(struct rt_ctx *ctx, struct rt_call *c, struct rt_inject *in,
	uint64_t src, uint64_t lead, long *result)
{
	const struct rt_arch *a = &rt_arch_native;
	const struct rt_plan *p = &c->v.plan;
	uint64_t dup[6] = { src, 0, lead + p->len, MREMAP_MAYMOVE,
			    a->mremap_mark };
	uint64_t move[6] = { 0, p->len, p->len,
			     MREMAP_MAYMOVE | MREMAP_FIXED, p->addr };
	uint64_t unmap[6] = { 0, lead + p->len };
	static const int advice[RT_FRESH_ADVICE_N] = RT_FRESH_ADVICE;
	long scratch, ret;
	unsigned int i;
	int r;

	r = rt_inject_call(ctx, in, a->nr_mremap, dup, &scratch);
	if (r < 0)
		return r;
	if (scratch < 0 && scratch > -4096) {
		*result = scratch;
		return 0;
	}
	move[0] = (uint64_t)scratch + lead;
	unmap[0] = (uint64_t)scratch;
	for (i = 0; hinted(ctx, c) && i < RT_FRESH_ADVICE_N; i++) {
		uint64_t hint[6] = { move[0], p->len, (uint64_t)advice[i],
				     a->mremap_mark };

		r = rt_inject_call(ctx, in, a->nr_madvise, hint, &ret);
		if (r < 0)
			return r;
	}
	r = rt_inject_call(ctx, in, a->nr_mremap, move, &ret);
	if (r < 0)
		return r;
	*result = mmap_result(p, ret);
	/* The part before @lead, or all of it when the move failed. */
	if (*result == 0)
		unmap[1] = lead;
	if (unmap[1])
		r = rt_inject_call(ctx, in, a->nr_munmap, unmap, &ret);
	c->how = RT_FILE_DUP;
	return r;
}

/*
 * In the stop: run the plan.  *result gets what the call returns.
 * Returns 0, or -errno when the injection itself failed (-ESRCH: gone).
 */
static int
run_plan(struct rt_ctx *ctx, struct rt_call *c, struct rt_inject *in,
	 struct emu *e, long *result)
{
	const struct rt_plan *p = &c->v.plan;
	uint64_t a[6], ca[6] = { 0 }, src, lead;
	long ret, cr;
	int r, kfd;

	plan_args(p, 0, a);
	if (c->v.action == RT_ACT_MUNMAP) {
		*result = -c->v.err;
		return rt_inject_call(ctx, in, rt_arch_native.nr_munmap, a,
				      &ret);
	}
	if (e->open_later && dup_src(ctx, c, true, &src, &lead)) {
		r = run_dup(ctx, c, in, src, lead, result);
		if (r == 0)
			keep_key(ctx, c, e, *result);
		return r;
	}
	if (e->open_later) {
		r = rt_fileobj_open_in_tracee(ctx, in, &c->v.first, &e->tfd,
					      &kfd, &c->how);
		if (r == -ESRCH)
			return r;
		if (r < 0) {
			/* Nothing safe reaches the file: refuse (issue 4). */
			c->why = unreachable(r);
			*result = -EACCES;
			return 0;
		}
		e->installed = true;
		e->slot = rt_inherit_installed(ctx, c->tgid, e->tfd, kfd);
		e->key = kfd < 0 ? 0 : rt_ident_adopt(&ctx->ident, kfd);
		if (e->key < 0) {
			close(kfd);
			e->key = 0;
		}
	}
	a[4] = (uint64_t)e->tfd;
	r = rt_inject_call(ctx, in, rt_arch_native.nr_mmap, a, &ret);
	if (r == 0 && e->installed) {
		/*
		 * Another thread may have closed the number, or dup2()ed its
		 * own file onto it, meanwhile: then it is not ours to close,
		 * and the mmap may have used the wrong file.
		 */
		e->disturbed = !still_ours(ctx, c, e);
		ca[0] = (uint64_t)e->tfd;
		if (!e->disturbed)
			r = rt_inject_call(ctx, in, rt_arch_native.nr_close,
					   ca, &cr);
		rt_inherit_closed(ctx, e->slot);
	}
	if (e->raised)
		prlimit(c->tgid, RLIMIT_NOFILE, &e->saved, NULL);
	if (r < 0)
		return r;
	*result = mmap_result(p, ret);
	if (e->installed && (e->disturbed || *result == -EBADF ||
			     (*result == 0 && !mapped_right(ctx, c)))) {
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
			rt_ident_put_unused(&ctx->ident, e->key);
		return 0;
	}
	keep_key(ctx, c, e, *result);
	return 0;
}

/*
 * The agent's way (rt_agent.h): the mmap runs in the helper process that
 * shares the caller's memory, from a descriptor in the helper's own table,
 * and the caller, never stopped, is simply answered.  Returns 0 when the
 * call was served so; otherwise the ptrace way follows, with whatever open
 * file was found here kept in @e.
 */
static int
by_agent(struct rt_ctx *ctx, struct rt_call *c, struct rt_pending *pd,
	 struct emu *e)
{
	const struct rt_plan *p = &c->v.plan;
	uint64_t a[6], answer_id = rt_agent_direct(ctx) ? ctx->req->id : 0;
	struct rt_span_job span = {
		.read = c->span, .maps = c->v.action == RT_ACT_MMAP,
		.addr = p->addr, .len = p->len, .offset = p->offset,
		.ino = c->v.first.ino, .dev_major = c->v.first.dev_major,
		.dev_minor = c->v.first.dev_minor,
	};
	long nr = rt_arch_native.nr_mmap, ret = 0, result;
	uint64_t key_id = 0, src = 0, lead = 0;
	int r;

	if (ctx->opt.stack_trace || c->retried ||
	    !rt_agent_ready(ctx, c->tgid))
		return -EAGAIN;
	if (c->v.action == RT_ACT_MUNMAP) {
		nr = rt_arch_native.nr_munmap;
	} else {
		/* mlock limits are checked against the mapping task's own
		 * RLIMIT_MEMLOCK: only the caller's is the program's. */
		if (p->flags & MAP_LOCKED)
			return -EAGAIN;
		/* O(1) while nothing is locked; else the VM_LOCKED the plan
		 * and its log line need, from smaps. */
		if (flags_unknown(ctx, c) && exact_plan(c) < 0)
			return -EAGAIN;
		if (p->flags & MAP_LOCKED)
			return -EAGAIN;
		e->have_file = true;
		if (dup_first(ctx, c) && dup_src(ctx, c, true, &src, &lead))
			e->file_r = -EPERM;
		else
			e->file_r = get_file(ctx, c, &e->key);
		if (e->file_r == -EPERM && !src &&
		    !dup_src(ctx, c, true, &src, &lead))
			return -EAGAIN;
		if (e->file_r < 0 && e->file_r != -EPERM)
			return -EAGAIN;
		key_id = e->file_r < 0 ? 0 : (uint64_t)e->key;
	}
	rt_notify_phase(c, RT_PH_FILE);
	plan_args(p, 0, a);	/* the agent puts its slot in */
	if (src) {
		e->key = dup_key(c);
		r = rt_agent_run_dup(ctx, c->tgid, src, lead, p->len, p->addr,
				     hinted(ctx, c),
				     answer_id, c->span.any ? &span : NULL,
				     &ret);
		c->how = RT_FILE_DUP;
	} else {
		r = rt_agent_run(ctx, c->tgid, nr, a, key_id, answer_id,
				 c->v.action == RT_ACT_MUNMAP ?
				 -(int64_t)c->v.err : 0,
				 c->span.any ? &span : NULL, &ret);
	}
	rt_notify_phase(c, RT_PH_INJECT);
	if (r < 0)
		return r;	/* the ptrace way (again, if it ran) */
	/*
	 * Answered by the agent itself: the outcome is the expected one
	 * (an mmap that fails there is accounted for when its result is
	 * read, rt_agent_settle()), and the record stale if it failed.
	 */
	if (c->v.action == RT_ACT_MUNMAP)
		result = -c->v.err;
	else if (answer_id)
		result = 0;
	else
		result = mmap_result(p, ret);
	if (c->v.action == RT_ACT_MMAP)
		keep_key(ctx, c, e, result);
	c->by_agent = true;
	c->mmap_ns = answer_id ? 0 : c->ph[RT_PH_INJECT];
	c->result = result;
	c->outcome = outcome_of(c, result);
	if (answer_id)
		pd->what = RT_PEND_NONE;
	else
		rt_notify_answer(pd, (int)-result, false);
	return 0;
}

void
rt_emulate(struct rt_ctx *ctx, struct rt_call *c, struct rt_pending *pd)
{
	struct rt_inject *in = &pd->in;
	struct emu e = { .tfd = -1, .slot = -1 };
	long result = -ENOSYS;
	bool frozen = false;
	int r = 0;

	rt_notify_phase(c, RT_PH_LOOKUP);
	r = by_agent(ctx, c, pd, &e);
	if (r == 0)
		return;
	if (r == -ESRCH && rt_notify_id_valid(ctx) < 0) {
		/* The process died while its agent ran the call. */
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		return;
	}
	r = 0;
	/* The ptrace way runs in its own order: after the agent's. */
	rt_agent_wait(ctx, c->tgid);
	/*
	 * First make sure the thread is ours to stop: one that another
	 * tracer took over (a debugger attached to it after we let go) can
	 * only have its valid call run by the kernel.  An interrupt left
	 * pending by a failure below only makes the thread stop once more
	 * on its way out, which the loop resumes.
	 */
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0) {
		c->outcome = RT_OUT_PASSED;
		c->why = "not traced by remaptrace";
		rt_notify_answer(pd, 0, true);
		return;
	}
	rt_notify_phase(c, RT_PH_STOP);
	/* A retry is not left to chance again: the other threads wait. */
	if (c->retried && rt_procs_nthreads(&ctx->procs, c->tgid) > 1)
		frozen = rt_freeze_others(ctx, c->tgid, c->tid) == 0;
	if (c->v.action == RT_ACT_MMAP)
		r = prepare(ctx, c, &e);
	if (r < 0) {
		if (frozen)
			rt_freeze_thaw(ctx);
		if (e.raised)
			prlimit(c->tgid, RLIMIT_NOFILE, &e.saved, NULL);
		c->outcome = r == -ESRCH ? RT_OUT_GONE : RT_OUT_FAILED;
		c->why = unreachable(r);
		c->result = r == -EMFILE ? -EMFILE : -EACCES;
		rt_notify_answer(pd, (int)-c->result, false);
		return;
	}

	/* Provisional answer; the stop that follows gets the real one.
	 * ENOENT means the wait was aborted: the stop shows that too. */
	rt_notify_respond(ctx, 0, 0, false);
	rt_notify_phase(c, RT_PH_INSTALL);
	r = rt_inject_begin(ctx, c->tid, in, step_ok(ctx, c));
	rt_notify_phase(c, RT_PH_STOP);
	if (r == 0 && ctx->opt.stack_trace &&
	    rt_stack_capture(c->tid, &pd->stack) == 0)
		c->stack = &pd->stack;
	if (r == 0)
		r = run_plan(ctx, c, in, &e, &result);
	if (frozen)
		rt_freeze_thaw(ctx);
	rt_notify_phase(c, RT_PH_INJECT);
	c->mmap_ns = c->ph[RT_PH_INJECT];
	c->stops = in->stops;
	if (r == -ESRCH || !in->stopped) {
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		return;
	}
	if (r == 0 && e.restart) {
		pd->what = RT_PEND_RESUME;
		pd->restart = true;
		c->outcome = RT_OUT_RESTARTED;
		ctx->retry.active = true;
		ctx->retry.tid = c->tid;
		ctx->retry.args = c->args;
		ctx->retry.v = c->v;
		return;
	}
	if (r < 0) {
		result = -ENOSYS;
		c->why = "injection failed";
	}
	pd->what = RT_PEND_RESUME;
	pd->resume_val = result;
	c->result = result;
	c->outcome = outcome_of(c, result);
	/* Stopped anyway: next time, the agent's way. */
	if (r == 0 && c->outcome == RT_OUT_EMULATED)
		rt_agent_spawn(ctx, in);
}

