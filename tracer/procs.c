/* procs.c - which process each traced thread belongs to.
 *
 * Filled from ptrace events (clone, fork, exec, exit) so that a
 * notification, which names a thread, finds its process's bookkeeping
 * without reading /proc on every call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt_compat.h"
#include "rt_features.h"
#include "rt_procs.h"
#include "rt_util.h"

static struct rt_task *
find(struct rt_procs *p, pid_t tid)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->t[i].tid == tid)
			return &p->t[i];
	return NULL;
}

bool
rt_procs_known(struct rt_procs *p, pid_t tid)
{
	return find(p, tid) != NULL;
}

int
rt_procs_add(struct rt_procs *p, pid_t tid, pid_t tgid)
{
	struct rt_task *t = find(p, tid);

	if (t) {
		t->tgid = tgid;
		return 0;
	}
	t = rt_grow(p->t, p->n, &p->cap, sizeof(*t), 16);
	if (!t)
		return -ENOMEM;
	p->t = t;
	p->t[p->n++] = (struct rt_task){ .tid = tid, .tgid = tgid };
	return 0;
}

void
rt_procs_del(struct rt_procs *p, pid_t tid)
{
	struct rt_task *t = find(p, tid);

	if (t)
		*t = p->t[--p->n];
	rt_procs_change_seen(p, tid);	/* gone: past any call */
}

/* The start of the /proc file @path (at @dfd) in @buf, a string. */
static int
read_text(int dfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_neg_errno();
	n = read(fd, buf, size - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

int
rt_procs_field(int dfd, const char *path, const char *key, int base,
	       unsigned long long *val)
{
	char buf[4096], want[48], *s;
	int r;

	r = read_text(dfd, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	/* Fields start lines; none is the first line of the files read. */
	snprintf(want, sizeof(want), "\n%s:", key);
	s = strstr(buf, want);
	if (!s)
		return -ENOENT;
	*val = strtoull(s + strlen(want), NULL, base);
	return 0;
}

int
rt_procs_status(pid_t tid, const char *key, int base, unsigned long long *val)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	return rt_procs_field(AT_FDCWD, path, key, base, val);
}

/* The initial user namespace's inode number (PROC_USER_INIT_INO). */
#define RT_USER_NS_INIT_INO	0xEFFFFFFDULL

bool
rt_procs_init_cap(pid_t tid, int cap)
{
	unsigned long long caps;

	return rt_procs_ns(tid, "user") == RT_USER_NS_INIT_INO &&
	       rt_procs_status(tid, "CapEff", 16, &caps) == 0 &&
	       (caps & (1ULL << cap));
}

int
rt_procs_soft_limit(pid_t pid, const char *name, unsigned long long *val)
{
	char path[64], buf[4096], *s;
	size_t len = strlen(name);
	int r;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	r = read_text(AT_FDCWD, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	/* "Max locked memory  8388608  8388608  bytes": the name, then
	 * spaces, then the soft limit ("unlimited" or a number) */
	for (s = buf; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (strncmp(s, name, len) || s[len] != ' ')
			continue;
		s += strspn(s + len, " ") + len;
		if (!strncmp(s, "unlimited", 9))
			*val = RLIM_INFINITY;
		else
			*val = strtoull(s, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

unsigned long long
rt_procs_ns(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* /proc/PID/stat read in @buf: its fields from the state on, or NULL. */
static char *
stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_text(AT_FDCWD, path, buf, size) < 0)
		return NULL;
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

char
rt_procs_state(pid_t pid)
{
	char buf[512], *f = stat_fields(pid, buf, sizeof(buf));

	return f ? f[0] : 0;
}

/* When @pid started (field 22 of /proc/PID/stat, ticks since boot), or
 * 0: gone.  With the id, it tells one process from another that reused
 * the id. */
static unsigned long long
start_time(pid_t pid)
{
	char buf[512], *f = stat_fields(pid, buf, sizeof(buf));
	int i;

	for (i = 3; f && i < 22; i++) {
		f = strchr(f, ' ');
		if (f)
			f++;
	}
	return f ? strtoull(f, NULL, 10) : 0;
}

/*
 * Which process has id @pid now: since 6.9 (pidfs) the inode of a pidfd,
 * never the same for two processes; before, when it started, in clock
 * ticks (two processes of one id within a tick look alike).  0: gone.
 */
static unsigned long long
identity(pid_t pid)
{
	_cleanup_(rt_closep) int fd = -1;
	struct stat st;

	if (rt_features_has(RT_FEAT_PIDFD_THREAD)) {
		fd = syscall(SYS_pidfd_open, pid, 0);
		return fd >= 0 && fstat(fd, &st) == 0 ? st.st_ino : 0;
	}
	return start_time(pid);
}

bool
rt_procs_forget_stale(struct rt_procs *p, pid_t pid)
{
	size_t i;

	for (i = 0; i < p->np; i++)
		if (p->p[i].tgid == pid) {
			if (p->p[i].start == identity(pid))
				return false;
			rt_procs_drop_proc(p, pid);
			return true;
		}
	return false;
}

static pid_t
read_tgid(pid_t tid)
{
	unsigned long long v;

	return rt_procs_status(tid, "Tgid", 10, &v) == 0 ? (pid_t)v : -1;
}

pid_t
rt_procs_tgid_known(struct rt_procs *p, pid_t tid)
{
	struct rt_task *t = find(p, tid);

	return t ? t->tgid : -1;
}

pid_t
rt_procs_tgid(struct rt_procs *p, pid_t tid)
{
	struct rt_task *t = find(p, tid);
	pid_t tgid;

	if (t)
		return t->tgid;
	tgid = read_tgid(tid);
	if (tgid > 0)
		rt_procs_add(p, tid, tgid);
	return tgid;
}

bool
rt_procs_first_stop(struct rt_procs *p, pid_t tid)
{
	struct rt_task *t = find(p, tid);

	if (!t) {
		rt_procs_tgid(p, tid);	/* reads /proc, adds it */
		t = find(p, tid);
	}
	if (!t || t->started)
		return false;
	t->started = true;
	return true;
}

bool
rt_procs_traced(const struct rt_procs *p, pid_t tid)
{
	const struct rt_task *t = find((struct rt_procs *)p, tid);

	return t && t->started;
}

unsigned int
rt_procs_nthreads(const struct rt_procs *p, pid_t tgid)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		n += p->t[i].tgid == tgid;
	return n;
}

struct rt_proc *
rt_procs_proc(struct rt_procs *p, pid_t tgid)
{
	struct rt_proc *n;
	size_t i;

	for (i = 0; i < p->np; i++)
		if (p->p[i].tgid == tgid)
			return &p->p[i];
	n = rt_grow(p->p, p->np, &p->cap_p, sizeof(*n), 8);
	if (!n)
		return NULL;
	p->p = n;
	p->p[p->np] = (struct rt_proc){ .tgid = tgid, .maps_fd = -1,
					.smaps_fd = -1, .pidfd = -1,
					.step_ok = -1, .lock_unlimited = -1,
					.as_unlimited = -1,
					.start = identity(tgid) };
	return &p->p[p->np++];
}

/* Close @pr's /proc descriptors (opened again as they are read). */
static void
close_proc_files(struct rt_proc *pr)
{
	rt_closep(&pr->maps_fd);
	rt_closep(&pr->smaps_fd);
	pr->maps_fd = pr->smaps_fd = -1;
}

void
rt_procs_drop_proc(struct rt_procs *p, pid_t tgid)
{
	size_t i;

	for (i = 0; i < p->np; i++) {
		if (p->p[i].tgid != tgid)
			continue;
		close_proc_files(&p->p[i]);
		rt_closep(&p->p[i].pidfd);
		p->p[i] = p->p[--p->np];
		return;
	}
}

void
rt_procs_unseen(struct rt_procs *p, pid_t tid, pid_t tgid)
{
	size_t i;

	if (rt_procs_traced(p, tid) || rt_procs_forget_stale(p, tgid))
		return;
	for (i = 0; i < p->np; i++)
		if (p->p[i].tgid == tgid)
			close_proc_files(&p->p[i]);
}

#define SWEEP_MIN	64

bool
rt_procs_sweep_due(struct rt_procs *p)
{
	return p->np + p->n >= (p->sweep_at ? p->sweep_at : SWEEP_MIN);
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Is @tgid in the sorted @tgids (@n)? */
static bool
among(const pid_t *tgids, size_t n, pid_t tgid)
{
	return n && bsearch(&tgid, tgids, n, sizeof(*tgids), cmp_pid);
}

/* Has process @pr ended?  Its pidfd says (readable once the whole
 * process has exited, a zombie too), else which process has its id. */
static bool
ended(const struct rt_proc *pr)
{
	struct pollfd pfd = { .fd = pr->pidfd, .events = POLLIN };

	if (pfd.fd >= 0)
		return poll(&pfd, 1, 0) == 1;
	return identity(pr->tgid) != pr->start;
}

size_t
rt_procs_gone_untraced(struct rt_procs *p, pid_t *gone, size_t max)
{
	_cleanup_free_ pid_t *traced = NULL;
	size_t i, u, nt = 0, n = 0;

	/* The processes with a traced thread, sorted: O(t log t). */
	traced = malloc((p->n ? p->n : 1) * sizeof(*traced));
	if (!traced)
		return 0;
	for (i = 0; i < p->n; i++)
		if (p->t[i].started)
			traced[nt++] = p->t[i].tgid;
	qsort(traced, nt, sizeof(*traced), cmp_pid);
	for (i = 0; i < p->np && n < max; i++)
		if (!among(traced, nt, p->p[i].tgid) && ended(&p->p[i]))
			gone[n++] = p->p[i].tgid;
	/* Their tasks: gone once no process has their process's id (a
	 * process with an entry was judged above, by its pidfd). */
	for (i = 0; i < p->n && n < max; i++)
		if (!p->t[i].started && !among(traced, nt, p->t[i].tgid) &&
		    kill(p->t[i].tgid, 0) < 0 && errno == ESRCH)
			gone[n++] = p->t[i].tgid;
	/* (a process's entry and its tasks, or several tasks, name it
	 * more than once: once each) */
	qsort(gone, n, sizeof(*gone), cmp_pid);
	for (i = 0, u = 0; i < n; i++)
		if (!u || gone[u - 1] != gone[i])
			gone[u++] = gone[i];
	n = u;
	for (i = 0; i < p->n;)
		if (!p->t[i].started && among(gone, n, p->t[i].tgid))
			p->t[i] = p->t[--p->n];
		else
			i++;
	p->sweep_at = 2 * (p->np + p->n) > SWEEP_MIN ? 2 * (p->np + p->n) :
		      SWEEP_MIN;
	return n;
}

void
rt_procs_fork(struct rt_procs *p, pid_t parent, pid_t child)
{
	struct rt_proc *pp = rt_procs_proc(p, parent);
	bool hidden = pp && pp->hidden_flags;
	bool revoked = pp && pp->keys_revoked;
	bool thp = pp && pp->thp_hinted;
	bool locks = pp && pp->lock_seen;
	bool nr_anon = pp && pp->noreserve_anon;
	bool nr_file = pp && pp->noreserve_file;
	int step_ok = pp ? pp->step_ok : -1;
	struct rt_proc *c = rt_procs_proc(p, child);

	if (c) {
		c->hidden_flags = hidden;
		c->keys_revoked = revoked;
		c->thp_hinted = thp;
		c->lock_seen = locks;
		c->noreserve_anon = nr_anon;
		c->noreserve_file = nr_file;
		c->step_ok = step_ok;
	}
}

void
rt_procs_free(struct rt_procs *p)
{
	while (p->np)
		rt_procs_drop_proc(p, p->p[0].tgid);
	free(p->t);
	free(p->p);
	free(p->changes);
	memset(p, 0, sizeof(*p));
}

int
rt_procs_change_begin(struct rt_procs *p, pid_t tid, pid_t tgid, long nr)
{
	struct rt_change *more;
	size_t i;

	/* (one call may concern several processes, and be served again) */
	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].tid == tid && p->changes[i].tgid == tgid)
			return 0;
	if (p->nchanges == p->cap_changes) {
		more = reallocarray(p->changes, p->cap_changes * 2 + 4,
				    sizeof(*more));
		if (!more)
			return -ENOMEM;
		p->changes = more;
		p->cap_changes = p->cap_changes * 2 + 4;
	}
	p->changes[p->nchanges++] = (struct rt_change){ tid, tgid, nr };
	return 0;
}

static void
change_over(struct rt_procs *p, size_t i)
{
	p->changes[i] = p->changes[--p->nchanges];
}

void
rt_procs_change_seen(struct rt_procs *p, pid_t tid)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].tid == tid)
			change_over(p, i--);
}

bool
rt_procs_past_call(pid_t tid, long nr)
{
	char path[64], buf[32];
	_cleanup_(rt_closep) int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;	/* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (!strncmp(buf, "running", 7))
		return false;
	/* -1: stopped outside any call, as a thread past its last one is */
	return strtol(buf, NULL, 10) != nr;
}

static bool
change_past(const struct rt_change *c)
{
	return rt_procs_past_call(c->tid, c->nr);
}

bool
rt_procs_change_pending(struct rt_procs *p, pid_t tgid)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++) {
		if (p->changes[i].tgid != tgid && p->changes[i].tgid != 0)
			continue;
		if (!change_past(&p->changes[i]))
			return true;
		change_over(p, i--);
	}
	return false;
}

/* A pidfd for the thread (6.9 PIDFD_THREAD), else for its process. */
int
rt_procs_own_pidfd(struct rt_proc *proc, bool *fresh)
{
	*fresh = false;
	if (proc->pidfd >= 0)
		return proc->pidfd;
	if (!rt_features_has(RT_FEAT_PIDFD_OPEN))
		return -ENOSYS;
	proc->pidfd = syscall(SYS_pidfd_open, proc->tgid, 0);
	if (proc->pidfd < 0)
		return rt_neg_errno();
	*fresh = true;
	return proc->pidfd;
}

int
rt_procs_pidfd(pid_t tid)
{
	unsigned long long tgid;
	int pidfd;

	if (!rt_features_has(RT_FEAT_PIDFD_OPEN))
		return -ENOSYS;
	pidfd = rt_features_has(RT_FEAT_PIDFD_THREAD) ?
		syscall(SYS_pidfd_open, tid, PIDFD_THREAD) : -1;
	if (pidfd >= 0)
		return pidfd;
	pidfd = syscall(SYS_pidfd_open, tid, 0);
	if (pidfd >= 0 || (errno != EINVAL && errno != ENOENT))
		return pidfd >= 0 ? pidfd : rt_neg_errno();
	/* A non-leader thread without PIDFD_THREAD: EINVAL before 6.9,
	 * ENOENT on later kernels (when disabled). */
	if (rt_procs_status(tid, "Tgid", 10, &tgid) < 0)
		return -ESRCH;
	pidfd = syscall(SYS_pidfd_open, (pid_t)tgid, 0);
	return pidfd >= 0 ? pidfd : rt_neg_errno();
}

int
rt_procs_filters(pid_t tid)
{
	unsigned long long v;

	return rt_procs_status(tid, "Seccomp_filters", 10, &v) == 0 ?
		(int)v : -1;
}
