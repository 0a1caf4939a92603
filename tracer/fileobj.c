/* fileobj.c - reach the open file behind a tracee's VMA, safely.
 *
 * Preference: the tracee's own descriptor for that file, taken with
 * pidfd_getfd(2) so the supervisor holds the very open file description;
 * else the tracee itself opens /proc/self/map_files/START-END, then the
 * path, with its own credentials (injected openat).  Nothing is ever
 * opened with remaptrace's rights: a root supervisor would grant what the
 * program cannot have.  Every descriptor is checked against the VMA's
 * device and inode before use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <unistd.h>

#include "rt_arch.h"
#include "rt_compat.h"
#include "rt_features.h"
#include "rt_fileobj.h"
#include "rt_inject.h"
#include "rt_util.h"
#include "rt_procs.h"

static bool
same_inode(const struct stat *st, const struct rt_vma *vma)
{
	return st->st_ino == vma->ino &&
	       major(st->st_dev) == vma->dev_major &&
	       minor(st->st_dev) == vma->dev_minor;
}

/* Same inode and exec rights as the VMA's file (an O_PATH one will do). */
static int
check_inode(int fd, const struct rt_vma *vma)
{
	struct statvfs sv;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return rt_neg_errno();
	if (!same_inode(&st, vma))
		return -ESTALE;
	if (vma->flags_exact && fstatvfs(fd, &sv) == 0 &&
	    !(sv.f_flag & ST_NOEXEC) != !!(vma->flags & RT_VM_MAYEXEC))
		return -ESTALE;
	return 0;
}

/*
 * A VM_SHARED mapping exists only for a file opened for reading and
 * writing (mm/mmap.c:do_mmap() clears VM_SHARED without FMODE_WRITE, and
 * any file mapping needs FMODE_READ), so only such a descriptor is the
 * same kind of open file.
 */
static int
check_fd(int fd, const struct rt_vma *vma)
{
	int fl, r;

	/*
	 * The same inode through a mount with other exec rights gives
	 * another VM_MAYEXEC (do_mmap(): path_noexec()), so "me" must agree
	 * when the VMA's full flags are known.
	 */
	r = check_inode(fd, vma);
	if (r < 0)
		return r;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return rt_neg_errno();
	if ((fl & O_ACCMODE) != O_RDWR)
		return -EACCES;
	return 0;
}

/* Read the "flags:" line of /proc/TID/fdinfo/N (octal). */
static int
fdinfo_flags(int dfd, const char *name, int *flags)
{
	char path[300];
	unsigned long long v;
	int r;

	snprintf(path, sizeof(path), "../fdinfo/%s", name);
	r = rt_procs_field(dfd, path, "flags", 8, &v);
	if (r < 0)
		return r == -ENOENT ? -EIO : r;
	*flags = (int)v;
	return 0;
}

/* Is our descriptor @fd of the open file of our descriptor @want? */
static bool
same_open_file(int fd, int want)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, fd, want) == 0;
}

/*
 * The tracee's read-write descriptors of the VMA's inode, taken in turn:
 * with @want, the first that is its open file; else (or with none) the
 * first of all, and 1 is returned.
 */
static int
from_tracee_fd(pid_t tid, int pidfd, const struct rt_vma *vma, int want,
	       int *out, int *tfd)
{
	char path[64];
	_cleanup_close_ int dfd = -1;
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	if (!rt_features_has(RT_FEAT_PIDFD_GETFD))
		return -ENOSYS;
	if (want >= 0 && !rt_features_has(RT_FEAT_KCMP))
		want = -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", tid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rt_neg_errno();
	d = fdopendir(dup(dfd));
	if (!d)
		return rt_neg_errno();
	while ((de = readdir(d))) {
		struct stat st;
		int flags, n, fd;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, 0) < 0 ||
		    !same_inode(&st, vma))
			continue;
		if (fdinfo_flags(dfd, de->d_name, &flags) < 0 ||
		    (flags & O_ACCMODE) != O_RDWR)
			continue;
		n = atoi(de->d_name);
		fd = syscall(SYS_pidfd_getfd, pidfd, n, 0);
		if (fd < 0)
			continue;
		/* The number may have been reused meanwhile: recheck. */
		if (check_fd(fd, vma) < 0) {
			close(fd);
			continue;
		}
		if (want < 0 || same_open_file(fd, want)) {
			if (r == 1)
				close(*out);
			*out = fd;
			*tfd = n;
			r = 0;
			break;
		}
		if (r == 1) {
			close(fd);
			continue;
		}
		*out = fd;
		*tfd = n;
		r = 1;
	}
	closedir(d);
	return r;
}

bool
rt_fileobj_candidate(pid_t tid, const struct rt_vma *vma)
{
	char path[64];
	_cleanup_close_ int dfd = -1;
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", tid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return true;	/* cannot tell: let rt_fileobj_get() look */
	d = fdopendir(dup(dfd));
	if (!d)
		return true;
	while (!found && (de = readdir(d))) {
		struct stat st;
		int flags;

		found = de->d_name[0] != '.' &&
			fstatat(dfd, de->d_name, &st, 0) == 0 &&
			same_inode(&st, vma) &&
			fdinfo_flags(dfd, de->d_name, &flags) == 0 &&
			(flags & O_ACCMODE) == O_RDWR;
	}
	closedir(d);
	return found;
}

int
rt_fileobj_get(pid_t tid, int pidfd, const struct rt_vma *vma, int want,
	       int *fd, enum rt_fileobj_how *how, int *tfd)
{
	int r;

	*fd = -1;
	*tfd = -1;
	*how = RT_FILE_NONE;
	if (pidfd >= 0) {
		r = from_tracee_fd(tid, pidfd, vma, want, fd, tfd);
		if (r >= 0) {
			*how = RT_FILE_TRACEE_FD;
			return r;
		}
	}
	/*
	 * Never /proc/PID/map_files with remaptrace's own rights: a root
	 * supervisor would open, read-write, a file the program may only
	 * read.  The program opens it itself (rt_fileobj_open_in_tracee()).
	 */
	return -EPERM;
}

/* The VMA's path as the kernel names it (readlink needs only ptrace-read). */
static int
vma_path(pid_t tid, const struct rt_vma *vma, char *buf, size_t size)
{
	char link[96];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/map_files/%llx-%llx", tid,
		 (unsigned long long)vma->start, (unsigned long long)vma->end);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return rt_neg_errno();
	if ((size_t)n == size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	/* d_path() of an unlinked file: nothing to open by name. */
	if (buf[0] != '/' || (n > 10 && !strcmp(buf + n - 10, " (deleted)")))
		return -ENOENT;
	return 0;
}

/* Put @str below the red zone of the stopped thread's stack (scratch
 * space no code of the thread is using now); *addr: where. */
static int
poke_string(const struct rt_open_seq *s, const char *str, uint64_t *addr)
{
	size_t len = strlen(str) + 1;
	struct iovec local, remote;

	*addr = (s->sp - s->red_zone - len) & ~15ULL;
	local = (struct iovec){ .iov_base = (void *)str, .iov_len = len };
	remote = (struct iovec){ .iov_base = (void *)*addr, .iov_len = len };
	if (process_vm_writev(s->tid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)len)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return 0;
}

/* The tracee is to open @path with @flags, then go on at step @then. */
static int
tracee_openat(struct rt_open_seq *s, const char *path, int flags, int then,
	      struct rt_sys *next)
{
	int r;

	*next = (struct rt_sys){ .nr = s->abi->nr_openat,
				 .args = { (uint64_t)AT_FDCWD, 0,
					   (uint64_t)flags } };
	r = poke_string(s, path, &next->args[1]);
	if (r < 0)
		return r;
	s->step = then;
	return RT_SYS_CALL;
}

/* The tracee is to close @tfd, then go on at step @then. */
static int
tracee_close(struct rt_open_seq *s, long tfd, int then, struct rt_sys *next)
{
	*next = (struct rt_sys){ .nr = s->abi->nr_close,
				 .args = { (uint64_t)tfd } };
	s->step = then;
	return RT_SYS_CALL;
}

/*
 * Without pidfd_open or pidfd_getfd (before 5.6, or under a tool that does
 * not know them, valgrind 3.19): the descriptor checked through /proc, an
 * O_PATH open (which opens nothing) of its magic link and its fdinfo
 * flags; no copy of it is kept (*fd stays -1).
 */
static int
check_by_path(pid_t tid, long tfd, const struct rt_vma *vma, bool rw)
{
	char path[64];
	_cleanup_close_ int dfd = -1, pfd = -1;
	int flags, r;

	snprintf(path, sizeof(path), "/proc/%d/fd", tid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "%ld", tfd);
	pfd = openat(dfd, path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -ESRCH;
	r = check_inode(pfd, vma);
	if (r < 0 || !rw)
		return r;
	r = fdinfo_flags(dfd, path, &flags);
	if (r < 0)
		return r;
	return (flags & O_ACCMODE) == O_RDWR ? 0 : -EACCES;
}

/* Our copy of the tracee's descriptor @tfd, checked against @vma. */
static int
take_checked(pid_t tid, long tfd, const struct rt_vma *vma, bool rw, int *fd)
{
	_cleanup_close_ int pidfd = -1;
	int r;

	*fd = -1;
	if (!rt_features_has(RT_FEAT_PIDFD_GETFD))
		return check_by_path(tid, tfd, vma, rw);
	pidfd = rt_procs_pidfd(tid);
	if (pidfd >= 0)
		*fd = syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
	if (*fd < 0 && errno == ENOSYS)
		return check_by_path(tid, tfd, vma, rw);
	if (*fd < 0)
		return -ESRCH;
	r = rw ? check_fd(*fd, vma) : check_inode(*fd, vma);
	if (r < 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

/* The steps of rt_fileobj_open_step(): what the last call was. */
enum {
	OPEN_START,
	OPEN_MAP_FILES,		/* openat of /proc/self/map_files/START-END */
	OPEN_BY_PATH,		/* closed what map_files gave: the path next */
	OPEN_O_PATH,		/* openat(path, O_PATH) */
	OPEN_REOPEN,		/* openat("/proc/self/fd/N", O_RDWR) */
	OPEN_CLOSE_PATH,	/* a rejected descriptor closed: the O_PATH one */
	OPEN_END,		/* the O_PATH descriptor closed */
};

void
rt_fileobj_open_begin(struct rt_open_seq *s, pid_t tid,
		      const struct rt_arch *abi, const struct rt_regs *saved,
		      const struct rt_vma *vma, int base_filters)
{
	const struct rt_arch *mode = rt_arch_abi_regs(saved);

	memset(s, 0, sizeof(*s));
	s->tid = tid;
	s->abi = abi;
	s->sp = rt_arch_sp(saved);
	/* The red zone is the thread's mode's (a 64-bit thread that made an
	 * i386 call keeps its 128 bytes), not the call's. */
	s->red_zone = mode ? mode->red_zone : rt_arch_red_zone;
	s->vma = *vma;
	s->base_filters = base_filters;
	s->tfd = s->fd = -1;
	s->pfd = -1;
}

static int
open_done(struct rt_open_seq *s, int r)
{
	s->r = r;
	return RT_SYS_DONE;
}

/*
 * The map_files way first: the VMA's own inode, even shared memory or a
 * deleted file, if the program may open it (the kernel asks CAP_SYS_ADMIN
 * or CAP_CHECKPOINT_RESTORE of the opener, proc_map_files_get_link(): here
 * the program itself).  Else its path, O_PATH first: that opens nothing
 * (no lease break, no device open, no FIFO wait), yet names an inode to
 * check.  Only the checked inode is then opened for reading and writing,
 * through /proc/self/fd, with the program's own credentials.
 */
int
rt_fileobj_open_step(struct rt_open_seq *s, long ret, struct rt_sys *next)
{
	char again[64];
	int r;

	switch (s->step) {
	case OPEN_START:
		/* A program's own filter would judge the openat, maybe
		 * kill it. */
		if (rt_procs_filters(s->tid) != s->base_filters)
			return open_done(s, -ENOTSUP);
		snprintf(s->path, sizeof(s->path),
			 "/proc/self/map_files/%llx-%llx",
			 (unsigned long long)s->vma.start,
			 (unsigned long long)s->vma.end);
		r = tracee_openat(s, s->path, O_RDWR | O_CLOEXEC | O_NOCTTY,
				  OPEN_MAP_FILES, next);
		return r < 0 ? open_done(s, r) : r;
	case OPEN_MAP_FILES:
		if (ret >= 0) {
			r = take_checked(s->tid, ret, &s->vma, true, &s->fd);
			if (r == 0) {
				s->tfd = (int)ret;
				s->how = RT_FILE_MAP_FILES;
				return open_done(s, 0);
			}
			s->r = r;
			return tracee_close(s, ret, OPEN_BY_PATH, next);
		}
		/* fall through */
	case OPEN_BY_PATH:
		if (s->step == OPEN_BY_PATH && s->r == -ESRCH)
			return open_done(s, -ESRCH);
		r = vma_path(s->tid, &s->vma, s->path, sizeof(s->path));
		if (r == 0)
			r = tracee_openat(s, s->path,
					  O_PATH | O_CLOEXEC | O_NOFOLLOW,
					  OPEN_O_PATH, next);
		return r < 0 ? open_done(s, r) : r;
	case OPEN_O_PATH:
		if (ret < 0)
			return open_done(s, (int)ret);
		s->pfd = ret;
		s->r = take_checked(s->tid, ret, &s->vma, false, &s->fd);
		if (s->r < 0)
			return tracee_close(s, s->pfd, OPEN_END, next);
		close(s->fd);
		s->fd = -1;
		snprintf(again, sizeof(again), "/proc/self/fd/%ld", s->pfd);
		r = tracee_openat(s, again, O_RDWR | O_CLOEXEC | O_NOCTTY,
				  OPEN_REOPEN, next);
		if (r < 0) {
			s->r = r;
			return tracee_close(s, s->pfd, OPEN_END, next);
		}
		return r;
	case OPEN_REOPEN:
		s->r = ret < 0 ? (int)ret :
			take_checked(s->tid, ret, &s->vma, true, &s->fd);
		if (s->r == 0) {
			s->tfd = (int)ret;
			s->how = RT_FILE_TRACEE_OPEN;
		} else if (s->r != -ESRCH && ret >= 0) {
			return tracee_close(s, ret, OPEN_CLOSE_PATH, next);
		}
		return tracee_close(s, s->pfd, OPEN_END, next);
	case OPEN_CLOSE_PATH:
		return tracee_close(s, s->pfd, OPEN_END, next);
	default:
		r = s->r;
		if (r == -ESRCH || r == 0)
			return open_done(s, r);
		return open_done(s, r);
	}
}

const char *
rt_fileobj_how_name(enum rt_fileobj_how how)
{
	switch (how) {
	case RT_FILE_TRACEE_FD:
		return "tracee-fd";
	case RT_FILE_MAP_FILES:
		return "map_files";
	case RT_FILE_FOLLOWED:
		return "followed";
	case RT_FILE_TRACEE_OPEN:
		return "tracee-open";
	case RT_FILE_DUP:
		return "mremap";
	case RT_FILE_INFERRED:
		return "inferred";
	default:
		return "none";
	}
}
