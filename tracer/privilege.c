/* privilege.c - the agent never outlives a change of what the program may
 * do, and calls of other ABIs are never passed over in silence.
 *
 * An agent (agent.c) shares the program's memory, so it is the program;
 * but it is a process of its own, cloned from the calling thread, and
 * keeps that thread's credentials, capabilities, securebits, root, cwd,
 * namespaces, seccomp filters, Landlock domain and limits when the
 * program changes its own.  A program that drops privileges after an
 * emulated call would then share memory with a helper that has not: it
 * patches the helper's code and acts with its old rights.  So every
 * system call that changes any of these, in every ABI the machine runs
 * (a 64-bit program may also call through int 0x80), comes here first:
 * the process's agent is killed and waited for, the descriptors kept of
 * its open files are never handed back to it, and only then does the
 * kernel run the call
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel itself decides, on the
 * arguments it reads then).  A later call starts an agent afresh, with
 * the new rights.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>

#include "rt_arch.h"
#include "rt_features.h"
#include "rt_privilege.h"
#include "rt_report.h"
#include "rt_seccomp.h"
#include "rt_vmas.h"
#include "rt_util.h"

/* Calls that change credentials (any ABI). */
static const char *const calls[] = {
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setfsuid", "setfsgid", "setgroups", "capset",
	"setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32",
	"setresgid32", "setfsuid32", "setfsgid32", "setgroups32",
};

/*
 * Calls that confine the program: a helper cloned before them would
 * escape the confinement, but file descriptions it already had stay its
 * own (none of them revokes an open file).
 */
static const char *const confine[] = {
	"seccomp", "landlock_restrict_self", "chroot", "pivot_root",
	"unshare", "setns",
};

/*
 * Calls that change only limits or the personality: the agent keeps a
 * copy of those too, but file access is not in them.  Only when they set
 * something: glibc's getrlimit() is prlimit64(0, r, NULL, &old).
 */
static const struct {
	const char *name;
	unsigned int arg;	/* which argument must not be... */
	uint64_t query;		/* ...this value, for a change */
} limits[] = {
	{ "setrlimit", 1, 0 },
	{ "prlimit64", 2, 0 },
	{ "personality", 0, 0xffffffff },
};

/* prctl options that do so (include/uapi/linux/prctl.h). */
static const int prctl_opts[] = {
	PR_SET_DUMPABLE, PR_SET_KEEPCAPS, PR_SET_SECCOMP, PR_CAPBSET_DROP,
	PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT,
};

int
rt_privilege_rules(void *filter)
{
	scmp_filter_ctx ctx = filter;
	size_t i;
	int r, nr;

	for (i = 0; i < ARRAY_SIZE(calls) + ARRAY_SIZE(confine); i++) {
		nr = seccomp_syscall_resolve_name(i < ARRAY_SIZE(calls) ?
			calls[i] : confine[i - ARRAY_SIZE(calls)]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		/* -EDOM: no such call in one of the filter's ABIs. */
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (r < 0 && r != -EDOM)
			return r;
	}
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		struct scmp_arg_cmp cmp = {
			.arg = limits[i].arg, .op = SCMP_CMP_NE,
			.datum_a = limits[i].query,
		};

		nr = seccomp_syscall_resolve_name(limits[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, cmp);
		if (r < 0 && r != -EDOM)
			return r;
	}
	/* The option is an int: the upper half of its register is not
	 * the kernel's, nor may it hide the call from us. */
	for (i = 0; i < ARRAY_SIZE(prctl_opts); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					     (uint32_t)prctl_opts[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

bool
rt_privilege_notifies(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(calls); i++)
		if (!strcmp(name, calls[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(confine); i++)
		if (!strcmp(name, confine[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(limits); i++)
		if (!strcmp(name, limits[i].name))
			return true;
	return !strcmp(name, "prctl");
}

/* DUMPABLE: /proc opened ahead; LIMITS: the agent goes too; RIGHTS: and
 * the kept open files are set aside. */
enum change { NONE, DUMPABLE, LIMITS, RIGHTS };

/*
 * The name of call @nr of ABI @arch (AUDIT_ARCH_*), to be freed, or NULL.
 * An x32 call comes as x86_64's with the x32 bit in its number (a 64-bit
 * program may make one where the kernel allows x32): x32's table has it.
 */
static char *
call_name(uint32_t arch, int nr)
{
	if (arch == SCMP_ARCH_X86_64 && (nr & 0x40000000))
		return seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, nr);
	return seccomp_syscall_resolve_num_arch(arch, nr);
}

/* Is @nr of ABI @arch (AUDIT_ARCH_*) one of those calls, and which? */
static enum change
is_change(uint32_t arch, int nr, const __u64 *args)
{
	char *name = call_name(arch, nr);
	enum change what = NONE;
	size_t i;

	if (!name)
		return NONE;
	for (i = 0; i < ARRAY_SIZE(calls) && !what; i++)
		if (!strcmp(name, calls[i]))
			what = RIGHTS;
	for (i = 0; i < ARRAY_SIZE(confine) && !what; i++)
		if (!strcmp(name, confine[i]))
			what = LIMITS;
	for (i = 0; i < ARRAY_SIZE(limits) && !what; i++)
		if (!strcmp(name, limits[i].name) &&
		    args[limits[i].arg] != limits[i].query)
			what = LIMITS;
	if (!strcmp(name, "prctl"))
		for (i = 0; i < ARRAY_SIZE(prctl_opts) && !what; i++)
			if ((uint32_t)args[0] == (uint32_t)prctl_opts[i])
				what = prctl_opts[i] == PR_SET_DUMPABLE ?
				       DUMPABLE :
				       prctl_opts[i] == PR_SET_SECCOMP ||
				       prctl_opts[i] == PR_SET_NO_NEW_PRIVS ?
				       LIMITS : RIGHTS;
	free(name);
	return what;
}

/*
 * Whose limits a LIMITS call changes: prlimit64's first argument names a
 * process (0: the caller), which may be another of the tree, as a master
 * lowers a worker's.  0 for the caller's own.
 */
static pid_t
limits_of(uint32_t arch, int nr, const __u64 *args)
{
	char *name = call_name(arch, nr);
	pid_t pid = 0;

	if (name && !strcmp(name, "prlimit64"))
		pid = (pid_t)args[0];
	free(name);
	return pid;
}

/* Real, effective, saved ids of @field ("Uid", "Gid") of /proc/@tid. */
static int
ids(pid_t tid, const char *field, unsigned long id[3])
{
	char path[64], line[256];
	size_t len = strlen(field);
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%lu %lu %lu", &id[0], &id[1],
			   &id[2]) == 3) {
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* Are @a and @b in one user namespace (unreadable: no)? */
static bool
same_user_ns(pid_t a, pid_t b)
{
	unsigned long long ns = rt_procs_ns(a, "user");

	return ns && ns == rt_procs_ns(b, "user");
}

/*
 * May @caller (of process @ctgid) set the limits of @target (of @ttgid)
 * (kernel/sys.c, check_prlimit_permission())?  Always its own process's;
 * else its real uid and gid must be each of the target's real, effective
 * and saved ones, or it needs CAP_SYS_RESOURCE over the target's user
 * namespace.  Only a sure no is no: a refused call that made an agent go
 * costs time, an allowed one that did not would keep the old limits in
 * the agent (t-priv-limit).  So CAP_SYS_RESOURCE in the caller's own
 * namespace counts, and a target in another namespace (which the caller
 * may own), and anything unreadable, are a yes.
 */
static bool
prlimit_permitted(pid_t caller, pid_t ctgid, pid_t target, pid_t ttgid)
{
	unsigned long cu[3], cg[3], tu[3], tg[3];
	unsigned long long eff;

	if (ctgid == ttgid)
		return true;
	if (ids(caller, "Uid", cu) < 0 || ids(caller, "Gid", cg) < 0 ||
	    ids(target, "Uid", tu) < 0 || ids(target, "Gid", tg) < 0)
		return true;
	if (cu[0] == tu[0] && cu[0] == tu[1] && cu[0] == tu[2] &&
	    cg[0] == tg[0] && cg[0] == tg[1] && cg[0] == tg[2])
		return true;
	if (rt_procs_status(caller, "CapEff", 16, &eff) < 0 ||
	    (eff & (1ULL << CAP_SYS_RESOURCE)))
		return true;
	return !same_user_ns(caller, target);
}

static bool
is_chroot(uint32_t arch, int nr)
{
	char *name = call_name(arch, nr);
	bool yes = name && !strcmp(name, "chroot");

	free(name);
	return yes;
}

/*
 * A chroot by @tid moves the root of every process sharing its fs_struct
 * (clone(CLONE_FS) without CLONE_THREAD, as LinuxThreads made threads),
 * but not that of their agents, which have roots of their own: those go
 * too, and none starts again until @tid is past the call (t-atk-fs).
 * (pivot_root moves every root it finds, agents' included.)  Returns 0
 * (go on), 1 (the call is held until one has gone) or -ENOMEM.
 */
/*
 * Does a thread of process @o share @tid's fs_struct?  Any thread: its
 * leader may be a zombie with none (it exited, the others go on), or
 * have unshared its own.  Only a sure no is no: kcmp refused (EPERM,
 * a non-dumpable process), or absent, is a yes.
 */
static bool
shares_fs(struct rt_procs *p, pid_t tid, pid_t o)
{
	bool asked = false;
	size_t i;
	long r;

	if (!rt_features_has(RT_FEAT_KCMP))
		return true;
	for (i = 0; i < p->n; i++) {
		if (p->t[i].tgid != o)
			continue;
		asked = true;
		r = syscall(SYS_kcmp, tid, p->t[i].tid, KCMP_FS, 0, 0);
		if (r == 0 || (r < 0 && errno != ESRCH))
			return true;
	}
	if (!asked) {
		r = syscall(SYS_kcmp, tid, o, KCMP_FS, 0, 0);
		return r == 0 || (r < 0 && errno != ESRCH);
	}
	return false;
}

static int
fs_sharers(struct rt_ctx *ctx, pid_t tid, pid_t tgid, long nr)
{
	struct rt_procs *p = &ctx->tr.procs;
	size_t i;
	pid_t o;

	for (i = 0; i < p->np; i++) {
		o = p->p[i].tgid;
		if (o == tgid || !shares_fs(p, tid, o))
			continue;
		if (rt_agent_idle(ctx, o))
			rt_agent_drop(ctx, o, 0);
		if (rt_agent_ready(ctx, o) || rt_agent_dying(ctx, o))
			return rt_agent_hold(ctx, ctx->req, o, 0) < 0 ?
			       -ENOMEM : 1;
		if (rt_procs_change_begin(p, tid, o, nr) < 0)
			return -ENOMEM;
	}
	/* and any process cloned with CLONE_FS while it runs (0: any) */
	return rt_procs_change_begin(p, tid, 0, nr);
}

bool
rt_privilege_handle(struct rt_ctx *ctx)
{
	const struct seccomp_data *d = &ctx->req->data;
	pid_t tid = (pid_t)ctx->req->pid, tgid, other;
	int r;
	enum change what = is_change(d->arch, d->nr, d->args);
	struct rt_proc *proc;

	if (what == NONE)
		return false;
	/*
	 * PR_SET_DUMPABLE changes no right of the agent (dumpability is the
	 * address space's, which it shares), but an unprivileged remaptrace
	 * could not open the program's /proc files afterwards: open them now.
	 */
	if (what == DUMPABLE) {
		tgid = rt_procs_tgid(&ctx->tr.procs, tid);
		proc = tgid > 0 ? rt_procs_proc(&ctx->tr.procs, tgid) : NULL;
		if (proc)
			rt_vmas_keep_open(proc);
		rt_seccomp_answer(ctx, 0, 0, true);
		return true;
	}
	tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	/*
	 * The process whose limits change is the one whose agent goes: its
	 * copy would keep judging MAP_LOCKED against the old RLIMIT_MEMLOCK
	 * (t-priv-limit).  A process we do not trace has no agent.
	 */
	if (what == LIMITS && (other = limits_of(d->arch, d->nr, d->args))) {
		/* (nothing is kept of a process not in the table, nor of
		 * one whose limits the kernel will not let the caller set:
		 * an id reused later must find no record of it) */
		pid_t own = tgid;

		tgid = rt_procs_tgid_known(&ctx->tr.procs, other);
		if (tgid <= 0) {
			rt_seccomp_answer(ctx, 0, 0, true);
			return true;
		}
		/*
		 * A call the kernel will refuse keeps the target's agent; but
		 * the target may change its ids while the call waits in the
		 * kernel (on a page of its new limits), and its next agent
		 * would start with the limits of before: none starts until
		 * the caller is past it.
		 */
		if (!prlimit_permitted(tid, own, other, tgid)) {
			if (rt_procs_change_begin(&ctx->tr.procs, tid, tgid,
						  d->nr) < 0)
				rt_seccomp_answer(ctx, 0, ENOMEM, false);
			else
				rt_seccomp_answer(ctx, 0, 0, true);
			return true;
		}
	}
	proc = tgid > 0 ? rt_procs_proc(&ctx->tr.procs, tgid) : NULL;
	/* Its CAP_IPC_LOCK, RLIMIT_MEMLOCK or RLIMIT_AS may change: read
	 * them again. */
	if (proc) {
		proc->lock_unlimited = -1;
		proc->as_unlimited = -1;
	}
	if (tgid > 0) {
		/*
		 * Its callers answered first, then its agent killed, and the
		 * call served again (rt_agent_hold()) only once the agent has
		 * exited: nothing sharing the memory keeps the old rights once
		 * the call runs.  The open files kept of the process were its
		 * own under its old rights: from now on they only tell
		 * identity (rt_proc.keys_revoked).
		 */
		if (rt_agent_idle(ctx, tgid))
			rt_agent_drop(ctx, tgid, 0);
		if (rt_agent_ready(ctx, tgid) || rt_agent_dying(ctx, tgid)) {
			if (rt_agent_hold(ctx, ctx->req, tgid, 0) < 0)
				rt_seccomp_answer(ctx, 0, ENOMEM, false);
			return true;
		}
		if (is_chroot(d->arch, d->nr) &&
		    (r = fs_sharers(ctx, tid, tgid, d->nr)) != 0) {
			if (r < 0)
				rt_seccomp_answer(ctx, 0, -r, false);
			return true;
		}
		/* It may become non-dumpable (PR_SET_DUMPABLE, or a change
		 * of credentials): its mappings stay readable to us. */
		if (proc)
			rt_vmas_keep_open(proc);
		if (proc && what == RIGHTS)
			proc->keys_revoked = true;
		if (ctx->opt.verbose > 1 && tgid != rt_procs_tgid_known(
				&ctx->tr.procs, tid))
			rt_report_note(ctx, tid, "sets the limits of another "
				       "process: that one's agent is gone "
				       "first");
		else if (ctx->opt.verbose > 1)
			rt_report_note(ctx, tid, "changes its credentials or "
				       "confinement: its agent is gone first");
		/*
		 * The kernel may take its time over the call (it may wait on
		 * a page of its arguments): no agent starts for the process
		 * until the thread is past it, or it would start with the
		 * rights of before (t-atk-race).
		 */
		if (rt_procs_change_begin(&ctx->tr.procs, tid, tgid,
					  d->nr) < 0) {
			rt_seccomp_answer(ctx, 0, ENOMEM, false);
			return true;
		}
	}
	rt_seccomp_answer(ctx, 0, 0, true);
	return true;
}

/* What follow.c notes of the native ABI's calls, for another ABI's. */
static void
note_compat(struct rt_proc *proc, const struct rt_arch *abi, const char *name,
	    const struct seccomp_data *d)
{
	if (!proc)
		return;
	if (!strcmp(name, "signal") || !strcmp(name, "sigaction") ||
	    !strcmp(name, "rt_sigaction")) {
		proc->step_ok = -1;	/* read SigIgn again when needed */
		return;
	}
	proc->hidden_flags = true;
	if (!strncmp(name, "mlock", 5))		/* mlock, mlock2, mlockall */
		proc->lock_seen = true;
	if (!strcmp(name, "mlockall") && ((uint32_t)d->args[0] & MCL_FUTURE))
		proc->mcl_future = true;
	else if (!strcmp(name, "munlockall"))
		proc->mcl_future = false;
	/* MADV_HUGEPAGE, MADV_NOHUGEPAGE: states no madvise takes back */
	if (abi && d->nr == abi->nr_madvise &&
	    ((uint32_t)d->args[2] == 14 || (uint32_t)d->args[2] == 15))
		proc->thp_hinted = true;
}

bool
rt_privilege_foreign(struct rt_ctx *ctx)
{
	const struct seccomp_data *d = &ctx->req->data;
	const struct rt_arch *a = &rt_arch_native;
	pid_t tid = (pid_t)ctx->req->pid;
	struct rt_proc *proc;
	bool x32 = d->arch == a->audit_arch && (d->nr & a->foreign_nr_bits);
	const struct rt_arch *abi;
	char *name, what[160];
	bool emulated;
	pid_t tgid;

	if (d->arch == a->audit_arch && !x32)
		return false;
	if (rt_privilege_handle(ctx))
		return true;
	abi = rt_arch_abi_call(d->arch, (int)d->nr);
	name = call_name(d->arch, d->nr);
	tgid = rt_procs_tgid(&ctx->tr.procs, tid);
	proc = tgid > 0 ? rt_procs_proc(&ctx->tr.procs, tgid) : NULL;
	/* An emulated ABI's shared mmaps and duplicates, and its mlockall:
	 * followed as the native ones are (follow.c, through notify.c). */
	if (abi && abi->can_inject && !x32 &&
	    ((long)d->nr == abi->nr_mmap || (long)d->nr == abi->nr_old_mmap ||
	     (long)d->nr == abi->nr_mremap ||
	     (long)d->nr == abi->nr_mlockall)) {
		free(name);
		return false;
	}
	/* Its calls that hide VM flags or change SIGTRAP's disposition
	 * (filter.c): noted as the native ones are. */
	if (name && strcmp(name, "remap_file_pages")) {
		note_compat(proc, abi, name, d);
		free(name);
		rt_seccomp_answer(ctx, 0, 0, true);
		return true;
	}
	emulated = abi && abi->can_inject && !x32;
	if (name && !strcmp(name, "remap_file_pages") && proc &&
	    !proc->told_abi) {
		/* strace's words, and what follows from them. */
		proc->told_abi = true;
		if (emulated)
			snprintf(what, sizeof(what), "[ Process PID=%d runs "
				 "in 32 bit mode. ]", (int)tgid);
		else
			snprintf(what, sizeof(what), "[ Process PID=%d runs "
				 "in %s mode. ] remaptrace does not emulate "
				 "remap_file_pages in this ABI: %s", (int)tgid,
				 x32 ? "x32" : "32 bit",
				 ctx->opt.mode == RT_MODE_DENY ?
				 "denied as asked" : "the kernel runs it");
		rt_report_note(ctx, tid, what);
	}
	/* An ABI whose calls can be injected (i386's int 0x80): judged and
	 * emulated as native calls are (notify.c). */
	if (emulated && name && !strcmp(name, "remap_file_pages")) {
		free(name);
		return false;
	}
	free(name);
	if (ctx->opt.mode == RT_MODE_DENY)
		rt_seccomp_answer(ctx, 0, ctx->opt.deny_errno, false);
	else
		rt_seccomp_answer(ctx, 0, 0, true);
	return true;
}
