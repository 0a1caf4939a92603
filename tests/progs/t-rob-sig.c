/* t-rob-sig.c - a flood of queued real-time signals at a thread that calls
 * remap_file_pages(2) in a loop: every signal must be handled exactly
 * once and no call may fail (the kernel's remap_file_pages never returns
 * EINTR, with or without SA_RESTART).
 *
 * Usage: t-rob-sig N restart|norestart thread|process [nested|followed]
 *   A caller thread remaps its window (checking every call, as
 *   t-rob-threads does) while a sender thread queues N signals
 *   (SIGRTMIN, value 0..N-1) with at most 32 in flight:
 *     thread   to the caller thread (pthread_sigqueue)
 *     process  to the process (sigqueue); only the caller leaves
 *              SIGRTMIN unblocked, so the kernel picks it
 *   restart/norestart: the handler is installed with or without
 *   SA_RESTART.  nested: the handler itself calls remap_file_pages on a
 *   window of its own and checks it.  followed: after each remap the
 *   caller also makes the other calls remaptrace is notified of and lets
 *   the kernel run (a shared mmap of an open file, an mremap duplicate,
 *   madvise, mlock), none of which returns EINTR natively either.
 * Once every signal was handled the caller makes 100 more calls, blocks
 * SIGRTMIN and looks at what is still pending.  Prints
 *   "sent=N handled=H dup=D lost=L pending=P"
 *   "calls: fails=F wrong=W" (F by errno name when not 0: "fails=3 EINTR",
 *   or number when the errno has no name: "fails=1 E512")
 *   "nested: fails=F wrong=W" (with nested)
 * Exit 0 when all is right, 1 otherwise or on setup failure, 2 on bad
 * usage.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILE_PAGES	8
#define WIN_PAGES	4
#define MAX_SIGNALS	100000
#define IN_FLIGHT	32

static long pg;
static long nsig;
static bool to_thread, nested, followed;
static char *scratch;			/* followed: two pages */
static int scratch_fd;
static pthread_t caller;
static long handled;			/* atomic: the sender reads it */
static unsigned char seen[MAX_SIGNALS];
static long dups, bad_values;
static long nested_fails, nested_wrong;
static long nested_calls;
static char *nested_win;
static volatile int sender_done;

struct window {
	char *win;
	int id;
	int model[WIN_PAGES];
};

static void __attribute__((noreturn))
die(const char *what, int err)
{
	fprintf(stderr, "t-rob-sig: %s: %s\n", what, strerror(err));
	exit(1);
}

static char *
new_window(int id)
{
	int fd = memfd_create("t-rob-sig", MFD_CLOEXEC);
	char *win, t[16];

	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg))
		die("memfd", errno);
	for (int p = 0; p < FILE_PAGES; p++) {
		snprintf(t, sizeof(t), "w%dp%d", id, p);
		if (pwrite(fd, t, 4, p * pg) != 4)
			die("pwrite", errno);
	}
	win = mmap(NULL, WIN_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (win == MAP_FAILED)
		die("mmap", errno);
	close(fd);
	return win;
}

/* Move file page (i*3+id)%8 to window page i%4, check all four: returns
 * 0 ok, else the errno (failed call) or -1 (wrong page). */
static int
step(char *win, int id, int *model, long i)
{
	int j = i % WIN_PAGES, f = (int)((i * 3 + id) % FILE_PAGES);
	char t[16];

	if (syscall(SYS_remap_file_pages, win + j * pg, pg, 0, f, 0))
		return errno;
	model[j] = f;
	for (int p = 0; p < WIN_PAGES; p++) {
		snprintf(t, sizeof(t), "w%dp%d", id, model[p]);
		if (memcmp(win + p * pg, t, 4))
			return -1;
	}
	return 0;
}

/* followed: the calls besides remap_file_pages that remaptrace is told
 * of; 0, or the errno of the first that failed (-1: wrong result). */
static int
followed_calls(void)
{
	char *p;

	p = mmap(scratch, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 scratch_fd, 0);
	if (p == MAP_FAILED)
		return errno;
	if (p != scratch)
		return -1;
	p = mremap(scratch, 0, pg, MREMAP_MAYMOVE | MREMAP_FIXED,
		   scratch + pg);
	if (p == MAP_FAILED)
		return errno;
	if (p != scratch + pg)
		return -1;
	if (madvise(scratch, 2 * pg, MADV_NORMAL) || mlock(scratch, pg) ||
	    munlock(scratch, pg))
		return errno;
	return 0;
}

static void
handler(int sig, siginfo_t *si, void *uc)
{
	static int model[WIN_PAGES] = { 0, 1, 2, 3 };
	int v = si->si_value.sival_int, e = errno, r;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || v < 0 || v >= nsig)
		bad_values++;
	else if (seen[v]++)
		dups++;
	if (nested) {
		r = step(nested_win, 1, model, nested_calls++);
		if (r > 0)
			nested_fails++;
		else if (r < 0)
			nested_wrong++;
	}
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
	errno = e;
}

static void *
sender(void *arg)
{
	union sigval v;
	int r;

	(void)arg;
	for (long i = 0; i < nsig; i++) {
		while (i - __atomic_load_n(&handled, __ATOMIC_ACQUIRE) >=
		       IN_FLIGHT)
			sched_yield();
		v.sival_int = (int)i;
		do {
			if (to_thread)
				r = pthread_sigqueue(caller, SIGRTMIN, v);
			else
				r = sigqueue(getpid(), SIGRTMIN, v) ? errno : 0;
		} while (r == EAGAIN);
		if (r)
			die("sigqueue", r);
	}
	sender_done = 1;
	return NULL;
}

static void *
caller_main(void *arg)
{
	int model[WIN_PAGES] = { 0, 1, 2, 3 }, r, first = 0;
	long fails = 0, wrong = 0, extra = -1, pending = 0;
	char *win = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (long i = 0; extra != 0; i++) {
		r = step(win, 0, model, i);
		if (r == 0 && followed)
			r = followed_calls();
		if (r > 0 && !fails++)
			first = r;
		else if (r < 0)
			wrong++;
		if (extra > 0)
			extra--;
		else if (sender_done &&
			 __atomic_load_n(&handled, __ATOMIC_ACQUIRE) >= nsig)
			extra = 100;
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigpending(&set);
	if (sigismember(&set, SIGRTMIN)) {
		/* count what is left, without running the handler */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&set, NULL, &zero) == SIGRTMIN)
			pending++;
	}

	long lost = 0;

	for (long i = 0; i < nsig; i++)
		lost += !seen[i];
	printf("sent=%ld handled=%ld dup=%ld lost=%ld pending=%ld\n", nsig,
	       handled, dups, lost, pending);
	if (fails && strerrorname_np(first))
		printf("calls: fails=%ld %s wrong=%ld\n", fails,
		       strerrorname_np(first), wrong);
	else if (fails)
		printf("calls: fails=%ld E%d wrong=%ld\n", fails, first, wrong);
	else
		printf("calls: fails=0 wrong=%ld\n", wrong);
	if (nested)
		printf("nested: fails=%ld wrong=%ld\n", nested_fails,
		       nested_wrong);
	return (void *)(long)(fails || wrong || dups || lost || pending ||
			      bad_values || nested_fails || nested_wrong);
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = handler };
	pthread_t s;
	sigset_t set;
	void *ret;
	int e;

	if (argc < 4 || argc > 5)
		goto usage;
	nsig = atol(argv[1]);
	if (nsig < 1 || nsig > MAX_SIGNALS)
		goto usage;
	if (!strcmp(argv[2], "restart"))
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	else if (!strcmp(argv[2], "norestart"))
		sa.sa_flags = SA_SIGINFO;
	else
		goto usage;
	if (!strcmp(argv[3], "thread"))
		to_thread = true;
	else if (strcmp(argv[3], "process"))
		goto usage;
	if (argc == 5 && !strcmp(argv[4], "nested"))
		nested = true;
	else if (argc == 5 && !strcmp(argv[4], "followed"))
		followed = true;
	else if (argc == 5)
		goto usage;
	pg = sysconf(_SC_PAGESIZE);
	if (followed) {
		scratch_fd = memfd_create("t-rob-sig-scratch", MFD_CLOEXEC);
		if (scratch_fd < 0 || ftruncate(scratch_fd, pg))
			die("memfd", errno);
		scratch = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			       MAP_SHARED, scratch_fd, 0);
		if (scratch == MAP_FAILED)
			die("mmap", errno);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nested)
		nested_win = new_window(1);

	/* only the caller thread takes SIGRTMIN */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL))
		die("sigaction", errno);

	if ((e = pthread_create(&caller, NULL, caller_main, new_window(0))))
		die("pthread_create", e);
	if ((e = pthread_create(&s, NULL, sender, NULL)))
		die("pthread_create", e);
	pthread_join(s, NULL);
	pthread_join(caller, &ret);
	return ret != NULL;
usage:
	fprintf(stderr, "usage: t-rob-sig N restart|norestart thread|process "
		"[nested|followed]\n");
	return 2;
}
