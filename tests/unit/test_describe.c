/* test_describe.c - a call and its verdict in words (tracer/describe.c):
 * each case formats into memory and compares with the text the log and
 * `remaptrace explain` must show, the expected text first.  Names from
 * the program's world are escaped as strace quotes strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_describe.h"
#include "tap.h"

#define P	4096ULL

/* What @fn wrote into a memory stream. */
#define TEXT(call) ({						\
	char *buf_ = NULL;					\
	size_t len_ = 0;					\
	FILE *f_ = open_memstream(&buf_, &len_);		\
	if (!f_)						\
		tap_bail("open_memstream failed");		\
	call;							\
	fclose(f_);						\
	buf_;							\
})

static void
check(const char *want, char *got, const char *what)
{
	is_str(want, got, "%s", what);
	free(got);
}

static struct rt_vma
vma(uint64_t start, uint64_t end, uint64_t flags, const char *name)
{
	struct rt_vma v = { .start = start, .end = end, .offset = 0x3000,
			    .ino = 7, .flags = flags, .page_size = P };

	snprintf(v.name, sizeof(v.name), "%s", name);
	return v;
}

#define RWS	(RT_VM_READ | RT_VM_WRITE | RT_VM_MAYSHARE | RT_VM_SHARED)

static void
test_vma(void)
{
	struct rt_vma v = vma(0x10000, 0x12000, RWS, "/tmp/db");
	struct rt_vma ro = vma(0x10000, 0x11000, RT_VM_READ | RT_VM_MAYSHARE,
			       "/tmp/db");
	struct rt_vma anon = vma(0x20000, 0x21000, RT_VM_READ, "");
	char perms[5];

	check("0x10000-0x12000 rw-s shared \"/tmp/db\" offset 0x3000",
	      TEXT(rt_describe_vma(f_, &v)), "a shared file mapping");
	rt_describe_perms(&ro, perms);
	is_str("r--s", perms, "perms show VM_MAYSHARE as s");
	is_str("shared without VM_SHARED", rt_describe_sharing(&ro),
	       "MAP_SHARED of a read-only file is not VM_SHARED");
	is_str("private", rt_describe_sharing(&anon), "private memory");
	is_str("[anon]", rt_describe_name(&anon), "anonymous memory's name");
}

static void
test_hostile_name(void)
{
	/* A file name that would forge a log line and move the cursor. */
	struct rt_vma v = vma(0x10000, 0x11000, RWS,
			      "/tmp/x\n[pid 1] remap_file_pages() = 0\033[2J\"\\");

	check("0x10000-0x11000 rw-s shared \"/tmp/x\\n[pid 1] "
	      "remap_file_pages() = 0\\33[2J\\\"\\\\\" offset 0x3000",
	      TEXT(rt_describe_vma(f_, &v)),
	      "newline, escape sequence, quote and backslash are escaped");
}

static void
test_call(void)
{
	struct rt_remap_args a = { 0x7f0000001000, 8192, 0, 5, 0 };
	struct rt_remap_args prot = { 0x1000, 4096, PROT_READ, 0, 0 };
	struct rt_remap_args huge = { 0x1000, 4096, 1ULL << 40, 0, 0 };

	check("remap_file_pages(0x7f0000001000, 8192, 0, 5, 0)",
	      TEXT(rt_describe_call(f_, &a)), "a call, as strace prints it");
	check("remap_file_pages(0x1000, 4096, PROT_READ, 0, 0)",
	      TEXT(rt_describe_call(f_, &prot)), "prot by name");
	check("remap_file_pages(0x1000, 4096, 0x10000000000, 0, 0)",
	      TEXT(rt_describe_call(f_, &huge)),
	      "a prot beyond int only in hex");
}

static void
test_pgoff(void)
{
	check("pgoff 5 = 0x5000 bytes", TEXT(rt_describe_pgoff(f_, 5, P)),
	      "pgoff in bytes");
	check("pgoff 18446744073709551615 = more than 2^64 bytes",
	      TEXT(rt_describe_pgoff(f_, UINT64_MAX, P)),
	      "a pgoff whose bytes overflow says so, never wraps");
}

static void
test_why(void)
{
	struct rt_remap_args small = { 0x10000, 100, 0, 0, 0 };
	struct rt_remap_args zero = { 0x10000, 0, 0, 0, 0 };
	struct rt_remap_args top = { 0xfffffffffffff000ULL, 8192, 0, 0, 0 };
	struct rt_remap_args a = { 0x10000, 4096, 0, 0, 0 };
	struct rt_verdict v = { .err = 22, .rule = RT_RULE_RANGE };
	struct rt_verdict ns = { .err = 22, .rule = RT_RULE_NOT_SHARED,
				 .bad = 0x10000 };

	check("size 100 is less than one page (4096 bytes)",
	      TEXT(rt_describe_why(f_, &small, &v, P)), "a size under a page");
	check("size is 0", TEXT(rt_describe_why(f_, &zero, &v, P)),
	      "a zero size");
	check("start 0xfffffffffffff000 + size 0x2000 passes the top of the "
	      "address space", TEXT(rt_describe_why(f_, &top, &v, P)),
	      "a range past 2^64");
	ns.first = vma(0x10000, 0x11000, RT_VM_READ | RT_VM_WRITE, "/tmp/db");
	check("start 0x10000 lies in a MAP_PRIVATE mapping of /tmp/db",
	      TEXT(rt_describe_why(f_, &a, &ns, P)), "a private file mapping");
	ns.first.flags = RT_VM_READ | RT_VM_MAYSHARE;
	check("start 0x10000 lies in a MAP_SHARED mapping of /tmp/db whose "
	      "file is open read-only (VM_MAYSHARE without VM_SHARED)",
	      TEXT(rt_describe_why(f_, &a, &ns, P)),
	      "a shared mapping of a read-only file");
	ns.first = vma(0x10000, 0x11000, RT_VM_READ, "");
	ns.first.ino = 0;
	check("start 0x10000 lies in private anonymous memory",
	      TEXT(rt_describe_why(f_, &a, &ns, P)), "private anonymous memory");
}

int
main(void)
{
	test_vma();
	test_hostile_name();
	test_call();
	test_pgoff();
	test_why();
	return tap_done();
}
