/* t-sysv.c - remap_file_pages on a SysV segment, removed (IPC_RMID) while
 * attached or not; prints what it saw without addresses, so a native run
 * and one under remaptrace compare line by line.
 *
 * Usage: t-sysv SCENARIO
 *   partial   removed; remap one page of its only attach (pgoff 2): 0
 *   whole     removed; remap all of its only attach: the kernel's mmap
 *             closes the last attach first, destroying the segment, and
 *             fails (EINVAL); the range is left unmapped
 *   pieces    removed; split the attach by a remap, then remap it all:
 *             every piece closed, EINVAL
 *   two       attached twice, removed; remap all of one attach: 0
 *   fork      removed, the attach inherited by a child that holds it:
 *             remap all of it in the parent: 0
 *   kept      not removed; remap all of its only attach: 0
 *   outside   print "shmid: N", wait for a line on stdin (someone else
 *             removes the segment meanwhile), then remap all of its
 *             only attach
 *
 * Output: "result: 0" or "result: -1 EINVAL"; "store: ok" or "store:
 * SEGV" for a store through page 0; "page N: <tag>" or
 * "page N: SEGV" for each page of the attach; "vma:" lines
 * (scenario.h); "segment: nattch N [removed]" or "segment: gone" from
 * IPC_STAT afterwards.  Exit 0, or 1 when a set-up step fails.
 */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAG_LEN	5
#define NPAGES	4
static size_t pg;

#include "scenario.h"

/* ipc/shm.c: shm_perm.mode bit set by IPC_RMID while attached */
#define SHM_DEST_BIT	01000

static int
remap(char *at, unsigned int npages, unsigned int pgoff)
{
	int r = remap_file_pages(at, npages * pg, 0, pgoff, 0);

	if (r == 0)
		printf("result: 0\n");
	else
		printf("result: -1 %s\n", errno == EINVAL ? "EINVAL" :
		       strerror(errno));
	return r;
}

static void
show(int id, char *m, ino_t ino)
{
	struct shmid_ds ds;
	char buf[TAG_LEN + 1] = "";
	unsigned int i;
	int sig;

	/* A store through page 0 lands in the segment page it shows. */
	tag_of(buf, 'W', 0);
	sig = store(page(m, 0), buf);
	printf("store: %s\n", sig ? sigabbrev_np(sig) : "ok");
	for (i = 0; i < NPAGES; i++) {
		sig = load(page(m, i), buf);
		if (sig)
			printf("page %u: %s\n", i, sigabbrev_np(sig));
		else
			printf("page %u: %.*s\n", i, TAG_LEN, buf);
	}
	print_vmas(m, NPAGES, ino, 0);
	if (shmctl(id, IPC_STAT, &ds) < 0)
		printf("segment: %s\n", errno == EINVAL || errno == EIDRM ?
		       "gone" : strerror(errno));
	else
		printf("segment: nattch %lu%s\n", (unsigned long)ds.shm_nattch,
		       ds.shm_perm.mode & SHM_DEST_BIT ? " removed" : "");
}

int
main(int argc, char **argv)
{
	const char *s = argc == 2 ? argv[1] : "";
	int id, hold[2] = { -1, -1 };
	unsigned int i;
	pid_t child = -1;
	ino_t ino;
	char *m;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (strcmp(s, "partial") && strcmp(s, "whole") && strcmp(s, "pieces") &&
	    strcmp(s, "two") && strcmp(s, "fork") && strcmp(s, "kept") &&
	    strcmp(s, "outside")) {
		fprintf(stderr, "usage: t-sysv partial|whole|pieces|two|fork|"
			"kept|outside\n");
		return 2;
	}
	catch_faults();
	id = shmget(IPC_PRIVATE, NPAGES * pg, IPC_CREAT | 0600);
	if (id < 0)
		die("shmget");
	m = shmat(id, NULL, 0);
	if (m == (void *)-1)
		die("shmat");
	ino = ino_at(m);
	for (i = 0; i < NPAGES; i++)
		tag_of(page(m, i), 'S', i);
	if (!strcmp(s, "two") && shmat(id, NULL, 0) == (void *)-1)
		die("shmat twice");
	if (!strcmp(s, "fork")) {
		if (pipe(hold))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {	/* holds its copy of the attach */
			char c;

			close(hold[1]);
			_exit(read(hold[0], &c, 1) < 0);
		}
		close(hold[0]);
	}
	if (!strcmp(s, "outside")) {
		char line[16];

		printf("shmid: %d\n", id);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			shmctl(id, IPC_RMID, NULL);
			die("no go-ahead on stdin");
		}
	} else if (strcmp(s, "kept") && shmctl(id, IPC_RMID, NULL)) {
		die("IPC_RMID");
	}
	if (!strcmp(s, "pieces") && remap(m, 1, 2))
		die("first remap");
	if (!strcmp(s, "partial"))
		remap(m, 1, 2);
	else
		remap(m, NPAGES, 1 + !strcmp(s, "pieces"));
	show(id, m, ino);
	if (child > 0) {
		close(hold[1]);
		if (waitpid(child, NULL, 0) != child)
			die("waitpid");
	}
	if (!strcmp(s, "kept") || !strcmp(s, "outside"))
		shmctl(id, IPC_RMID, NULL);	/* leave nothing behind */
	return 0;
}
