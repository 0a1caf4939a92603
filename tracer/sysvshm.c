/* sysvshm.c - the state of SysV segments as /proc/sysvipc/shm shows it,
 * read only for remaps that may destroy a removed one (rt_sysvshm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <unistd.h>
#include <seccomp.h>

#include "rt_ctx.h"
#include "rt_sysvshm.h"
#include "rt_seccomp.h"
#include "rt_util.h"

static void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/*
 * Is @pid in our IPC namespace?  1 yes, 0 no, or -errno.  The answer
 * for the last process found in it is kept: the stat costs more than
 * reading /proc/sysvipc/shm.  What a process's VMAs map was attached in
 * the namespace it had then; one that moves (unshare(CLONE_NEWIPC),
 * setns()) keeps them, so its namespace now is only a sign of theirs.
 */
static int
same_ipc_ns(struct rt_sysvshm *s, pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid == s->ns_pid)
		return 1;
	if (!s->ns_known) {
		if (stat("/proc/self/ns/ipc", &st) < 0)
			return rt_neg_errno();
		s->ns_dev = st.st_dev;
		s->ns_ino = st.st_ino;
		s->ns_known = true;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	if (stat(path, &st) < 0)
		return rt_neg_errno();
	if (st.st_dev != s->ns_dev || st.st_ino != s->ns_ino)
		return 0;
	s->ns_pid = pid;
	return 1;
}

/* A line is about 160 bytes (ipc/shm.c sysvipc_shm_proc_show()). */
#define LINE_MAX_LEN	512

/* Hand each segment of our IPC namespace to @fn until it returns
 * non-zero; returns that, 0 at the end, or -errno. */
static int
each_segment(struct rt_sysvshm *s,
	     int (*fn)(const struct rt_shm_seg *seg, void *arg), void *arg)
{
	char buf[4 * LINE_MAX_LEN], *line, *nl;
	struct rt_shm_seg seg;
	size_t have = 0;
	ssize_t n;
	int r = 0;

	if (!s->have_fd) {
		s->fd = open("/proc/sysvipc/shm", O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return rt_neg_errno();
		s->have_fd = true;
	}
	if (lseek(s->fd, 0, SEEK_SET) < 0)
		return rt_neg_errno();
	s->reads++;
	while (!r && (n = read(s->fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while (!r && (nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (rt_shm_parse_line(line, &seg) == 0)	/* not the header */
				r = fn(&seg, arg);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			return -EIO;	/* a line longer than any the kernel writes */
	}
	if (!r && n < 0)
		return rt_neg_errno();
	return r;
}

struct find {
	int id;
	struct rt_shm_seg *out;
};

static int
match(const struct rt_shm_seg *seg, void *arg)
{
	struct find *want = arg;

	if (seg->id != want->id)
		return 0;
	*want->out = *seg;
	return 1;
}

int
rt_sysvshm_state(struct rt_sysvshm *s, pid_t pid, int shmid,
		 struct rt_shm_seg *out)
{
	struct find want = { .id = shmid, .out = out };
	int r = same_ipc_ns(s, pid);

	if (r <= 0)
		return r ? r : -EXDEV;
	r = each_segment(s, match, &want);
	if (r < 0)
		return r;
	return r ? 0 : -ENOENT;
}

/*
 * kernel.shm_rmid_forced (of our IPC namespace): any segment whose last
 * attach goes is destroyed, removed or not.  Read once: a change while
 * remaptrace runs is not seen.
 */
static bool
rmid_forced(struct rt_sysvshm *s)
{
	_cleanup_(fclosep) FILE *f = NULL;
	int on = 0;

	if (!s->forced_known) {
		f = fopen("/proc/sys/kernel/shm_rmid_forced", "re");
		s->forced = f && fscanf(f, "%d", &on) == 1 && on;
		s->forced_known = true;
	}
	return s->forced;
}

static int
find_noted(const struct rt_sysvshm *s, int shmid)
{
	unsigned int i;

	for (i = 0; i < s->nnoted; i++)
		if (s->noted[i] == shmid)
			return (int)i;
	return -1;
}

static void
forget(struct rt_sysvshm *s, int shmid)
{
	int i = find_noted(s, shmid);

	if (i >= 0)
		s->noted[i] = s->noted[--s->nnoted];
}

struct prune {
	const struct rt_sysvshm *s;
	bool keep[RT_SYSVSHM_NOTED];
};

static int
still_removed(const struct rt_shm_seg *seg, void *arg)
{
	struct prune *p = arg;
	int i = find_noted(p->s, seg->id);

	if (i >= 0 && (seg->mode & RT_SHM_DEST))
		p->keep[i] = true;
	return 0;
}

/* The list is full: keep the shmids of segments still removed and
 * attached (the others are destroyed, or their removal failed). */
static void
prune(struct rt_sysvshm *s)
{
	struct prune p = { .s = s };
	unsigned int i, n = 0;

	if (each_segment(s, still_removed, &p) < 0)
		return;
	for (i = 0; i < s->nnoted; i++)
		if (p.keep[i])
			s->noted[n++] = s->noted[i];
	s->nnoted = n;
}

void
rt_sysvshm_note(struct rt_sysvshm *s, int shmid)
{
	if (shmid < 0 || s->overflow || find_noted(s, shmid) >= 0)
		return;
	if (s->nnoted == RT_SYSVSHM_NOTED)
		prune(s);
	if (s->nnoted == RT_SYSVSHM_NOTED)
		s->overflow = true;	/* from now on, look at every one */
	else
		s->noted[s->nnoted++] = shmid;
}

void
rt_sysvshm_rmid(struct rt_ctx *ctx)
{
	const struct seccomp_data *d = &ctx->req->data;

	/* shmctl(shmid, cmd, buf); the filter sends only cmd IPC_RMID */
	if ((int)d->args[1] == IPC_RMID)
		rt_sysvshm_note(&ctx->tr.shm, (int)d->args[0]);
	rt_seccomp_answer(ctx, 0, 0, true);
}

int
rt_sysvshm_judge(struct rt_sysvshm *s, pid_t tgid,
		 const struct rt_vma_lookup *lk, struct rt_verdict *v)
{
	struct rt_shm_seg seg;
	unsigned int whole;
	int id, r;

	/* Cheapest first: a SysV segment that may have been removed... */
	if (v->action != RT_ACT_MMAP || !rt_shm_id(&v->first, &id))
		return 0;
	if (!s->overflow && find_noted(s, id) < 0 && !rmid_forced(s))
		return 0;
	/* ...with a VMA the mmap closes... */
	r = rt_remap_whole_vmas(lk, v, &whole);
	if (r < 0)
		return r == -EINVAL ? 0 : r;
	if (!whole)
		return 0;
	/* ...and nothing else attached: nattch counts the VMAs of every
	 * process (shm_open() on attach, fork and split). */
	r = rt_sysvshm_state(s, tgid, id, &seg);
	if (r == -ENOENT)
		forget(s, id);	/* not of our namespace: nothing to know */
	if (r < 0 || !rt_shm_destroys(&seg, rmid_forced(s), whole))
		return 0;	/* kept, or unknown: judged as before */
	return rt_remap_shm_gone(v, id);
}
