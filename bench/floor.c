/* floor.c - the floor of remaptrace's design on this machine: the least a
 * 1-page remap_file_pages costs when a supervisor answers it by an agent.
 *
 *   floor MODE [--iters N]
 *
 * A program makes N 1-page remap_file_pages calls on a memfd mapping,
 * and prints one line: "floor mode=MODE iters=N ns_per_call=X".
 *   native   the kernel's own call, no filter
 *   notify   a user-notification filter (SYNC_WAKE_UP where the kernel
 *            has it), the supervisor in epoll_wait answering 0 at once
 *   agent    the same, but first the supervisor has an agent (a process
 *            sharing the program's memory, clone(CLONE_VM)) run the mmap
 *            (MAP_SHARED|MAP_FIXED|MAP_POPULATE) over a pipe, and waits
 *            for its result in epoll_wait: the whole design, nothing else
 *   checked  agent, plus the two calls remaptrace cannot go without: the
 *            VMA looked up (PROCMAP_QUERY) and the notification checked
 *            to be still pending (NOTIF_ID_VALID)
 * The same for the followed shared mmap (make bench's mmaps row): the
 * program opens a new open file of one memfd, maps one page of it
 * MAP_SHARED, closes it and reads the page, N times; it prints
 * "floor mode=MODE iters=N ns_per_mmap=X".
 *   mmaps-native  no filter
 *   mmaps-notify  a filter that sends shared mmaps, answered CONTINUE
 *                 at once: the price of seeing the mmap at all
 *   mmaps-copy    the same, but first the supervisor takes the open file
 *                 with pidfd_getfd(2) and keeps it (as remaptrace must, or
 *                 a later remap could not map the very same open file once
 *                 the program closed its descriptor), and fstat(2)s it
 * Everything runs on the CPU it starts on, as remaptrace keeps its
 * supervisor and agents (tracer/main.c).  What remaptrace adds on top of
 * "checked" (and "mmaps-copy") is its own work: judging the call, its
 * bookkeeping, its log.
 * Exit 0; 1 if a step failed; 2 on bad usage; 77 where the machine has
 * no remap_file_pages or no PROCMAP_QUERY (Linux 6.11) for "checked".
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "rt_compat.h"
#include "rfpbench.h"

enum mode {
	NATIVE, NOTIFY, AGENT, CHECKED,
	MMAPS_NATIVE, MMAPS_NOTIFY, MMAPS_COPY, NMODES
};
static const char *const mode_name[NMODES] = {
	"native", "notify", "agent", "checked",
	"mmaps-native", "mmaps-notify", "mmaps-copy",
};

/* A mode of the mmaps floor? */
static int
is_mmaps(enum mode mode)
{
	return mode >= MMAPS_NATIVE;
}

/* A request to the agent: where, how long, from which page. */
struct req {
	uint64_t addr, len, off;
};

static int mfd, req_pipe[2], res_pipe[2];

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The agent: runs each mmap asked for, says what it returned. */
static int
agent(void *arg)
{
	struct req r;
	long v;

	(void)arg;
	while (read(req_pipe[0], &r, sizeof(r)) == sizeof(r)) {
		v = (long)mmap((void *)r.addr, r.len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd,
			       (off_t)r.off);
		if (write(res_pipe[1], &v, sizeof(v)) != sizeof(v))
			break;
	}
	_exit(0);
}

/* Pass descriptor @fd over socket @s (the listener, child to parent). */
static void
send_fd(int s, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 0;
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	if (sendmsg(s, &m, 0) != 1)
		die("sendmsg");
}

static int
recv_fd(int s)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 }, c;
	struct iovec io = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	int fd;

	if (recvmsg(s, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		die("recvmsg");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(fd));
	return fd;
}

/* The mmaps program: N followed mmaps, timed, as rfpbench's; 0 or 1. */
static int
program_mmaps(enum mode mode, long iters)
{
	char path[64];
	uint64_t t0, t1;
	long i;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	t0 = rfp_now_ns();
	for (i = 0; i < iters; i++) {
		int f = open(path, O_RDONLY | O_CLOEXEC);
		void *m;

		if (f < 0)
			die("open");
		m = mmap(NULL, (size_t)rfp_page_size, PROT_READ, MAP_SHARED,
			 f, 0);
		close(f);
		if (m == MAP_FAILED)
			die("mmap");
		(void)*(volatile char *)m;
	}
	t1 = rfp_now_ns();
	printf("floor mode=%s iters=%ld ns_per_mmap=%.1f\n", mode_name[mode],
	       iters, (double)(t1 - t0) / (double)iters);
	return fflush(stdout) ? 1 : 0;
}

/* The program: N calls, timed; 0 or 1. */
static int
program(enum mode mode, long iters, char *region, int sock)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_remap_file_pages, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	/* shared mmaps, as remaptrace's filter sends them */
	struct sock_filter fm[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[3])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_SHARED, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, f };
	static char stack[65536];
	uint64_t t0, t1;
	char go;
	long i;

	if (is_mmaps(mode)) {
		prog.len = 6;
		prog.filter = fm;
	}
	if (mode != NATIVE && mode != MMAPS_NATIVE) {
		int lfd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			die("no_new_privs");
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				   SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (lfd < 0)
			die("seccomp");
		send_fd(sock, lfd);
		close(lfd);
	}
	/* The agent is cloned from the filtered program, as remaptrace's;
	 * the supervisor's ends are closed first, or the table it shares
	 * would keep its request pipe open after the supervisor closes it. */
	close(req_pipe[1]);
	close(res_pipe[0]);
	if ((mode == AGENT || mode == CHECKED) &&
	    clone(agent, stack + sizeof(stack),
		  CLONE_VM | CLONE_FILES | CLONE_UNTRACED, NULL) < 0)
		die("clone");
	if (read(sock, &go, 1) != 1)
		die("wait for the supervisor");
	if (is_mmaps(mode))
		return program_mmaps(mode, iters);
	t0 = rfp_now_ns();
	for (i = 0; i < iters; i++)
		if (syscall(SYS_remap_file_pages, region, rfp_page_size, 0,
			    i % 16, 0))
			die("remap_file_pages");
	t1 = rfp_now_ns();
	printf("floor mode=%s iters=%ld ns_per_call=%.1f\n", mode_name[mode],
	       iters, (double)(t1 - t0) / (double)iters);
	return fflush(stdout) ? 1 : 0;
}

/* The next notification on @lfd, once @ep says one waits. */
static void
receive(int ep, int lfd, struct seccomp_notif *n)
{
	struct epoll_event ev;

	if (epoll_wait(ep, &ev, 1, -1) != 1)
		die("epoll_wait");
	memset(n, 0, sizeof(*n));
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, n))
		die("NOTIF_RECV");
}

/* Answer notification @id: 0, or let the call go on (@flags CONTINUE). */
static void
answer(int lfd, uint64_t id, uint32_t flags)
{
	struct seccomp_notif_resp rsp;

	memset(&rsp, 0, sizeof(rsp));
	rsp.id = id;
	rsp.flags = flags;
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &rsp))
		die("NOTIF_SEND");
}

/* The mmaps supervisor: lets @iters shared mmaps go on, in mmaps-copy
 * keeping each one's open file; 0 or 1. */
static int
supervise_mmaps(enum mode mode, long iters, int lfd, pid_t child)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct seccomp_notif n;
	int ep = epoll_create1(EPOLL_CLOEXEC), pidfd = -1, *kept = NULL;
	struct rlimit rl;
	struct stat st;
	long i;

	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll");
	if (mode == MMAPS_COPY) {
		pidfd = (int)syscall(SYS_pidfd_open, child, 0);
		kept = calloc((size_t)iters, sizeof(*kept));
		/* every copy is kept, as remaptrace's budget allows */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < (rlim_t)iters + 64 &&
		    rl.rlim_max >= (rlim_t)iters + 64) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (pidfd < 0 || !kept)
			die("pidfd_open");
	}
	for (i = 0; i < iters; i++) {
		receive(ep, lfd, &n);
		if (mode == MMAPS_COPY) {
			kept[i] = (int)syscall(SYS_pidfd_getfd, pidfd,
					       (int)n.data.args[4], 0);
			if (kept[i] < 0 || fstat(kept[i], &st))
				die("pidfd_getfd (is RLIMIT_NOFILE above "
				    "--iters?)");
		}
		answer(lfd, n.id, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	}
	if (kept)
		for (i = 0; i < iters; i++)
			close(kept[i]);
	free(kept);
	if (pidfd >= 0)
		close(pidfd);
	close(ep);
	return 0;
}

/* The supervisor: answers @iters notifications on @lfd; 0 or 1. */
static int
supervise(enum mode mode, long iters, int lfd, int maps)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct seccomp_notif n;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long i;

	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll");
	ev.data.fd = res_pipe[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, res_pipe[0], &ev))
		die("epoll");
	for (i = 0; i < iters; i++) {
		receive(ep, lfd, &n);
		if (mode == CHECKED) {
			struct procmap_query q = {
				.size = sizeof(q), .query_addr = n.data.args[0],
			};

			if (ioctl(maps, PROCMAP_QUERY, &q) ||
			    ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id))
				die("PROCMAP_QUERY, NOTIF_ID_VALID");
		}
		if (mode == AGENT || mode == CHECKED) {
			struct req r = {
				n.data.args[0], n.data.args[1],
				n.data.args[3] * (uint64_t)rfp_page_size,
			};
			long v;

			if (write(req_pipe[1], &r, sizeof(r)) != sizeof(r))
				die("write a request");
			while (read(res_pipe[0], &v, sizeof(v)) != sizeof(v)) {
				if (errno != EAGAIN ||
				    epoll_wait(ep, &ev, 1, -1) < 0)
					die("the agent's result");
			}
		}
		answer(lfd, n.id, 0);
	}
	close(ep);
	return 0;
}

int
main(int argc, char **argv)
{
	enum mode mode = NATIVE;
	long iters = 20000;
	int sp[2], st, r = 0, lfd = -1, maps = -1;
	char path[64], *region;
	cpu_set_t one;
	pid_t child;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--iters") &&
			   (iters = atol(argv[3])) > 0))
		goto usage;
	while (mode < NMODES && strcmp(argv[1], mode_name[mode]))
		mode++;
	if (mode == NMODES)
		goto usage;
#ifndef SYS_remap_file_pages
	fprintf(stderr, "floor: no remap_file_pages on this machine\n");
	return 77;
#endif
	rfp_page_size = sysconf(_SC_PAGESIZE);
	alarm(60);	/* a floor that hangs is no floor */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity");
	mfd = memfd_create("floor", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, 16 * rfp_page_size))
		die("memfd");
	region = mmap(NULL, 16 * (size_t)rfp_page_size,
		      PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (region == MAP_FAILED || pipe2(req_pipe, O_CLOEXEC) ||
	    pipe2(res_pipe, O_CLOEXEC | O_NONBLOCK) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		die("set up");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(program(mode, iters, region, sp[0]));
	if (mode != NATIVE && mode != MMAPS_NATIVE) {
		lfd = recv_fd(sp[1]);
		/* As remaptrace: the answered thread wakes on our CPU. */
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		      SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)child);
		maps = open(path, O_RDONLY | O_CLOEXEC);
		if (maps < 0)
			die("open maps");
	}
	if (mode == CHECKED) {
		struct procmap_query q = {
			.size = sizeof(q), .query_addr = (uint64_t)region,
		};

		if (ioctl(maps, PROCMAP_QUERY, &q)) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			fprintf(stderr, "floor: no PROCMAP_QUERY here\n");
			return 77;
		}
	}
	if (write(sp[1], "g", 1) != 1)
		die("start the program");
	if (mode == MMAPS_NOTIFY || mode == MMAPS_COPY)
		r = supervise_mmaps(mode, iters, lfd, child);
	else if (mode != NATIVE && mode != MMAPS_NATIVE)
		r = supervise(mode, iters, lfd, maps);
	/* End of file on its pipe ends the agent. */
	close(req_pipe[1]);
	if (waitpid(child, &st, 0) != child)
		die("waitpid");
	return r || !WIFEXITED(st) || WEXITSTATUS(st);
usage:
	fprintf(stderr, "usage: floor native|notify|agent|checked|"
		"mmaps-native|mmaps-notify|mmaps-copy [--iters N]\n");
	return 2;
}
