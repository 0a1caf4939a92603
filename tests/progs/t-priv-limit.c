/* t-priv-limit.c - remap_file_pages(2) in locked memory after the lock
 * limit changed: the kernel judges MAP_LOCKED against the caller's
 * RLIMIT_MEMLOCK as it is at the call (can_do_mlock(), mlock_future_ok()),
 * whoever changed it.  A root master lowering a worker's limit with
 * prlimit(2) is the case: the worker must not keep the old one.
 *
 * Usage: t-priv-limit self | selfpid | other | refused | idchange |
 *                    idchange-zero
 *   A child maps 4 pages of a memfd shared, mlocks them and remaps page 0
 *   three times (onto file pages 1, 2, 3).  Then its RLIMIT_MEMLOCK is
 *   set to 0, by the child itself with setrlimit (self) or by its parent
 *   with prlimit on the child's pid (other), and it remaps page 1 twice
 *   (onto file pages 5 and 6).  Run it without CAP_IPC_LOCK (as nobody),
 *   else no limit applies.
 *   selfpid: as self, with prlimit naming its own pid, and (as root)
 *   uid 65534 but a saved uid of 0 (setresuid(65534, 65534, 0)): ids
 *   that would not let another process set its limits, which the kernel
 *   does not ask of a process setting its own.
 *   refused: (as root) the process remaps page 0 three times, then a
 *   child of its that dropped to nobody tries twice to set its
 *   RLIMIT_MEMLOCK with prlimit, which the kernel refuses (EPERM), then
 *   the process remaps twice more: nothing changed, for remaptrace
 *   neither.
 *   idchange: (as root) as refused, but the child's prlimit reads its
 *   new limit from a page userfaultfd holds, so that it waits in the
 *   kernel before the kernel checks its permission; meanwhile the
 *   process drops to nobody (the child's ids now: the kernel permits the
 *   prlimit once it goes on) and remaps page 1 onto file page 3
 *   ("during 1"); then the child is let go, and the process remaps page
 *   1 twice more onto the file page it maps, with a lock limit of one
 *   page now, four pages locked: EAGAIN, never a remap judged against
 *   the old limit.
 *   idchange-zero: as idchange, with a lock limit of 0: EPERM (the
 *   kernel's can_do_mlock() comes before its check of the amount).
 * Prints "before N: RESULT" and "after N: RESULT" (0 or an errno name)
 * and the tag each area page shows ("A: F0003 ...").
 * Exit 0 when the scenario ran whatever the calls returned, 1 on setup
 * failure, 2 on bad usage.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t-held.h"

#define FILE_PAGES	8
#define AREA_PAGES	4

static void
die(const char *what)
{
	fprintf(stderr, "t-priv-limit: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
result(const char *when, int n, long r)
{
	printf("%s %d: %s\n", when, n, r == 0 ? "0" : strerrorname_np(errno));
}

static int
child(int self, int ready, int go)
{
	static const struct rlimit none = { 0, 0 };
	long pg = sysconf(_SC_PAGESIZE);
	char *area, tag[8], c;
	int fd, i;

	fd = memfd_create("t-priv-limit", 0);
	if (fd < 0 || ftruncate(fd, FILE_PAGES * pg) < 0)
		die("memfd");
	area = mmap(NULL, FILE_PAGES * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (area == MAP_FAILED)
		die("mmap");
	for (i = 0; i < FILE_PAGES; i++)
		snprintf(area + i * pg, 8, "F%04d", i);
	if (munmap(area + AREA_PAGES * pg, (FILE_PAGES - AREA_PAGES) * pg))
		die("munmap");
	if (mlock(area, AREA_PAGES * pg))
		die("mlock");
	for (i = 1; i <= 3; i++)
		result("before", i,
		       remap_file_pages(area, pg, 0, (size_t)i, 0));
	fflush(stdout);
	if (self == 2) {
		if (prlimit(getpid(), RLIMIT_MEMLOCK, &none, NULL))
			die("prlimit");
	} else if (self) {
		if (setrlimit(RLIMIT_MEMLOCK, &none))
			die("setrlimit");
	} else if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1) {
		die("pipe");
	}
	for (i = 5; i <= 6; i++)
		result("after", i - 4,
		       remap_file_pages(area + pg, pg, 0, (size_t)i, 0));
	printf("A:");
	for (i = 0; i < AREA_PAGES; i++) {
		memcpy(tag, area + i * pg, 5);
		tag[5] = '\0';
		printf(" %s", tag);
	}
	printf("\n");
	return 0;
}

/* refused: the remapping process is the parent, root. */
static int
refused(void)
{
	static const struct rlimit none = { 0, 0 };
	long pg = sysconf(_SC_PAGESIZE);
	pid_t parent = getpid(), c;
	char *area;
	int i, st;

	area = mmap(NULL, FILE_PAGES * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	for (i = 1; i <= 3; i++)
		result("before", i,
		       remap_file_pages(area, pg, 0, (size_t)i, 0));
	fflush(stdout);
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		for (i = 1; i <= 2; i++)
			result("prlimit", i,
			       prlimit(parent, RLIMIT_MEMLOCK, &none, NULL));
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	for (i = 1; i <= 2; i++)
		result("after", i,
		       remap_file_pages(area + pg, pg, 0, (size_t)i + 4, 0));
	return 0;
}

/* idchange: the child's helper thread, which holds its prlimit. */
struct holder {
	struct held_page held;
	int tell, go;		/* to the parent: "held"; from it: "go" */
	rlim_t limit;		/* the new RLIMIT_MEMLOCK */
};

static void *
hold(void *arg)
{
	struct holder *h = arg;
	struct rlimit rl = { h->limit, h->limit };
	char c;

	held_wait(&h->held);
	if (write(h->tell, "h", 1) != 1 || read(h->go, &c, 1) != 1)
		_exit(1);
	held_give(&h->held, &rl, sizeof(rl));
	return NULL;
}

static int
idchange(bool zero)
{
	long pg = sysconf(_SC_PAGESIZE);
	int tell[2], go[2], i, st;
	pid_t parent = getpid(), c;
	struct holder h;
	pthread_t t;
	char *area, x;

	area = mmap(NULL, FILE_PAGES * pg, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || mlock(area, AREA_PAGES * pg))
		die("mmap");
	for (i = 1; i <= 3; i++)
		result("before", i,
		       remap_file_pages(area, pg, 0, (size_t)i, 0));
	fflush(stdout);
	if (pipe(tell) || pipe(go))
		die("pipe");
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		/* the userfaultfd while root: the kernel's own access to the
		 * page waits too */
		held_open(&h.held, pg);
		h.limit = zero ? 0 : (rlim_t)pg;
		h.tell = tell[1];
		h.go = go[0];
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) ||
		    pthread_create(&t, NULL, hold, &h))
			_exit(1);
		result("prlimit", 1,
		       prlimit(parent, RLIMIT_MEMLOCK,
			       (struct rlimit *)h.held.page, NULL));
		fflush(stdout);
		pthread_join(t, NULL);
		_exit(0);
	}
	if (read(tell[0], &x, 1) != 1)
		die("child");
	/* The child's prlimit waits in the kernel: its permission is not
	 * checked yet.  Now our ids are its own. */
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		die("setresuid");
	result("during", 1, remap_file_pages(area + pg, pg, 0, 3, 0));
	fflush(stdout);
	if (write(go[1], "g", 1) != 1)
		die("pipe");
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	/* onto the offset it maps: no other VMA lends anything */
	for (i = 1; i <= 2; i++)
		result("after", i, remap_file_pages(area + pg, pg, 0, 3, 0));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct rlimit none = { 0, 0 };
	int ready[2], go[2], st;
	int self;
	pid_t pid;
	char c;

	if (argc == 2 && !strcmp(argv[1], "refused"))
		return refused();
	if (argc == 2 && !strcmp(argv[1], "idchange"))
		return idchange(false);
	if (argc == 2 && !strcmp(argv[1], "idchange-zero"))
		return idchange(true);
	if (argc != 2 || (strcmp(argv[1], "self") && strcmp(argv[1], "other") &&
			  strcmp(argv[1], "selfpid"))) {
		fprintf(stderr,
			"usage: t-priv-limit self | selfpid | other | refused "
			"| idchange | idchange-zero\n");
		return 2;
	}
	self = !strcmp(argv[1], "selfpid") ? 2 : !strcmp(argv[1], "self");
	if (self == 2 && getuid() == 0 &&
	    (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 0)))
		die("setresuid");
	if (pipe(ready) || pipe(go))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		return child(self, ready[1], go[0]);
	if (!self) {
		if (read(ready[0], &c, 1) != 1)
			die("child");
		if (prlimit(pid, RLIMIT_MEMLOCK, &none, NULL))
			die("prlimit");
		if (write(go[1], "g", 1) != 1)
			die("pipe");
	}
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
