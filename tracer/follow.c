/* follow.c - the calls the filter sends besides remap_file_pages:
 * shared mmaps and mremap duplicates (which open file backs which range,
 * ident.c), calls that can hide VM flags or change SIGTRAP's disposition
 * (how vmas.c and inject.c must work), and PTRACE_TRACEME.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kcmp.h>

#include "rt_agent.h"
#include "rt_compat.h"
#include "rt_features.h"
#include "rt_job.h"
#include "rt_follow.h"
#include "rt_ident.h"
#include "rt_inject.h"
#include "rt_privilege.h"
#include "rt_seccomp.h"
#include "rt_util.h"

/* mmap flags that give a shared mapping no VM flag PROCMAP_QUERY hides */
#define RT_PLAIN_MAP_FLAGS (MAP_SHARED | MAP_SHARED_VALIDATE | MAP_FIXED | \
			    MAP_FIXED_NOREPLACE | MAP_POPULATE | \
			    MAP_NONBLOCK | MAP_ANONYMOUS | MAP_DENYWRITE | \
			    MAP_EXECUTABLE | MAP_FILE)

static void
mark_hidden_flags(struct rt_ctx *ctx, pid_t tgid, uint64_t map_flags)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, tgid);

	if (proc) {
		proc->hidden_flags = true;
		proc->lock_seen |= !!(map_flags & MAP_LOCKED);
		/* (/dev/zero's: follow_mmap()) */
		if (map_flags & MAP_NORESERVE) {
			if (map_flags & MAP_ANONYMOUS)
				proc->noreserve_anon = true;
			else
				proc->noreserve_file = true;
		}
	}
}

/* The calls this file follows, each a job while its thread is caught. */
enum follow_what { FOLLOW_MMAP, FOLLOW_MREMAP, FOLLOW_ATTACH, FOLLOW_TRACEME };

/* The steps of a follow job. */
enum {
	FOLLOW_CAUGHT,		/* the caller is caught after its call */
	FOLLOW_PROBED,		/* attach: the caller's permission probe ran */
	FOLLOW_TARGET,		/* attach: the target is caught */
};

struct follow_job {
	struct rt_job job;
	enum follow_what what;
	struct seccomp_data d;	/* the call */
	/* its arguments as the kernel takes them (cut to the ABI's width),
	 * an mmap2's offset in bytes */
	uint64_t args[6];
	int kfd;		/* mmap: our copy of its open file, or -1 */
	pid_t target;		/* attach: whom */
	struct rt_inject caller;	/* attach: the caller, while the target
					 * is caught */
	const char *why;
};

static const struct rt_job_kind follow_kind;

/*
 * The arguments of call @d as the kernel takes them: cut to its ABI's
 * register width (an i386 call's, though seccomp_data shows whole
 * registers), an mmap2's page offset made bytes.
 */
static void
call_args(const struct seccomp_data *d, uint64_t args[6])
{
	const struct rt_arch *abi = rt_arch_abi_call(d->arch, (int)d->nr);

	if (!abi)
		abi = &rt_arch_native;
	rt_arch_abi_cut_args(abi, (const uint64_t *)d->args, args);
	if (d->nr == abi->nr_mmap)
		args[5] <<= abi->mmap_offset_shift;
}

static struct follow_job *
new_job(struct rt_ctx *ctx, pid_t tid, enum follow_what what)
{
	struct follow_job *fj = calloc(1, sizeof(*fj));
	const struct rt_arch *abi;

	if (!fj)
		return NULL;
	fj->job.kind = &follow_kind;
	fj->job.tid = tid;
	fj->job.tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	fj->what = what;
	fj->d = ctx->req->data;
	call_args(&fj->d, fj->args);
	abi = rt_arch_abi_call(fj->d.arch, (int)fj->d.nr);
	/* Its thread is caught in that ABI's call (inject.c). */
	fj->job.in.abi = abi && !abi->native ? abi : NULL;
	fj->kfd = -1;
	return fj;
}

/*
 * Let the kernel run the call of the current notification, catching the
 * thread on its way out: the interrupt is pending before the answer, so
 * the thread stops before any of its own code runs.  The job resumes in
 * that stop (FOLLOW_CAUGHT), where the result is in the registers.  When
 * the call could only be let through, or the thread is gone, the job is
 * dropped.
 */
static void
continue_caught(struct rt_ctx *ctx, struct follow_job *fj)
{
	bool interrupted;

	interrupted = ptrace(PTRACE_INTERRUPT, fj->job.tid, NULL, NULL) == 0;
	if (rt_seccomp_answer(ctx, 0, 0, true) < 0 || !interrupted) {
		if (fj->kfd >= 0)
			close(fj->kfd);
		free(fj);
		return;
	}
	fj->job.step = FOLLOW_CAUGHT;
	rt_job_catch(&fj->job, fj->job.tid, false);
	rt_job_start(ctx, &fj->job);
}

/*
 * A shared mmap of a file by the tracee (tracer/ident.c): take its open
 * file with pidfd_getfd, let the kernel run the mmap with the thread
 * interrupted, and in the stop that follows read the address it returned.
 * The descriptor number could be swapped by another thread between our
 * pidfd_getfd and the kernel's fget (the notification's known TOCTOU);
 * that only mislabels the tracee's own mapping and is checked against
 * the inode when used.
 */
/*
 * i386's and arm's old mmap(struct mmap_arg_struct *) take their six
 * arguments from memory (mm/mmap.c: old_mmap()), where the filter cannot
 * look: every call is sent, and the arguments are read here as the
 * kernel will read them, the offset in bytes.  Another thread may change
 * them before the kernel does; that only mislabels the program's own
 * mapping, as a swapped descriptor does (below).  Returns 0 or -errno.
 */
static int
old_mmap_args(pid_t tid, uint64_t args[6])
{
	uint32_t a[6];
	struct iovec l = { a, sizeof(a) };
	struct iovec r = { (void *)(uintptr_t)args[0], sizeof(a) };
	int i;

	if (process_vm_readv(tid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(a))
		return -EFAULT;
	for (i = 0; i < 6; i++)
		args[i] = a[i];
	return 0;
}

/* Filesystems whose regular files map as mmap(2) promises (no hugetlb
 * alignment, no pseudo-files without mmap). */
static bool
maps_plainly(int kfd)
{
	static const unsigned long magic[] = {
		0x01021994,	/* tmpfs, shmem: memfd, /dev/shm */
		0x858458f6,	/* ramfs */
		0xef53,		/* ext2, ext3, ext4 */
		0x58465342,	/* xfs */
		0x9123683e,	/* btrfs */
		0xf2f52010,	/* f2fs */
		0x794c7630,	/* overlayfs */
	};
	struct statfs sf;

	if (fstatfs(kfd, &sf) < 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(magic); i++)
		if ((unsigned long)sf.f_type == magic[i])
			return true;
	return false;
}

/* vm.mmap_min_addr: a MAP_FIXED mmap below it is refused (EPERM). */
static uint64_t
mmap_min_addr(void)
{
	static uint64_t min = 1;	/* 1: not read yet */
	unsigned long long v;
	FILE *f;

	if (min != 1)
		return min;
	min = UINT64_MAX;	/* unread: no MAP_FIXED mmap is sure */
	f = fopen("/proc/sys/vm/mmap_min_addr", "re");
	if (f) {
		if (fscanf(f, "%llu", &v) == 1)
			min = v;
		fclose(f);
	}
	return min;
}

/* Is RLIMIT_AS unlimited for @proc?  Asked of the kernel each time where
 * we may (the same ids), else read once from /proc, again after the
 * process changes a limit (privilege.c). */
static bool
as_unlimited(struct rt_proc *proc)
{
	unsigned long long as;
	struct rlimit rl;

	if (prlimit(proc->tgid, RLIMIT_AS, NULL, &rl) == 0)
		return rl.rlim_cur == RLIM_INFINITY;
	if (proc->as_unlimited < 0)
		proc->as_unlimited =
			rt_procs_soft_limit(proc->tgid, "Max address space",
					    &as) == 0 && as == RLIM_INFINITY;
	return proc->as_unlimited;
}

/* An inode made append-only (chattr +a) refuses a shared mapping through
 * any open file that may write (mm/mmap.c): false where unsure. */
static bool
not_append_only(int kfd)
{
	int flags = 0;

	if (ioctl(kfd, FS_IOC_GETFLAGS, &flags) == 0)
		return !(flags & FS_APPEND_FL);
	/* a filesystem without inode flags has none to set */
	return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL;
}

#define SURE_MAX_LEN	(64ULL << 30)	/* far below any free span */

/*
 * Will the kernel's mmap(@a) of our copy @kfd (@st) map?  (*@flp: its
 * F_GETFL, once asked.)  Only where no
 * failure can be foreseen from here: a copy left unplaced lives until the
 * next placement, and the open file with it (an flock(2) held, a pipe's
 * end of file), where a failed mmap's would have been let go at once.
 * What is checked, of mm/mmap.c and mm/shmem.c: a call of the native ABI
 * (a 32-bit address space fills); a regular file on a filesystem that
 * maps plainly, opened for reading only or for reading and writing
 * (writable: not appending, its inode not append-only, to map it
 * writable), not sealed against writing; a length below SURE_MAX_LEN and
 * an offset within the largest file (EOVERFLOW); a MAP_FIXED address
 * aligned, above vm.mmap_min_addr, within the task's range, in a process
 * that never called mseal; no flag that can fail on a limit (MAP_LOCKED,
 * MAP_FIXED_NOREPLACE), no mlockall(MCL_FUTURE) in force and no
 * RLIMIT_AS; no PROT_EXEC (a noexec mount).  Left: running out of memory
 * or of mappings (vm.max_map_count), a security module's refusal, a seal
 * added by another process meanwhile, and an RLIMIT_AS lowered from
 * outside the traced tree in a process whose limits we may not read with
 * prlimit(2) (README, Differences).
 */
static bool
surely_maps(struct rt_ctx *ctx, pid_t tgid, const uint64_t a[6], int kfd,
	    const struct stat *st, bool native, int *flp)
{
	const uint64_t page = ctx->page_size, top = 0x7ffffffff000ULL;
	uint64_t len = (a[1] + page - 1) & ~(page - 1);
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, tgid);
	int fl, acc, seals;

	if (!native || !S_ISREG(st->st_mode) || !proc || proc->mcl_future)
		return false;
	if ((a[2] & ~(uint64_t)(PROT_READ | PROT_WRITE)) ||
	    (a[3] & ~(uint64_t)(MAP_SHARED | MAP_SHARED_VALIDATE | MAP_FIXED |
				MAP_POPULATE | MAP_NONBLOCK | MAP_NORESERVE)))
		return false;
	if (!len || len > SURE_MAX_LEN || (a[5] & (page - 1)) ||
	    a[5] > (uint64_t)INT64_MAX - len)
		return false;
	if ((a[3] & MAP_FIXED) &&
	    ((a[0] & (page - 1)) || a[0] < mmap_min_addr() ||
	     a[0] > top - len || proc->seal_seen))
		return false;
	*flp = fl = fcntl(kfd, F_GETFL);
	acc = fl & (O_ACCMODE | O_PATH);
	if (fl < 0 || (acc != O_RDONLY && acc != O_RDWR))
		return false;
	if ((a[2] & PROT_WRITE) && (acc != O_RDWR || (fl & O_APPEND)))
		return false;
	if (!maps_plainly(kfd) || (acc == O_RDWR && !not_append_only(kfd)))
		return false;
	if (a[2] & PROT_WRITE) {
		seals = fcntl(kfd, F_GET_SEALS);
		if (seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
			return false;
	}
	return as_unlimited(proc);
}

/*
 * @key: what adopting our copy *@kfd of the open file a shared mmap of
 * @tgid maps, by its descriptor @tfd, gave.  A key (> 0): *@kfd is then
 * ident's, and @tfd its hint; else *@kfd is still ours to close.
 */
static int64_t
keep_copy(struct rt_ctx *ctx, pid_t tgid, int *kfd, int tfd, int64_t key)
{
	if (key <= 0)
		return key;
	*kfd = -1;
	rt_ident_set_fd_hint(&ctx->tr.ident, tgid, (uint64_t)key, tfd);
	return key;
}

/* The mapping of key @key was noted (@r 0), or the key goes unused. */
static void
kept(struct rt_ctx *ctx, int64_t key, int r)
{
	if (r == 0)
		ctx->stats.mmaps_followed++;
	else
		rt_ident_put_unused(&ctx->tr.ident, (uint64_t)key);
}

/*
 * May a shared mmap of thread @tid of @tgid go on uncaught, to be placed
 * later from the kernel's own word (ident.c, place())?  Where the kernel
 * can be asked, and the mmap will surely map (surely_maps()).  Only in a
 * process whose end remaptrace will see (a traced thread: not one let go
 * or never traced, whose copy would be kept to remaptrace's end; caught,
 * its copy goes when the stop fails).  Only one
 * thread's mmaps wait to be placed at a time (rt_ident_may_leave()): a
 * placement forgets them only at that thread's own next call.  And in a
 * process of one traced thread: another thread's calls would place
 * again and again, and forget nothing, while these wait.
 */
static bool
may_leave_unplaced(struct rt_ctx *ctx, pid_t tid, pid_t tgid,
		   const uint64_t a[6], int kfd, const struct stat *st,
		   bool native, int *flp)
{
	return rt_features_has(RT_FEAT_VMFILE_ITER) &&
	       rt_procs_traced(&ctx->tr.procs, tid) &&
	       rt_procs_nthreads(&ctx->tr.procs, tgid) == 1 &&
	       rt_ident_may_leave(&ctx->tr.ident, tgid, tid) &&
	       surely_maps(ctx, tgid, a, kfd, st, native, flp);
}

/*
 * There, an mmap is only noted: its open file is kept (*@kfd is taken;
 * @st and @fl are what its checks asked of it) and the call goes on
 * without a stop after it.
 */
static void
follow_unplaced(struct rt_ctx *ctx, pid_t tid, pid_t tgid, long nr, int *kfd,
		int tfd, const struct stat *st, int fl)
{
	int64_t key;

	rt_ident_before_unplaced(&ctx->tr.ident, tgid, tid);
	key = keep_copy(ctx, tgid, kfd, tfd,
			rt_ident_adopt_lazy(&ctx->tr.ident, tgid, *kfd, tfd,
					    st, fl));

	if (key > 0)
		kept(ctx, key, rt_ident_unplaced(&ctx->tr.ident, tgid, tid, nr,
						 (uint64_t)key));
}

/*
 * A pidfd for the caller's descriptor table, checked to be of the
 * caller: the process's own, kept (procs.c), where the caller leads it
 * (its table); else one of the thread, opened for the call (*@opened,
 * the caller closes it).  Returns the pidfd or -errno.
 */
static int
caller_pidfd(struct rt_ctx *ctx, pid_t tid, pid_t tgid, int *opened)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->tr.procs, tgid);
	bool fresh = true;
	int pidfd;

	if (tgid < 0)
		return -ESRCH;
	if (proc && tid == tgid) {
		pidfd = rt_procs_own_pidfd(proc, &fresh);
	} else {
		pidfd = rt_procs_pidfd(tid);
		*opened = pidfd;
	}
	/* (a pidfd kept since a call was pending is of the caller) */
	if (pidfd < 0 || (fresh && rt_seccomp_valid(ctx) < 0))
		return -ESRCH;
	return pidfd;
}

static void
follow_mmap(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	const struct rt_arch *abi = rt_arch_abi_call(d->arch, (int)d->nr);
	bool old = abi && (long)d->nr == abi->nr_old_mmap;
	_cleanup_close_ int pidfd = -1, kfd = -1;
	struct follow_job *fj;
	bool file_nr = false;
	uint64_t args[6];
	struct stat st;
	pid_t tgid;
	int r, fl = -1;

	call_args(d, args);
	/* (an old mmap that is not shared, or unreadable: the kernel's) */
	if (old && (old_mmap_args(tid, args) < 0 || !(args[3] & MAP_SHARED))) {
		rt_seccomp_answer(ctx, 0, 0, true);
		return;
	}
	tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	/* A file's MAP_NORESERVE is noted once it is known to be no
	 * /dev/zero's (shared anonymous memory's, below); where that cannot
	 * be known, as a file's. */
	if (!(args[3] & MAP_ANONYMOUS) && (args[3] & MAP_NORESERVE)) {
		file_nr = true;
		args[3] &= ~(uint64_t)MAP_NORESERVE;
	}
	if ((args[3] & ~RT_PLAIN_MAP_FLAGS) && tgid > 0)
		mark_hidden_flags(ctx, tgid, args[3]);
	/* Shared anonymous memory has no descriptor to follow. */
	if (!ctx->ptrace_ok || (args[3] & MAP_ANONYMOUS))
		goto plain;
	if (!rt_features_has(RT_FEAT_PIDFD_GETFD))
		goto plain;
	r = caller_pidfd(ctx, tid, tgid, &pidfd);
	if (r < 0)
		goto plain;
	kfd = syscall(SYS_pidfd_getfd, r, (int)args[4], 0);
	/* /dev/zero is replaced by a new shmem file: nothing to follow. */
	if (kfd < 0 || fstat(kfd, &st) < 0)
		goto plain;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5)) {
		if (file_nr)
			mark_hidden_flags(ctx, tgid, MAP_NORESERVE | MAP_ANONYMOUS);
		file_nr = false;
		goto plain;
	}
	if (file_nr)
		mark_hidden_flags(ctx, tgid, MAP_NORESERVE);
	file_nr = false;
	if (may_leave_unplaced(ctx, tid, tgid, args, kfd, &st,
			       !abi || abi->native, &fl)) {
		follow_unplaced(ctx, tid, tgid, (long)d->nr, &kfd,
				(int)args[4], &st, fl);
		goto plain;
	}
	fj = new_job(ctx, tid, FOLLOW_MMAP);
	if (!fj)
		goto plain;
	if (old)
		memcpy(fj->args, args, sizeof(args));
	fj->kfd = kfd;
	kfd = -1;
	continue_caught(ctx, fj);
	return;
plain:
	if (file_nr && tgid > 0)
		mark_hidden_flags(ctx, tgid, MAP_NORESERVE);
	rt_seccomp_answer(ctx, 0, 0, true);
}

/* The mmap ran (@ret): which open file backs the new range. */
static void
mmap_done(struct rt_ctx *ctx, struct follow_job *fj, long ret)
{
	const uint64_t *a = fj->args;
	int64_t key;

	/* A failed mmap's copy goes before the thread goes on: its next
	 * close may be the open file's last (an flock(2) released). */
	if (ret < 0 && ret >= -4095) {
		close(fj->kfd);
		fj->kfd = -1;
		return;
	}
	key = keep_copy(ctx, fj->job.tgid, &fj->kfd, (int)a[4],
			rt_ident_adopt(&ctx->tr.ident, fj->job.tgid,
				       fj->kfd));
	if (key > 0)
		kept(ctx, key, rt_ident_record(&ctx->tr.ident, fj->job.tgid,
					       (uint64_t)ret,
					       (a[1] + ctx->page_size - 1) &
					       ~(uint64_t)(ctx->page_size - 1),
					       a[5], key));
}

/*
 * mremap(old, 0, len, MAYMOVE...) duplicates a shared mapping: the new
 * range maps the same open file.  Run it with the thread interrupted and
 * record where it landed.
 */
static void
follow_mremap(struct rt_ctx *ctx, pid_t tid)
{
	struct follow_job *fj;

	if (!ctx->ptrace_ok || rt_procs_tgid(&ctx->tr.procs, tid) < 0 ||
	    !(fj = new_job(ctx, tid, FOLLOW_MREMAP))) {
		rt_seccomp_answer(ctx, 0, 0, true);
		return;
	}
	continue_caught(ctx, fj);
}

void
rt_follow_gone(struct rt_ctx *ctx, pid_t tgid)
{
	rt_procs_drop_proc(&ctx->tr.procs, tgid);
	rt_ident_drop(&ctx->tr.ident, tgid);
	rt_agent_drop(ctx, tgid, 0);
}

/*
 * Stop tracing the stopped thread of @in, and say so in the log.  With
 * it the last traced thread of its process, remaptrace will not see the
 * process end: what it kept of it goes now (an flock(2) of a mapped
 * file it held a copy of, for one).
 */
static int
let_go(struct rt_ctx *ctx, struct rt_inject *in, const char *why)
{
	pid_t tgid = rt_procs_tgid_known(&ctx->tr.procs, in->tid);
	char line[320];
	int n, r;

	r = rt_inject_detach(in);
	if (r < 0)
		return r;
	rt_procs_del(&ctx->tr.procs, in->tid);
	if (tgid > 0 && !rt_procs_nthreads(&ctx->tr.procs, tgid))
		rt_follow_gone(ctx, tgid);
	if (ctx->tr.ntracees)
		ctx->tr.ntracees--;
	n = snprintf(line, sizeof(line), "[pid %d] %s: remaptrace lets go "
		     "of this thread so that it can be traced; its "
		     "remap_file_pages calls now go to the kernel\n",
		     in->tid, why);
	if (!ctx->opt.quiet && n > 0 && write(fileno(ctx->out.log), line, n) < 0)
		return 0;
	return 0;
}

/* Is @tid traced by remaptrace now (TracerPid in /proc/TID/status)? */
static bool
ours(const struct rt_ctx *ctx, pid_t tid)
{
	unsigned long long v;

	return rt_procs_status(tid, "TracerPid", 10, &v) == 0 &&
	       (pid_t)v == ctx->self;
}

/* Does @tid see the pid namespace remaptrace sees?  Then a pid it passes
 * to ptrace names the task that pid names for us. */
static bool
same_pid_ns(pid_t tid)
{
	unsigned long long ns = rt_procs_ns(tid, "pid");

	return ns && ns == rt_procs_ns(0, "pid");
}

/* An address in the kernel's half: no process maps it, so reading it
 * fails with EFAULT, after every permission check has passed. */
#define RT_UNMAPPED_ADDR (1ULL << 63)

/*
 * Ask the kernel whether the stopped caller of @in may attach @target: the
 * caller itself runs process_vm_readv(target, 1 byte at RT_UNMAPPED_ADDR).
 * mm_access() checks ptrace_may_access(target,
 * PTRACE_MODE_ATTACH_REALCREDS) before any memory is read: the very check
 * ptrace_attach() makes before it looks at whether the target has a tracer
 * already (__ptrace_may_access(): the caller's real uid and gid against
 * the target's real, effective and saved ones, the target's dumpable
 * flag, CAP_SYS_PTRACE in the target's user namespace, then the LSMs,
 * Yama's ptrace_scope among them, with the caller's ancestry).  Nothing is
 * mirrored from /proc, so nothing can disagree with the kernel.  A refusal
 * is EPERM (mm_access()'s EACCES, made EPERM); a permission, EFAULT.
 * The iovecs go below the red zone of the caller's stack.
 * Returns 0 when permitted, -EPERM when refused, another -errno when the
 * answer is unknown.
 */
static int
probe_attach(const struct rt_inject *in, pid_t target, struct rt_sys *next)
{
	struct probe {
		struct iovec local, remote;
		uint64_t byte;
	} p;
	struct iovec l = { .iov_base = &p, .iov_len = sizeof(p) }, r;
	uint64_t at;

	at = (rt_arch_sp(&in->saved) - rt_arch_red_zone - sizeof(p)) & ~15ULL;
	p = (struct probe){
		.local = { (void *)(at + offsetof(struct probe, byte)), 1 },
		.remote = { (void *)RT_UNMAPPED_ADDR, 1 },
	};
	r = (struct iovec){ .iov_base = (void *)at, .iov_len = sizeof(p) };
	if (process_vm_writev(in->tid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(p))
		return errno == ESRCH ? -ESRCH : -EFAULT;
	*next = (struct rt_sys){
		.nr = rt_arch_native.nr_process_vm_readv,
		.args = { (uint64_t)target,
			  at + offsetof(struct probe, local), 1,
			  at + offsetof(struct probe, remote), 1, 0 },
	};
	return 0;
}

/* What the probe's result @ret says: 0 permitted, -EPERM refused, or
 * another -errno when unknown. */
static int
probe_verdict(long ret)
{
	if (ret == -EFAULT)
		return 0;
	return ret < 0 ? (int)ret : -EIO;
}

/*
 * Would the kernel have let the stopped caller of @in attach @target (the
 * request in ctx->req), were @target not traced by remaptrace?  Mirrors
 * ptrace_attach()'s other refusals (kernel/ptrace.c), then asks the
 * kernel (probe_attach()).  When unsure, no: a failed attach must never
 * release its target.  *why: the reason when not.
 */
static bool
attach_may_probe(struct rt_ctx *ctx, const struct seccomp_data *d,
		 const struct rt_inject *in, pid_t target, const char **why)
{
	/* check_ptrace_options(): EPERM for any caller under seccomp. */
	if (d->args[0] == PTRACE_SEIZE &&
	    (d->args[3] & PTRACE_O_SUSPEND_SECCOMP)) {
		*why = "PTRACE_O_SUSPEND_SECCOMP is refused under seccomp";
		return false;
	}
	if (!same_pid_ns(in->tid)) {
		*why = "the caller's pid namespace is not remaptrace's";
		return false;
	}
	/* same_thread_group(): EPERM. */
	if (in->tgid <= 0 || rt_procs_tgid(&ctx->tr.procs, target) == in->tgid) {
		*why = "a thread of the caller's own process";
		return false;
	}
	/* mm_access() skips the check for the caller's own memory (a
	 * CLONE_VM child, vfork): the probe would say yes for nothing. */
	if (!rt_features_has(RT_FEAT_KCMP) ||
	    syscall(SYS_kcmp, in->tid, target, KCMP_VM, 0, 0) <= 0) {
		*why = "the caller shares the target's memory";
		return false;
	}
	/* The program's own filters would judge the probe, maybe kill. */
	if (rt_procs_filters(in->tid) != ctx->base_filters) {
		*why = "the caller has seccomp filters of its own";
		return false;
	}
	return true;
}

static const char *
probe_why(int r)
{
	return r == -EPERM ? "the kernel does not permit it" :
			     "the kernel's permission is unknown";
}

/* -v: why the target of a refused attach stays traced. */
static void
log_kept(struct rt_ctx *ctx, const struct seccomp_data *d, pid_t tid,
	 pid_t target, const char *why)
{
	if (ctx->opt.quiet || !ctx->opt.verbose)
		return;
	fprintf(ctx->out.log, "[pid %d] ptrace(%s, %d) = -1 EPERM: remaptrace "
		"keeps tracing %d (%s)\n", tid,
		d->args[0] == PTRACE_SEIZE ? "PTRACE_SEIZE" : "PTRACE_ATTACH",
		target, target, why);
	fflush(ctx->out.log);
}

/*
 * PTRACE_ATTACH/PTRACE_SEIZE of a thread of ours.  The kernel runs the
 * request first, the caller caught on its way out: it fails (EPERM, as
 * the target is traced) unless the target was not ours after all.  Only
 * an EPERM that would have been a success without us lets go: then the
 * target is stopped (an interrupt aborts a notification it may be
 * waiting in, which then restarts), detached, and the caller made to run
 * its request again, which now reaches the kernel untouched (the target
 * is no longer ours).  Anything else, the caller gets the kernel's own
 * result and the target stays traced.
 *
 * Why not decide before the kernel runs it: the result cannot tell a
 * refused caller from a permitted one while remaptrace traces the target
 * (ptrace_attach() checks __ptrace_may_access() first, then task->ptrace,
 * both EPERM), and letting go first would release the target of a
 * refused attach.  The caller's own probe_attach() answers instead.
 * A window remains between letting go and the repeated request: a target
 * that makes itself unattachable then (setuid, PR_SET_DUMPABLE, a setuid
 * exec) is released and not attached; it could have been attached at the
 * probe, so the caller gains nothing it could not have had.
 */
static void
follow_attach(struct rt_ctx *ctx, pid_t tid)
{
	pid_t target = (pid_t)ctx->req->data.args[1];
	struct follow_job *fj;

	if (!ours(ctx, target) || !(fj = new_job(ctx, tid, FOLLOW_ATTACH))) {
		rt_seccomp_answer(ctx, 0, 0, true);
		return;
	}
	fj->target = target;
	continue_caught(ctx, fj);
}

/* Attach: the kernel's result is in (the caller caught). */
static void
attach_caught(struct rt_ctx *ctx, struct follow_job *fj, long ret)
{
	struct rt_inject *in = &fj->job.in;
	struct rt_sys probe;
	int r;

	if (ret == -RT_ERESTARTNOINTR) {	/* the kernel restarts it */
		rt_inject_restart(in);
		return;
	}
	if (ret != -EPERM) {
		rt_inject_end(in, ret);
		return;
	}
	if (!attach_may_probe(ctx, &fj->d, in, fj->target, &fj->why)) {
		log_kept(ctx, &fj->d, in->tid, fj->target, fj->why);
		rt_inject_end(in, ret);
		return;
	}
	r = probe_attach(in, fj->target, &probe);
	if (r < 0) {
		log_kept(ctx, &fj->d, in->tid, fj->target, probe_why(r));
		rt_inject_end(in, ret);
		return;
	}
	fj->job.step = FOLLOW_PROBED;
	rt_job_call(&fj->job, &probe);
}

/* Attach: the probe answered: let go of the target, or keep it. */
static void
attach_probed(struct rt_ctx *ctx, struct follow_job *fj)
{
	struct rt_job *job = &fj->job;
	int r = job->err ? job->err : probe_verdict(job->ret);

	if (r < 0) {
		log_kept(ctx, &fj->d, job->in.tid, fj->target, probe_why(r));
		rt_inject_end(&job->in, -EPERM);
		return;
	}
	fj->caller = job->in;
	if (ptrace(PTRACE_INTERRUPT, fj->target, NULL, NULL) < 0) {
		rt_inject_end(&fj->caller, -EPERM);
		return;
	}
	job->step = FOLLOW_TARGET;
	rt_job_catch(job, fj->target, false);
}

/* Attach: the target is caught: let it go, and the caller ask again. */
static void
attach_target(struct rt_ctx *ctx, struct follow_job *fj)
{
	struct rt_job *job = &fj->job;

	if ((job->err == 0 || job->in.stopped) &&
	    let_go(ctx, &job->in, fj->d.args[0] == PTRACE_SEIZE ?
		   "the target of PTRACE_SEIZE" :
		   "the target of PTRACE_ATTACH") == 0) {
		rt_inject_restart(&fj->caller);
		return;
	}
	rt_inject_end(&fj->caller, -EPERM);
}

static void
follow_resume(struct rt_ctx *ctx, struct rt_job *job)
{
	struct follow_job *fj = (struct follow_job *)job;
	struct rt_inject *in = &job->in;
	long ret;

	job->wait = RT_JOB_END;
	if (job->step == FOLLOW_PROBED) {
		attach_probed(ctx, fj);
		return;
	}
	if (job->step == FOLLOW_TARGET) {
		attach_target(ctx, fj);
		return;
	}
	if (fj->what == FOLLOW_TRACEME) {
		if (job->err == 0 || in->stopped)
			let_go(ctx, in, "ptrace(PTRACE_TRACEME)");
		return;
	}
	/* An aborted call (the answer came too late) is run again, and
	 * notifies again; nothing ran. */
	if (job->err || rt_inject_aborted(in)) {
		if (in->stopped)
			rt_inject_release(in);
		return;
	}
	ret = in->abi ? rt_arch_abi_retval(in->abi, &in->saved) :
			rt_arch_retreg(&in->saved);
	switch (fj->what) {
	case FOLLOW_MMAP:
		mmap_done(ctx, fj, ret);
		break;
	case FOLLOW_MREMAP:
		if (ret >= 0 || ret < -4095)
			rt_ident_dup_range(&ctx->tr.ident, job->tgid, job->tid,
					   fj->args[0], (uint64_t)ret,
					   fj->args[2]);
		break;
	case FOLLOW_ATTACH:
		attach_caught(ctx, fj, ret);
		return;
	default:
		break;
	}
	rt_inject_end(in, ret);
}

static void
follow_release(struct rt_job *job)
{
	struct follow_job *fj = (struct follow_job *)job;

	if (fj->kfd >= 0)
		close(fj->kfd);
}

static const struct rt_job_kind follow_kind = {
	.name = "follow",
	.resume = follow_resume,
	.release = follow_release,
};

/*
 * One tracer per task: a thread remaptrace traces cannot be traced by
 * anyone else (EPERM), so strace or gdb run under remaptrace, or a program
 * that traces its own children, could not work.  remaptrace lets go of
 * the thread to be traced instead, then lets the call proceed.
 *
 * PTRACE_TRACEME: the caller itself.  It is answered -ERESTARTNOINTR with
 * an interrupt pending, detached in the stop that follows, and the kernel
 * restarts the call, which now succeeds.
 * PTRACE_ATTACH/PTRACE_SEIZE of a thread of ours: only when the kernel
 * permits the caller to trace it (follow_attach()).
 */
static void
follow_traceme(struct rt_ctx *ctx, pid_t tid)
{
	struct follow_job *fj;

	if (ctx->req->data.args[0] != PTRACE_TRACEME) {
		follow_attach(ctx, tid);
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		rt_seccomp_answer(ctx, 0, 0, true);	/* not ours (any more) */
		return;
	}
	if (rt_seccomp_answer(ctx, 0, RT_ERESTARTNOINTR, false) < 0)
		return;
	fj = new_job(ctx, tid, FOLLOW_TRACEME);
	if (!fj)
		return;		/* the interrupt stops it once; resumed */
	fj->job.step = FOLLOW_CAUGHT;
	rt_job_catch(&fj->job, tid, false);
	rt_job_start(ctx, &fj->job);
}

/*
 * Does mlockall(@flags) get as far as applying its flags (mm/mlock.c:
 * sys_mlockall())?  Valid flags; can_do_mlock(): a lock limit, or
 * CAP_IPC_LOCK; with MCL_CURRENT, the address space within the limit.
 * Only a certain yes: a limit that cannot be read is a no.
 */
static bool
mlockall_applies(pid_t tid, uint32_t flags)
{
	unsigned long long limit, vm_kb;

	if (!flags || (flags & ~(uint32_t)(MCL_CURRENT | MCL_FUTURE |
					   MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return false;
	if (rt_procs_init_cap(tid, CAP_IPC_LOCK))
		return true;
	if (rt_procs_soft_limit(tid, "Max locked memory", &limit) < 0 ||
	    limit == 0)
		return false;
	if (!(flags & MCL_CURRENT) || limit == RLIM_INFINITY)
		return true;
	return rt_procs_status(tid, "VmSize", 10, &vm_kb) == 0 &&
	       vm_kb * 1024 <= limit;
}

/*
 * mlockall(): MCL_FUTURE makes every new mapping locked, which a piece
 * lent by another VMA would not be (emulate.c); an mlockall without it
 * ends it, once its checks pass.  Those checks are asked here rather than
 * the result awaited: the kernel then populates every page, which may
 * wait on the program itself (a userfaultfd handler thread making a call
 * we are sent), while a job holding the thread would hold every other
 * call.  An MCL_FUTURE counts as given at once; it is taken as ended only
 * where the call certainly applies its flags.  (A thread that grows the
 * address space meanwhile could make the kernel say ENOMEM instead: the
 * program then only loses a second mapping's lock of its own pages.)
 */
static void
follow_mlockall(struct rt_ctx *ctx, pid_t tid)
{
	uint32_t flags = (uint32_t)ctx->req->data.args[0];
	pid_t tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	struct rt_proc *proc = tgid > 0 ? rt_procs_proc(&ctx->tr.procs, tgid) :
					   NULL;

	if (proc) {
		proc->hidden_flags = true;
		proc->lock_seen = true;
		if (flags & MCL_FUTURE)
			proc->mcl_future = true;
		else if (mlockall_applies(tid, flags))
			proc->mcl_future = false;
	}
	rt_seccomp_answer(ctx, 0, 0, true);
}

static void
follow_note(struct rt_ctx *ctx, pid_t tid, long nr);

void
rt_follow_call(struct rt_ctx *ctx, pid_t tid)
{
	const struct seccomp_data *d = &ctx->req->data;
	const struct rt_arch *abi = rt_arch_abi_call(d->arch, (int)d->nr);
	long nr = d->nr;

	/* Another ABI's (i386's) shared mmaps and duplicates are followed as
	 * the native ones; privilege.c sends nothing else of it here. */
	if (abi && !abi->native) {
		if (nr == abi->nr_mmap || nr == abi->nr_old_mmap)
			follow_mmap(ctx, tid);
		else if (nr == abi->nr_mremap)
			follow_mremap(ctx, tid);
		else if (nr == abi->nr_mlockall)
			follow_mlockall(ctx, tid);
		else
			rt_seccomp_answer(ctx, 0, 0, true);
		return;
	}
	if (nr == rt_arch_native.nr_mmap)
		follow_mmap(ctx, tid);
	else if (nr == rt_arch_native.nr_mremap)
		follow_mremap(ctx, tid);
	else if (nr == rt_arch_native.nr_ptrace)
		follow_traceme(ctx, tid);
	else if (nr == rt_arch_native.nr_shmctl)
		rt_sysvshm_rmid(ctx);
	else if (!rt_privilege_handle(ctx))
		follow_note(ctx, tid, nr);
}

static void
follow_note(struct rt_ctx *ctx, pid_t tid, long nr)
{
	pid_t tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	struct rt_proc *proc = tgid > 0 ? rt_procs_proc(&ctx->tr.procs, tgid) :
					   NULL;

	if (proc && nr == rt_arch_native.nr_rt_sigaction) {
		proc->step_ok = -1;	/* read SigIgn again when needed */
	} else if (proc) {
		proc->hidden_flags = true;
		if (nr == rt_arch_native.nr_mlockall) {
			follow_mlockall(ctx, tid);
			return;
		}
		if (nr == SYS_mlock || nr == SYS_mlock2)
			proc->lock_seen = true;
		if (nr == rt_arch_native.nr_mseal)
			proc->seal_seen = true;
		if (nr == SYS_munlockall)
			proc->mcl_future = false;
		/* MADV_HUGEPAGE, MADV_NOHUGEPAGE */
		if (nr == rt_arch_native.nr_madvise &&
		    ((uint32_t)ctx->req->data.args[2] == 14 ||
		     (uint32_t)ctx->req->data.args[2] == 15))
			proc->thp_hinted = true;
	}
	rt_seccomp_answer(ctx, 0, 0, true);
}

/*
 * The names of the calls the filter's rules send (filter.c, privilege.c),
 * with or without conditions on their arguments; mseal, which libseccomp
 * 2.5.4 cannot name, is abi->nr_mseal.  A rule for a call not named here
 * would only lose fix_restart()'s care for it (loop.c).
 */
static const char *const notified[] = {
	"remap_file_pages", "mmap", "mmap2", "mremap", "mlock", "mlock2",
	"mlockall", "munlockall", "madvise", "userfaultfd", "pkey_mprotect",
	"prctl", "ptrace", "rt_sigaction", "signal", "sigaction", "shmctl",
};

bool
rt_follow_notified(const struct rt_arch *abi, long nr)
{
	char *name;
	bool found = false;
	size_t i;

	if (!abi || nr < 0)
		return false;
	if (nr == abi->nr_mseal)
		return abi->native;
	/* (libseccomp 2.5's name is allocated) */
	name = (char *)seccomp_syscall_resolve_num_arch(abi->scmp_arch,
							(int)nr);
	if (!name)
		return false;
	for (i = 0; i < ARRAY_SIZE(notified) && !found; i++)
		found = !strcmp(name, notified[i]);
	found = found || rt_privilege_notifies(name);
	free(name);
	return found;
}
