/* t-rob-eintr.c - a call the filter does not send keeps the kernel's EINTR.
 *
 * remaptrace makes a notified call that a signal interrupts restart after
 * the handler (the wait was seccomp's, not the call's: loop.c), but only
 * those: a read(2) from an empty pipe that a handler without SA_RESTART
 * interrupts must still fail with EINTR, as it does natively.
 *
 * Usage: t-rob-eintr
 *   A child blocks in read(2) on an empty pipe; the parent waits until
 *   /proc/CHILD/syscall shows it there, then sends SIGUSR1.  The child's
 *   handler writes a byte to the parent; then the child either prints
 *   "read: EINTR" and exits, or, its read restarted, is seen in read(2)
 *   again: the parent prints "read: restarted" and kills it.
 * Exit 0 when the child saw EINTR, 1 otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int handled_fd;

static void
handler(int sig)
{
	char c = 'h';

	(void)sig;
	if (write(handled_fd, &c, 1) != 1)
		_exit(3);
}

/* Is @pid blocked in read(2)?  /proc/PID/syscall begins with the number
 * of the call it sleeps in, or says "running". */
static int
in_read(pid_t pid)
{
	char path[64], buf[128];
	long nr;
	int r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	r = fgets(buf, sizeof(buf), f) && sscanf(buf, "%ld", &nr) == 1 &&
	    nr == SYS_read;
	fclose(f);
	return r;
}

int
main(void)
{
	struct sigaction sa = { .sa_handler = handler };	/* no SA_RESTART */
	int data[2], handled[2], st;
	pid_t pid;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(data) || pipe(handled) || sigaction(SIGUSR1, &sa, NULL)) {
		perror("t-rob-eintr: setup");
		return 1;
	}
	handled_fd = handled[1];
	pid = fork();
	if (pid < 0) {
		perror("t-rob-eintr: fork");
		return 1;
	}
	if (pid == 0) {
		close(data[1]);
		if (read(data[0], &c, 1) < 0) {
			printf("read: %s\n", strerrorname_np(errno));
			_exit(errno == EINTR ? 0 : 1);
		}
		printf("read: returned\n");
		_exit(1);
	}
	close(data[0]);
	close(handled[1]);
	while (!in_read(pid))
		sched_yield();
	kill(pid, SIGUSR1);
	if (read(handled[0], &c, 1) != 1) {
		fprintf(stderr, "t-rob-eintr: the handler never ran\n");
		return 1;
	}
	/* The handler ran: the child now ends, or sits in read again. */
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (in_read(pid)) {
			printf("read: restarted\n");
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 1;
		}
		sched_yield();
	}
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
