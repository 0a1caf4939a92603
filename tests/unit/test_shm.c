/* test_shm.c - SysV shared memory as /proc shows it (emu/shm.c): which
 * VMAs are segments, lines of /proc/sysvipc/shm, and when closing VMAs
 * destroys a segment.
 */
#include <errno.h>
#include <string.h>

#include "rt_shm.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct idcase {
	const char *name;	/* the VMA's name */
	uint64_t ino;
	/* want */
	bool sysv;
	int id;
};

static const struct idcase id_cases[] = {
	{ "/SYSV00000000 (deleted)", 15, true, 15 },
	{ "/SYSV0000abcd (deleted)", 32768, true, 32768 },
	{ "/SYSVdeadbeef", 3, true, 3 },	/* no suffix, as maps may */
	{ "/SYSV00000000 (deleted)", 0, true, 0 },
	{ "/SYSV0000ABCD (deleted)", 7, false, 0 },	/* %08x: lower case */
	{ "/SYSV0000abc (deleted)", 7, false, 0 },	/* seven digits */
	{ "/SYSV0000abcde (deleted)", 7, false, 0 },	/* nine digits */
	{ "/SYSV00000000 (deleted) ", 7, false, 0 },
	{ "/SYSV00000000x", 7, false, 0 },
	{ "/dev/zero (deleted)", 7, false, 0 },
	{ "/SYSV", 7, false, 0 },
	{ "SYSV00000000 (deleted)", 7, false, 0 },
	{ "/tmp/SYSV00000000", 7, false, 0 },
	{ "", 7, false, 0 },
	{ "/SYSV00000000 (deleted)", 1ULL << 31, false, 0 },	/* > INT_MAX */
};

static void
test_id(void)
{
	struct rt_vma vma;
	size_t i;
	int id;

	for (i = 0; i < ARRAY_SIZE(id_cases); i++) {
		const struct idcase *c = &id_cases[i];

		memset(&vma, 0, sizeof(vma));
		strcpy(vma.name, c->name);
		vma.ino = c->ino;
		id = -7;
		is_int(c->sysv, rt_shm_id(&vma, &id), "id: \"%s\" ino %llu",
		       c->name, (unsigned long long)c->ino);
		is_int(c->sysv ? c->id : -7, id, "id: \"%s\": shmid",
		       c->name);
	}
}

/* Shared memory no descriptor names: shared anonymous memory and
 * /dev/zero (one shmem file per mapping), SysV segments; never a file
 * that merely lives under /dev or /dev/shm, or a memfd. */
static void
test_unnamed(void)
{
	static const struct {
		const char *name;
		bool unnamed;
	} cases[] = {
		{ "/dev/zero (deleted)", true },
		{ "/SYSV0000abcd (deleted)", true },
		{ "/dev/zero", false },		/* the device itself */
		{ "/dev/zero (deleted) ", false },
		{ "/dev/shm/pool", false },
		{ "/dev/shm/pool (deleted)", false },
		{ "/memfd:pool (deleted)", false },
		{ "/tmp/dev/zero (deleted)", false },
		{ "", false },
	};
	struct rt_vma vma;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&vma, 0, sizeof(vma));
		strcpy(vma.name, cases[i].name);
		vma.ino = 7;
		is_int(cases[i].unnamed, rt_shm_unnamed(&vma),
		       "unnamed: \"%s\"", cases[i].name);
	}
}

struct linecase {
	const char *name;
	const char *line;
	/* want */
	int ret, id;
	unsigned int mode;
	uint64_t nattch;
};

static const struct linecase line_cases[] = {
	{ "removed, attached once",
	  "         0         15  1600                  8192 31608 31608"
	  "      1     0     0     0     0 1796599908          0 1796599908"
	  "                     0                     0\n",
	  0, 15, 01600, 1 },
	{ "not removed, attached by three",
	  "     12345      32768   644               4194304   100   101"
	  "      3  1000  1000  1000  1000 1796599908          0 1796599908"
	  "               4194304                     0\n",
	  0, 32768, 0644, 3 },
	{ "negative key, locked",
	  "-559038737          2  3600                  4096     1     1"
	  "      0     0     0     0     0          0          0 1796599908"
	  "                     0                     0\n",
	  0, 2, 03600, 0 },
	{ "the header",
	  "       key      shmid perms                  size  cpid  lpid"
	  " nattch   uid   gid  cuid  cgid      atime      dtime      ctime"
	  "                   rss                  swap\n",
	  -EINVAL, 0, 0, 0 },
	{ "cut short before nattch", "         0         15  1600   8192 1 1",
	  -EINVAL, 0, 0, 0 },
	{ "negative shmid", "0 -1 600 4096 1 1 1", -EINVAL, 0, 0, 0 },
	{ "empty", "", -EINVAL, 0, 0, 0 },
};

static void
test_lines(void)
{
	struct rt_shm_seg seg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(line_cases); i++) {
		const struct linecase *c = &line_cases[i];

		memset(&seg, 0, sizeof(seg));
		if (!is_int(c->ret, rt_shm_parse_line(c->line, &seg),
			    "line: %s", c->name) || c->ret)
			continue;
		is_int(c->id, seg.id, "line: %s: shmid", c->name);
		is_int(c->mode, seg.mode, "line: %s: perms", c->name);
		is_u64(c->nattch, seg.nattch, "line: %s: nattch", c->name);
	}
}

struct dcase {
	const char *name;
	/* want */
	bool destroys;
	/* given */
	unsigned int mode;
	uint64_t nattch;
	bool forced;
	unsigned int whole;
};

static const struct dcase destroy_cases[] = {
	{ "removed, its one VMA closed", true, 01600, 1, false, 1 },
	{ "removed, its three pieces closed", true, 01600, 3, false, 3 },
	{ "removed, the range covers it in part", false, 01600, 1, false, 0 },
	{ "removed, two of three pieces closed", false, 01600, 3, false, 2 },
	{ "removed, attached twice, one closed", false, 01600, 2, false, 1 },
	{ "not removed, its one VMA closed", false, 0600, 1, false, 1 },
	{ "not removed, shm_rmid_forced", true, 0600, 1, true, 1 },
	{ "shm_rmid_forced, another attach", false, 0600, 2, true, 1 },
	{ "shm_rmid_forced, in part", false, 0600, 1, true, 0 },
	{ "nattch 0 (another namespace's view)", false, 01600, 0, false, 0 },
};

static void
test_destroys(void)
{
	struct rt_shm_seg seg = { .id = 5 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(destroy_cases); i++) {
		const struct dcase *c = &destroy_cases[i];

		seg.mode = c->mode;
		seg.nattch = c->nattch;
		is_int(c->destroys, rt_shm_destroys(&seg, c->forced, c->whole),
		       "destroys: %s", c->name);
	}
}

int
main(void)
{
	test_id();
	test_unnamed();
	test_lines();
	test_destroys();
	return tap_done();
}
