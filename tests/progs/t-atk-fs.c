/* t-atk-fs.c - a chroot reaches every process that shares the caller's
 * fs_struct: no agent may keep the old root for one of them.
 *
 * Process Q is cloned with CLONE_VM | CLONE_FS but not CLONE_THREAD (as
 * LinuxThreads made its threads): it shares the program's memory and its
 * root, yet is a process of its own, with an agent of its own once it
 * remaps.  The program then chroots into DIR, which moves Q's root too;
 * Q remaps again.  An agent of Q's that kept the old root would be a way
 * out of the jail for the program, whose memory it shares.
 *
 * Usage: t-atk-fs DIR [leader-gone | nodump | held] (as root: chroot)
 *   leader-gone: Q's first thread starts a second one (CLONE_THREAD,
 *   sharing the fs_struct) and exits: Q's leader is a zombie with no
 *   fs_struct of its own, the thread left does the rest.
 *   nodump: (as nobody, under an unprivileged remaptrace) the program
 *   makes a user namespace of its own to chroot in, and is not
 *   dumpable while it chroots: kcmp of it is refused to remaptrace.
 *   held: a thread's chroot reads its path from a page userfaultfd
 *   holds back, and Q is cloned (and remaps) only while the call waits
 *   in the kernel: a process that did not exist when the call was heard
 *   of, whose root the call moves all the same.
 * Prints "chroot: RESULT", "remaps: N failed" and "escaped: N": the
 * processes sharing the program's memory (kcmp KCMP_VM) whose root is
 * not the program's (natively, none).  Exit 0 when the scenario ran, 1 on
 * setup failure, 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-held.h"

static char stack[1 << 16];
static char *area;
static long pg;
static int to_q[2], from_q[2];

static void
die(const char *what)
{
	fprintf(stderr, "t-atk-fs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
remaps(void)
{
	int failed = 0, i;

	for (i = 0; i < 8; i++)
		failed += remap_file_pages(area, pg, 0, (size_t)(i % 3) + 1,
					   0) != 0;
	return failed;
}

static char stack2[1 << 16];
static int leader_gone, nodump, held;
static int q(void *arg);
static long chroot_r;
static int chroot_errno;

/* held: the chroot, its path on the held page (@arg). */
static void *
chroot_held(void *arg)
{
	chroot_r = chroot(arg);
	chroot_errno = errno;
	return NULL;
}

/*
 * held: start the chroot, clone Q while it waits for its page, let Q
 * remap, then give the page (with @dir) and wait for the call.  Returns
 * Q, or -1.
 */
static pid_t
clone_while_held(const char *dir)
{
	struct held_page h;
	pthread_t t;
	pid_t qp;
	char c;

	if (strlen(dir) >= (size_t)pg)
		die("path");
	held_open(&h, pg);
	t = held_call(&h, chroot_held);
	qp = clone(q, stack + sizeof(stack), CLONE_VM | CLONE_FS | SIGCHLD,
		   NULL);
	if (qp < 0)
		die("clone");
	if (read(from_q[0], &c, 1) != 1)
		die("q");
	held_give(&h, dir, strlen(dir) + 1);
	pthread_join(t, NULL);
	return qp;
}

static int q_rest(void *arg);

/* Q: remaps, waits for the chroot, remaps, reports its failures. */
static int
q(void *arg)
{
	if (!leader_gone)
		return q_rest(arg);
	if (clone(q_rest, stack2 + sizeof(stack2), CLONE_VM | CLONE_FS |
		  CLONE_FILES | CLONE_THREAD | CLONE_SIGHAND, NULL) < 0)
		_exit(1);
	syscall(SYS_exit, 0);	/* this thread only: the others go on */
	return 0;
}

static int
q_rest(void *arg)
{
	char c;
	int failed;

	(void)arg;
	failed = remaps();
	if (write(from_q[1], "r", 1) != 1 || read(to_q[0], &c, 1) != 1)
		_exit(1);
	failed += remaps();
	c = (char)failed;
	if (write(from_q[1], &c, 1) != 1)
		_exit(1);
	for (;;)
		pause();
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat mine, its;
	struct dirent *de;
	int dfd, escaped = 0;
	char c, path[64];
	long r;
	pid_t qp, self = getpid();
	DIR *d;

	if (argc < 2 || argc > 3 || (argc == 3 &&
	    strcmp(argv[2], "leader-gone") && strcmp(argv[2], "nodump") &&
	    strcmp(argv[2], "held"))) {
		fprintf(stderr,
			"usage: t-atk-fs DIR [leader-gone | nodump | held]\n");
		return 2;
	}
	leader_gone = argc == 3 && !strcmp(argv[2], "leader-gone");
	held = argc == 3 && !strcmp(argv[2], "held");
	nodump = argc == 3 && !strcmp(argv[2], "nodump");
	if (nodump) {
		char map[32];
		int fd, n;

		n = snprintf(map, sizeof(map), "0 %d 1", (int)getuid());
		if (unshare(CLONE_NEWUSER))
			die("unshare");
		fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)n) != n)
			die("uid_map");
		close(fd);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	area = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || pipe(to_q) || pipe(from_q))
		die("setup");
	/* /proc is outside the jail: read through a descriptor kept. */
	dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die("/proc");
	if (held) {
		remaps();	/* (an agent of the program's own first) */
		qp = clone_while_held(argv[1]);
		r = chroot_r;
		errno = chroot_errno;
	} else {
		qp = clone(q, stack + sizeof(stack),
			   CLONE_VM | CLONE_FS | SIGCHLD, NULL);
		if (qp < 0)
			die("clone");
		if (read(from_q[0], &c, 1) != 1)
			die("q");
		if (nodump)
			prctl(PR_SET_DUMPABLE, 0);
		r = chroot(argv[1]);
		if (nodump)
			prctl(PR_SET_DUMPABLE, 1);
	}
	printf("chroot: %s\n", r == 0 ? "0" : strerrorname_np(errno));
	if (write(to_q[1], "g", 1) != 1 || read(from_q[0], &c, 1) != 1)
		die("q");
	printf("remaps: %d failed\n", remaps() + c);
	snprintf(path, sizeof(path), "%d/root", (int)self);
	if (fstatat(dfd, path, &mine, 0))
		die("root");
	d = fdopendir(dup(dfd));
	if (!d)
		die("/proc");
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0 || pid == self ||
		    syscall(SYS_kcmp, self, pid, KCMP_VM, 0, 0) != 0)
			continue;
		snprintf(path, sizeof(path), "%d/root", (int)pid);
		if (fstatat(dfd, path, &its, 0) == 0 &&
		    (its.st_ino != mine.st_ino || its.st_dev != mine.st_dev))
			escaped++;
	}
	closedir(d);
	printf("escaped: %d\n", escaped);
	kill(qp, SIGKILL);
	waitpid(qp, NULL, 0);
	return 0;
}
