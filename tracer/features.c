/* features.c - which kernel features remaptrace may use, found once at
 * start-up, and the fallback each leaves behind (rt_features.h).
 *
 * A probe is a call that succeeds, or fails in a way that names the
 * feature, on remaptrace's own process or its listener, before the
 * program runs; never a guess from the kernel's version, which says
 * nothing of backports or of CONFIG_ options.  The table is written at
 * start-up only and read everywhere after (it is copied into the child
 * by fork, and a re-executed launch helper probes for itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <seccomp.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_util.h"
#include "rt_vmfile.h"

enum state {
	ST_UNPROBED,	/* not asked (yet) */
	ST_PRESENT,
	ST_ABSENT,
	ST_DISABLED,	/* REMAPTRACE_DISABLE */
	ST_UNKNOWN,	/* the probe could not tell (a tool hides seccomp(2);
			 * no listener of ours) */
};

struct feat {
	const char *name;	/* as REMAPTRACE_DISABLE spells it */
	const char *what;	/* as the kernel spells it */
	const char *since;	/* first Linux version with it */
	/* Without it: the fallback taken, or for a required feature
	 * (required true) why remaptrace cannot do without. */
	const char *without;
	bool required;
	int needs;		/* another feature it is used through, or -1 */
};

static const struct feat feats[RT_FEAT__COUNT] = {
	[RT_FEAT_USER_NOTIF] = {
		"user_notif", "seccomp user notification", "5.0",
		"every call is intercepted through it", true, -1,
	},
	[RT_FEAT_NOTIF_CONTINUE] = {
		"notif_continue", "SECCOMP_USER_NOTIF_FLAG_CONTINUE", "5.5",
		"the calls remaptrace follows (shared mmap, privilege "
		"changes, other ABIs) and valid calls in check mode are let "
		"through to the kernel with it", true, -1,
	},
	[RT_FEAT_PROCESS_VM] = {
		"process_vm", "process_vm_readv/process_vm_writev", "3.2",
		"paths, the agent's code and ptrace probes are written into "
		"the program with it (CONFIG_CROSS_MEMORY_ATTACH)", true, -1,
	},
	/*
	 * The emulated mmap must map the caller's very open file (the
	 * kernel's vma->vm_file): without a descriptor of ours installed in
	 * the caller, only one the program opens anew is left, and a later
	 * span across its pieces would be refused where the kernel allows
	 * it (measured: the conformance suite diverges at every seed).
	 */
	[RT_FEAT_ADDFD] = {
		"addfd", "SECCOMP_IOCTL_NOTIF_ADDFD", "5.9",
		"the emulated mmap maps the caller's very open file from a "
		"descriptor installed with it", true, -1,
	},
	/* In every kernel with ADDFD; a tool may hide them (valgrind). */
	[RT_FEAT_PIDFD_OPEN] = {
		"pidfd_open", "pidfd_open", "5.3",
		"no agent: every emulated mmap is injected by ptrace; no "
		"--kill-on-exit keeper; open files are reached as without "
		"pidfd_getfd", false, -1,
	},
	[RT_FEAT_PIDFD_GETFD] = {
		"pidfd_getfd", "pidfd_getfd", "5.6",
		"shared mmaps are not followed, so open files are told apart "
		"by device and inode only; a file the program opens for a "
		"call is checked through /proc/PID/fd and fdinfo",
		false, RT_FEAT_PIDFD_OPEN,
	},
	[RT_FEAT_WAIT_KILLABLE_RECV] = {
		"wait_killable_recv", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
		"5.19",
		"an interruptible wait: a signal or ptrace stop during a call "
		"aborts its notification and the kernel restarts the call",
		false, -1,
	},
	[RT_FEAT_SYNC_WAKE_UP] = {
		"sync_wake_up", "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP", "6.6",
		"answered threads wake up on any CPU (slower)", false, -1,
	},
	[RT_FEAT_PIDFD_THREAD] = {
		"pidfd_thread", "PIDFD_THREAD", "6.9",
		"a pidfd of the caller's process stands for its thread",
		false, RT_FEAT_PIDFD_OPEN,
	},
	[RT_FEAT_PROCMAP_QUERY] = {
		"procmap_query", "PROCMAP_QUERY", "6.11",
		"/proc/PID/smaps is read whole at each call (cost grows with "
		"the VMAs); no other VMA lends a second mapping", false, -1,
	},
	[RT_FEAT_KCMP] = {
		"kcmp", "kcmp", "3.5 with CONFIG_KCMP",
		"open files are told apart by device and inode only; an "
		"installed descriptor is not re-checked; a child forked "
		"meanwhile keeps its copy; a traced caller's PTRACE_ATTACH "
		"of a traced process stays refused", false, -1,
	},
	/*
	 * MADV_COLD refuses a VM_LOCKED VMA with EINVAL (can_madv_lru_vma()),
	 * as MADV_DONTNEED does: asked from here, the VM_LOCKED a remap needs
	 * costs one system call instead of a round trip to the agent or a
	 * ptrace stop.  Advising another process takes CAP_SYS_NICE.
	 */
	[RT_FEAT_PROCESS_MADVISE] = {
		"process_madvise", "process_madvise(MADV_COLD) with "
		"CAP_SYS_NICE", "5.10",
		"VM_LOCKED is asked by the program's agent or thread "
		"(MADV_DONTNEED): one more round trip per call in a process "
		"that locked memory", false, RT_FEAT_PIDFD_OPEN,
	},
	/*
	 * Following a shared mmap means keeping a copy of its open file and
	 * knowing where it landed.  The kernel can say the latter itself,
	 * later, for every VMA at once (vmfile.c): then the mmap need not be
	 * caught after it, which is most of what following costs.
	 */
	[RT_FEAT_VMFILE_ITER] = {
		"vmfile_iter", "BPF task_vma and task_file iterators (BTF, "
		"CAP_BPF and CAP_PERFMON)", "6.1",
		"each shared mmap of a file is caught after it (a ptrace "
		"stop) to read where it landed", false, RT_FEAT_PIDFD_GETFD,
	},
};

static enum state state[RT_FEAT__COUNT];

int
rt_features_init(const char *disable)
{
	char buf[256], *save = NULL, *tok;
	unsigned int i;

	memset(state, 0, sizeof(state));
	if (!disable)
		return 0;
	if (strlen(disable) >= sizeof(buf)) {
		fputs("remaptrace: REMAPTRACE_DISABLE is too long\n", stderr);
		return -EINVAL;
	}
	strcpy(buf, disable);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < RT_FEAT__COUNT; i++)
			if (!strcmp(tok, feats[i].name))
				break;
		if (i == RT_FEAT__COUNT) {
			fprintf(stderr, "remaptrace: REMAPTRACE_DISABLE: "
				"unknown feature '%s' (known:", tok);
			for (i = 0; i < RT_FEAT__COUNT; i++)
				fprintf(stderr, " %s", feats[i].name);
			fputs(")\n", stderr);
			return -EINVAL;
		}
		state[i] = ST_DISABLED;
	}
	return 0;
}

/* seccomp(2) with no filter: EFAULT once @flags passed the kernel's
 * check, EINVAL if it does not know them (libseccomp probes so too). */
static enum state
filter_flags(unsigned long flags)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) == 0)
		return ST_UNKNOWN;	/* cannot be: nothing was loaded */
	return errno == EFAULT ? ST_PRESENT :
	       errno == ENOSYS ? ST_UNKNOWN : ST_ABSENT;
}

static enum state
probe_user_notif(void)
{
	/* API level 5: SECCOMP_RET_USER_NOTIF and NEW_LISTENER. */
	if (seccomp_api_get() >= 5)
		return ST_PRESENT;
	/* ENOSYS from a tool that does not know seccomp(2) (valgrind):
	 * the filter load, in a fresh process, decides (launch.c). */
	return filter_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

static enum state
probe_process_vm(void)
{
	char from = 1, to = 0;
	struct iovec local = { &to, 1 }, remote = { &from, 1 };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1)
		return ST_PRESENT;
	return errno == ENOSYS ? ST_ABSENT : ST_UNKNOWN;
}

/* pidfd_open, PIDFD_THREAD and pidfd_getfd on ourselves. */
static void
probe_pidfd(void)
{
	_cleanup_(rt_closep) int pidfd = -1, thread = -1, copy = -1;

	if (state[RT_FEAT_PIDFD_OPEN] == ST_DISABLED)
		return;
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	state[RT_FEAT_PIDFD_OPEN] = pidfd >= 0 ? ST_PRESENT : ST_ABSENT;
	if (pidfd < 0)
		return;
	if (state[RT_FEAT_PIDFD_THREAD] != ST_DISABLED) {
		thread = syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD);
		state[RT_FEAT_PIDFD_THREAD] = thread >= 0 ? ST_PRESENT :
							    ST_ABSENT;
	}
	if (state[RT_FEAT_PIDFD_GETFD] != ST_DISABLED) {
		copy = syscall(SYS_pidfd_getfd, pidfd, pidfd, 0);
		state[RT_FEAT_PIDFD_GETFD] = copy >= 0 ? ST_PRESENT :
							 ST_ABSENT;
	}
}

/* PROCMAP_QUERY and kcmp on our own /proc/self/maps. */
static void
probe_maps(void)
{
	static const char here;
	_cleanup_(rt_closep) int fd = -1;
	struct procmap_query q = {
		.size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
		.query_addr = (uintptr_t)&here,
	};
	pid_t me = getpid();

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* no /proc: left unprobed, so not used */
	if (state[RT_FEAT_PROCMAP_QUERY] != ST_DISABLED)
		state[RT_FEAT_PROCMAP_QUERY] =
			ioctl(fd, PROCMAP_QUERY, &q) == 0 ? ST_PRESENT :
							     ST_ABSENT;
	if (state[RT_FEAT_KCMP] != ST_DISABLED)
		state[RT_FEAT_KCMP] =
			syscall(SYS_kcmp, me, me, KCMP_FILE, fd, fd) == 0 ?
			ST_PRESENT : ST_ABSENT;
}

/* CAP_SYS_NICE in our effective set (capget, version 3). */
static bool
cap_sys_nice(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_SYS_NICE / 32].effective & (1U << (CAP_SYS_NICE % 32));
}

/* process_madvise(MADV_COLD) on a page of our own, and the right to use
 * it on others. */
static void
probe_madvise(void)
{
	static const char here;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	_cleanup_(rt_closep) int pidfd = -1;
	/* the page that holds @here: any page of ours will do */
	struct iovec iov = { (void *)((uintptr_t)&here & ~(page - 1)), page };

	if (state[RT_FEAT_PROCESS_MADVISE] == ST_DISABLED)
		return;
	if (state[RT_FEAT_PIDFD_OPEN] != ST_PRESENT) {
		state[RT_FEAT_PROCESS_MADVISE] = ST_ABSENT;	/* unasked */
		return;
	}
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	state[RT_FEAT_PROCESS_MADVISE] =
		pidfd >= 0 && cap_sys_nice() &&
		syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0) ==
		(long)iov.iov_len ? ST_PRESENT : ST_ABSENT;
}

void
rt_features_detect(void)
{
	if (state[RT_FEAT_USER_NOTIF] != ST_DISABLED)
		state[RT_FEAT_USER_NOTIF] = probe_user_notif();
	if (state[RT_FEAT_WAIT_KILLABLE_RECV] != ST_DISABLED)
		state[RT_FEAT_WAIT_KILLABLE_RECV] =
			filter_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER |
				     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
	if (state[RT_FEAT_PROCESS_VM] != ST_DISABLED)
		state[RT_FEAT_PROCESS_VM] = probe_process_vm();
	probe_pidfd();
	probe_maps();
	probe_madvise();
	/* (vmfile_iter: when first asked, probe_late()) */
}

/*
 * Probed when first asked: loading the iterators reads the kernel's BTF,
 * about 10 ms, which a run that maps no shared file should not pay.  The
 * programs stay loaded for ident.c.
 */
static void
probe_late(enum rt_feature f)
{
	if (f == RT_FEAT_VMFILE_ITER && state[f] == ST_UNPROBED)
		state[f] = rt_vmfile_ready() == 0 ? ST_PRESENT : ST_ABSENT;
}

/*
 * Each probe passes the kernel's checks of its arguments and then fails
 * to find notification id 0 (ENOENT): nothing is pending yet, as the
 * program has not been executed.  A kernel without the feature fails the
 * checks (EINVAL: unknown flag or ioctl).  Never inlined: valgrind's
 * suppression of the SET_FLAGS ioctl names it (tests/valgrind.supp).
 */
static __attribute__((noinline)) void
probe_listener(int fd)
{
	struct seccomp_notif_resp resp = {
		.id = 0, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};
	struct seccomp_notif_addfd add = {
		.id = 0, .srcfd = (uint32_t)fd,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
	};

	if (state[RT_FEAT_NOTIF_CONTINUE] != ST_DISABLED)
		state[RT_FEAT_NOTIF_CONTINUE] =
			ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
			errno == ENOENT ? ST_PRESENT : ST_ABSENT;
	if (state[RT_FEAT_ADDFD] != ST_DISABLED)
		state[RT_FEAT_ADDFD] =
			ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 &&
			errno == ENOENT ? ST_PRESENT : ST_ABSENT;
	/* 6.6: wake the answered thread on the answering CPU, the way a
	 * synchronous call would run; saves a cross-CPU wake-up per call. */
	if (state[RT_FEAT_SYNC_WAKE_UP] != ST_DISABLED)
		state[RT_FEAT_SYNC_WAKE_UP] =
			ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
			      SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0 ?
			ST_PRESENT : ST_ABSENT;
}

void
rt_features_listener(int listener, bool killable)
{
	static const enum rt_feature on_listener[] = {
		RT_FEAT_NOTIF_CONTINUE, RT_FEAT_ADDFD, RT_FEAT_SYNC_WAKE_UP,
		RT_FEAT_WAIT_KILLABLE_RECV,
	};
	size_t i;

	if (listener < 0) {
		for (i = 0; i < ARRAY_SIZE(on_listener); i++)
			if (state[on_listener[i]] != ST_DISABLED)
				state[on_listener[i]] = ST_UNKNOWN;
		return;
	}
	/* The filter loaded with a listener: whatever the probe said (a
	 * tool may have hidden seccomp(2) from it), the kernel has both. */
	if (state[RT_FEAT_USER_NOTIF] != ST_DISABLED)
		state[RT_FEAT_USER_NOTIF] = ST_PRESENT;
	if (state[RT_FEAT_WAIT_KILLABLE_RECV] != ST_DISABLED)
		state[RT_FEAT_WAIT_KILLABLE_RECV] = killable ? ST_PRESENT :
							       ST_ABSENT;
	probe_listener(listener);
}

bool
rt_features_has(enum rt_feature f)
{
	if ((unsigned int)f >= RT_FEAT__COUNT)
		return false;
	probe_late(f);
	if (state[f] != ST_PRESENT)
		return false;
	return feats[f].needs < 0 || rt_features_has(feats[f].needs);
}

bool
rt_features_refuse(FILE *err)
{
	unsigned int i;

	for (i = 0; i < RT_FEAT__COUNT; i++) {
		const struct feat *f = &feats[i];

		if (!f->required ||
		    (state[i] != ST_ABSENT && state[i] != ST_DISABLED))
			continue;
		fprintf(err, "remaptrace: %s (Linux %s) is %s, and remaptrace "
			"cannot run without it: %s; the oldest kernel "
			"remaptrace supports is Linux %s\n", f->what,
			f->since, state[i] == ST_DISABLED ?
			"disabled by REMAPTRACE_DISABLE" :
			"missing from this kernel", f->without,
			RT_FEATURES_OLDEST);
		return true;
	}
	return false;
}

void
rt_features_log(FILE *log)
{
	unsigned int i;

	for (i = 0; i < RT_FEAT__COUNT; i++) {
		const struct feat *f = &feats[i];
		const char *how, *needs = "";

		probe_late(i);
		if (rt_features_has(i)) {
			fprintf(log, "remaptrace: feature %s (%s, Linux %s): "
				"in use\n", f->name, f->what, f->since);
			continue;
		}
		if (state[i] == ST_DISABLED) {
			how = "disabled by REMAPTRACE_DISABLE";
		} else if (f->needs >= 0 && !rt_features_has(f->needs)) {
			how = "unused without ";
			needs = feats[f->needs].name;
		} else {
			/* ST_UNKNOWN: a tool hid the call from the probe, or
			 * an outer listener serves the tree (none of ours). */
			how = state[i] == ST_ABSENT ? "missing" :
			      "not known (not probed)";
		}
		fprintf(log, "remaptrace: feature %s (%s, Linux %s): %s%s; "
			"%s: %s\n", f->name, f->what, f->since, how, needs,
			f->required ? "required" : "fallback", f->without);
	}
}
