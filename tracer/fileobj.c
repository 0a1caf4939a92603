/* fileobj.c - reach the open file behind a tracee's VMA, safely.
 *
 * Preference (issue 4): the tracee's own descriptor for that file, taken
 * with pidfd_getfd(2) so the supervisor holds the very open file
 * description; else /proc/PID/map_files/START-END, which the kernel lets
 * only a privileged supervisor open.  A path from /proc/PID/maps is never
 * opened: it may name another file by now.  Every descriptor is checked
 * against the VMA's device and inode before use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt_compat.h"
#include "rt_tracer.h"
#include "rt_util.h"

static bool
same_inode(const struct stat *st, const struct rt_vma *vma)
{
	return st->st_ino == vma->ino &&
	       major(st->st_dev) == vma->dev_major &&
	       minor(st->st_dev) == vma->dev_minor;
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
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return rt_neg_errno();
	if (!same_inode(&st, vma))
		return -ESTALE;
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
	char path[300], buf[256], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "../fdinfo/%s", name);
	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strstr(buf, "flags:");
	if (!p)
		return -EIO;
	*flags = (int)strtol(p + 6, NULL, 8);
	return 0;
}

static int
from_tracee_fd(pid_t tid, int pidfd, const struct rt_vma *vma, int *out,
	       int *tfd)
{
	char path[64];
	_cleanup_close_ int dfd = -1;
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

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
		*out = fd;
		*tfd = n;
		r = 0;
		break;
	}
	closedir(d);
	return r;
}

static int
from_map_files(pid_t tid, const struct rt_vma *vma, int *out)
{
	char path[96];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", tid,
		 (unsigned long long)vma->start, (unsigned long long)vma->end);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == EACCES ? -EPERM : rt_neg_errno();
	r = check_fd(fd, vma);
	if (r < 0)
		return r;
	*out = take_fd(fd);
	return 0;
}

int
rt_fileobj_get(pid_t tid, int pidfd, const struct rt_vma *vma, int *fd,
	       enum rt_fileobj_how *how, int *tfd)
{
	int r;

	*fd = -1;
	*tfd = -1;
	*how = RT_FILE_NONE;
	if (pidfd >= 0) {
		r = from_tracee_fd(tid, pidfd, vma, fd, tfd);
		if (r == 0) {
			*how = RT_FILE_TRACEE_FD;
			return 0;
		}
	}
	r = from_map_files(tid, vma, fd);
	if (r == 0)
		*how = RT_FILE_MAP_FILES;
	return r;
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
	default:
		return "none";
	}
}
