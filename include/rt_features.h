/* rt_features.h - the kernel features remaptrace relies on, detected once
 * at start-up (tracer/features.c), each with the fallback taken without it.
 *
 * Every place that uses a feature asks rt_features_has() instead of
 * probing on its own, so REMAPTRACE_DISABLE=NAME,... can force each
 * fallback on a kernel that has the feature (the tests do).
 */
#ifndef RT_FEATURES_H
#define RT_FEATURES_H

#include <stdbool.h>
#include <stdio.h>

/* The oldest kernel with every required feature (ADDFD, 5.9). */
#define RT_FEATURES_OLDEST	"5.9"

enum rt_feature {
	/* Required: remaptrace refuses to start without them. */
	RT_FEAT_USER_NOTIF,		/* 5.0 SECCOMP_FILTER_FLAG_NEW_LISTENER */
	RT_FEAT_NOTIF_CONTINUE,		/* 5.5 SECCOMP_USER_NOTIF_FLAG_CONTINUE */
	RT_FEAT_PROCESS_VM,		/* 3.2 process_vm_readv/writev */
	RT_FEAT_ADDFD,			/* 5.9 SECCOMP_IOCTL_NOTIF_ADDFD */
	/* With a fallback. */
	RT_FEAT_PIDFD_OPEN,		/* 5.3 pidfd_open(2) */
	RT_FEAT_PIDFD_GETFD,		/* 5.6 pidfd_getfd(2) */
	RT_FEAT_WAIT_KILLABLE_RECV,	/* 5.19 */
	RT_FEAT_SYNC_WAKE_UP,		/* 6.6 SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
	RT_FEAT_PIDFD_THREAD,		/* 6.9 pidfd_open(PIDFD_THREAD) */
	RT_FEAT_PROCMAP_QUERY,		/* 6.11 ioctl on /proc/PID/maps */
	RT_FEAT_KCMP,			/* 3.5 kcmp(2), CONFIG_KCMP */
	RT_FEAT_PROCESS_MADVISE,	/* 5.10 process_madvise(MADV_COLD),
					 * with CAP_SYS_NICE */
	RT_FEAT_VMFILE_ITER,		/* 6.1 BPF task_vma and task_file
					 * iterators, BTF, CAP_BPF and
					 * CAP_PERFMON */
	RT_FEAT__COUNT,
};

/**
 * rt_features_init() - take the features named in @disable (the value of
 * REMAPTRACE_DISABLE, comma-separated; NULL or "" for none) as missing.
 * An unknown name is said on stderr.  Returns 0 or -EINVAL.
 */
int rt_features_init(const char *disable);

/*
 * rt_features_detect() - probe every feature that needs no listener, once
 * (a few system calls on remaptrace's own process, which open nothing
 * that stays open).
 */
void rt_features_detect(void);

/*
 * rt_features_listener() - after the filter is loaded: note whether it has
 * WAIT_KILLABLE_RECV (@killable, the filter load's own answer), and probe
 * @listener for CONTINUE, ADDFD and SYNC_WAKE_UP.  The SYNC_WAKE_UP probe
 * is its use: it sets the flag on @listener.  @listener -1: none of ours
 * (an outer remaptrace serves the tree), nothing probed.
 */
void rt_features_listener(int listener, bool killable);

/* Whether @f is there, not disabled, and so is whatever it needs. */
bool rt_features_has(enum rt_feature f);

/*
 * rt_features_refuse() - if a required feature is known to be missing or
 * disabled, say which, the kernel that has it and why it is needed, on
 * @err, and return true.
 */
bool rt_features_refuse(FILE *err);

/* One line per feature on @log: in use, or the fallback taken (-v). */
void rt_features_log(FILE *log);

#endif
