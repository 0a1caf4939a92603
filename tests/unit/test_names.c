/* test_names.c - the log's decoders (emu/names.c): prot, mmap flags,
 * errno and signal names, and snprintf-like truncation.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_names.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *want;
	int prot;
} prot_cases[] = {
	{ "PROT_NONE", PROT_NONE },
	{ "PROT_READ", PROT_READ },
	{ "PROT_READ|PROT_WRITE", PROT_READ | PROT_WRITE },
	{ "PROT_READ|PROT_WRITE|PROT_EXEC",
	  PROT_READ | PROT_WRITE | PROT_EXEC },
	{ "PROT_EXEC", PROT_EXEC },
	{ "PROT_READ|PROT_GROWSDOWN", PROT_READ | PROT_GROWSDOWN },
	{ "PROT_READ|0x10", PROT_READ | 0x10 },
	{ "0x80000000", INT_MIN },
};

static const struct {
	const char *want;
	uint64_t flags;
} map_cases[] = {
	{ "0", 0 },
	{ "MAP_SHARED|MAP_FIXED|MAP_POPULATE",
	  MAP_SHARED | MAP_FIXED | MAP_POPULATE },
	{ "MAP_SHARED|MAP_FIXED|MAP_LOCKED|MAP_POPULATE|MAP_NONBLOCK",
	  MAP_SHARED | MAP_FIXED | MAP_POPULATE | MAP_LOCKED | MAP_NONBLOCK },
	{ "MAP_PRIVATE|MAP_ANONYMOUS", MAP_PRIVATE | MAP_ANONYMOUS },
	{ "MAP_SHARED_VALIDATE|MAP_SYNC", MAP_SHARED_VALIDATE | MAP_SYNC },
	{ "MAP_PRIVATE|MAP_FIXED_NOREPLACE",
	  MAP_PRIVATE | MAP_FIXED_NOREPLACE },
	{ "MAP_FIXED", MAP_FIXED },
	{ "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT",
	  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21ULL << 26) },
	{ "MAP_SHARED|MAP_POPULATE|0x10000000000",
	  MAP_SHARED | MAP_POPULATE | (1ULL << 40) },
	/* An unknown type stays in the hex rest. */
	{ "MAP_FIXED|0xf", 0xf | MAP_FIXED },
	/* Without MAP_HUGETLB the size bits are just bits. */
	{ "MAP_PRIVATE|0x54000000", MAP_PRIVATE | (21ULL << 26) },
};

static void
test_prot(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prot_cases); i++) {
		char buf[96];
		size_t n = rt_names_prot(prot_cases[i].prot, buf, sizeof(buf));

		is_str(prot_cases[i].want, buf, "prot %#x",
		       (unsigned int)prot_cases[i].prot);
		is_u64(strlen(prot_cases[i].want), n, "prot %#x: length",
		       (unsigned int)prot_cases[i].prot);
	}
}

static void
test_mapflags(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map_cases); i++) {
		char buf[128];
		size_t n = rt_names_mapflags(map_cases[i].flags, buf,
					     sizeof(buf));

		is_str(map_cases[i].want, buf, "mapflags %#" PRIx64,
		       map_cases[i].flags);
		is_u64(strlen(map_cases[i].want), n, "mapflags %#" PRIx64
		       ": length", map_cases[i].flags);
	}
}

/* Like snprintf: the full length back, a NUL within size. */
static void
test_truncation(void)
{
	char buf[8];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	n = rt_names_prot(PROT_READ | PROT_WRITE, buf, sizeof(buf));
	is_u64(strlen("PROT_READ|PROT_WRITE"), n, "prot: full length");
	is_str("PROT_RE", buf, "prot: cut to size - 1");
	n = rt_names_mapflags(MAP_SHARED | MAP_FIXED, buf, 5);
	is_u64(strlen("MAP_SHARED|MAP_FIXED"), n, "mapflags: full length");
	is_str("MAP_", buf, "mapflags: cut to size - 1");
	n = rt_names_mapflags(MAP_SHARED, NULL, 0);
	is_u64(strlen("MAP_SHARED"), n, "mapflags: size 0, NULL buffer");
	buf[0] = 'x';
	n = rt_names_prot(PROT_NONE, buf, 0);
	is_u64(strlen("PROT_NONE"), n, "prot: size 0");
	is_int('x', buf[0], "prot: size 0 writes nothing");
	n = rt_names_prot(PROT_EXEC, buf, 1);
	is_str("", buf, "prot: size 1 is the NUL alone");
}

static const struct {
	const char *want;
	int err;
} errno_cases[] = {
	{ "EINVAL", EINVAL }, { "EINVAL", -EINVAL },
	{ "EOVERFLOW", EOVERFLOW }, { "EPERM", EPERM }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "ENOSYS", ENOSYS },
	{ "ENOENT", -ENOENT }, { "ESRCH", ESRCH }, { "EINTR", EINTR },
	{ "EBUSY", EBUSY }, { "EHWPOISON", EHWPOISON },
	{ "ERESTARTSYS", -512 }, { "ERESTART_RESTARTBLOCK", 516 },
	{ NULL, 0 }, { NULL, 200 }, { NULL, 517 }, { NULL, 9999 },
	{ NULL, INT_MIN }, { NULL, INT_MAX },
};

static void
test_errno(void)
{
	size_t i;
	int e, named = 0;

	for (i = 0; i < ARRAY_SIZE(errno_cases); i++)
		is_str(errno_cases[i].want, rt_names_errno(errno_cases[i].err),
		       "errno %d", errno_cases[i].err);
	/* asm-generic numbering: all of 1..EHWPOISON but 41 and 58 named. */
	for (e = 1; e <= EHWPOISON; e++)
		named += rt_names_errno(e) != NULL;
	is_int(EHWPOISON - 2, named, "every errno up to EHWPOISON is named");
	is_str(NULL, rt_names_errno(41), "errno 41 is unused");
	is_str(NULL, rt_names_errno(58), "errno 58 is unused");
}

static const struct {
	const char *want;
	int sig;
} signal_cases[] = {
	{ "SIGHUP", SIGHUP }, { "SIGSEGV", SIGSEGV }, { "SIGBUS", SIGBUS },
	{ "SIGKILL", SIGKILL }, { "SIGSTOP", SIGSTOP }, { "SIGCHLD", SIGCHLD },
	{ "SIGSYS", SIGSYS }, { "SIGTRAP", SIGTRAP }, { "SIGUSR1", SIGUSR1 },
	{ "SIGRT_0", 32 }, { "SIGRT_2", 34 }, { "SIGRT_32", 64 },
	{ NULL, 0 }, { NULL, -1 }, { NULL, 65 }, { NULL, INT_MAX },
};

static void
test_signal(void)
{
	size_t i;
	int s, named = 0;

	for (i = 0; i < ARRAY_SIZE(signal_cases); i++)
		is_str(signal_cases[i].want, rt_names_signal(signal_cases[i].sig),
		       "signal %d", signal_cases[i].sig);
	for (s = 1; s <= 64; s++)
		named += rt_names_signal(s) != NULL;
	is_int(64, named, "signals 1..64 are all named");
}

int
main(void)
{
	test_prot();
	test_mapflags();
	test_truncation();
	test_errno();
	test_signal();
	return tap_done();
}
