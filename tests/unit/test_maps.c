/* test_maps.c - the /proc/PID/maps and smaps parsers (emu/maps.c) against
 * lines as fs/proc/task_mmu.c prints them, odd names and malformed text.
 */
#include <errno.h>
#include <string.h>

#include "rt_maps.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAYS		RT_VM_MAYSHARE

/* A name of 300 characters: longer than RT_VMA_NAME_MAX. */
#define LONG20	"/aaaaaaaaaaaaaaaaaaa"
#define LONG100	LONG20 LONG20 LONG20 LONG20 LONG20
#define LONG300	LONG100 LONG100 LONG100

struct line_case {
	const char *line;
	int err;			/* want: return value */
	struct rt_vma want;		/* when err == 0 */
};

static const struct line_case line_cases[] = {
	{ "00400000-00452000 r-xp 00000000 08:02 173521      "
	  "/usr/bin/dbus-daemon", 0,
	  { .start = 0x400000, .end = 0x452000, .dev_major = 8,
	    .dev_minor = 2, .ino = 173521, .flags = RT_VM_READ | RT_VM_EXEC,
	    .name = "/usr/bin/dbus-daemon" } },
	/* Trailing newline, as read() hands it over. */
	{ "7ffd2c3f1000-7ffd2c412000 rw-p 00000000 00:00 0"
	  "                          [stack]\n", 0,
	  { .start = 0x7ffd2c3f1000, .end = 0x7ffd2c412000,
	    .flags = RT_VM_READ | RT_VM_WRITE, .name = "[stack]" } },
	/* Anonymous: the kernel ends the line with a blank after inode. */
	{ "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n", 0,
	  { .start = 0x7f0000000000, .end = 0x7f0000001000,
	    .flags = RT_VM_READ | RT_VM_WRITE, .name = "" } },
	{ "7f0000000000-7f0000001000 ---p 00000000 00:00 0", 0,
	  { .start = 0x7f0000000000, .end = 0x7f0000001000, .name = "" } },
	/* "s" is VM_MAYSHARE only; never VM_SHARED. */
	{ "7f1234560000-7f1234562000 rw-s 00003000 00:01 1234"
	  "                       /dev/zero (deleted)", 0,
	  { .start = 0x7f1234560000, .end = 0x7f1234562000, .offset = 0x3000,
	    .dev_major = 0, .dev_minor = 1, .ino = 1234,
	    .flags = RT_VM_READ | RT_VM_WRITE | MAYS,
	    .name = "/dev/zero (deleted)" } },
	{ "7f0000000000-7f0000004000 r--s 7ffff000 fd:10 42 "
	  "/tmp/dir with spaces/my  file.txt (deleted)", 0,
	  { .start = 0x7f0000000000, .end = 0x7f0000004000,
	    .offset = 0x7ffff000, .dev_major = 0xfd, .dev_minor = 0x10,
	    .ino = 42, .flags = RT_VM_READ | MAYS,
	    .name = "/tmp/dir with spaces/my  file.txt (deleted)" } },
	/* Majors above 255 print as three hex digits; big inodes. */
	{ "10000-11000 rwxs 123456789abc 103:1f 18446744073709551615 /x",
	  0, { .start = 0x10000, .end = 0x11000, .offset = 0x123456789abc,
	       .dev_major = 0x103, .dev_minor = 0x1f, .ino = UINT64_MAX,
	       .flags = RT_VM_READ | RT_VM_WRITE | RT_VM_EXEC | MAYS,
	       .name = "/x" } },
	{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
	  "                  [vsyscall]", 0,
	  { .start = 0xffffffffff600000, .end = 0xffffffffff601000,
	    .flags = RT_VM_EXEC, .name = "[vsyscall]" } },
	{ "7f0000000000-7f0000001000 rw-p 00000000 00:00 0   "
	  "[anon:my region]", 0,
	  { .start = 0x7f0000000000, .end = 0x7f0000001000,
	    .flags = RT_VM_READ | RT_VM_WRITE,
	    .name = "[anon:my region]" } },
	/* Malformed. */
	{ "", -EINVAL, { 0 } },
	{ "\n", -EINVAL, { 0 } },
	{ "garbage", -EINVAL, { 0 } },
	{ "00400000-", -EINVAL, { 0 } },
	{ "00400000 00452000 r-xp 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xq 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 rx-p 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-x 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xp 00000000 08:02", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xp 00000000 0802 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xp 0000zz00 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xp 00000000 08:02 1x /x", -EINVAL, { 0 } },
	{ "00400000-00452000 r-xp 00000000 08:02 -1 /x", -EINVAL, { 0 } },
	{ " 00400000-00452000 r-xp 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00452000-00400000 r-xp 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "00400000-00400000 r-xp 00000000 08:02 1 /x", -EINVAL, { 0 } },
	{ "10000000000000000-10000000000000001 r-xp 0 08:02 1 /x",
	  -EINVAL, { 0 } },
	{ "1000-2000 r-xp 0 08:02 18446744073709551616 /x", -EINVAL, { 0 } },
	{ "1000-2000 r-xp 0 100000000:02 1 /x", -EINVAL, { 0 } },
};

static void
check_vma(const struct rt_vma *want, const struct rt_vma *got,
	  const char *what)
{
	is_u64(want->start, got->start, "%s: start", what);
	is_u64(want->end, got->end, "%s: end", what);
	is_u64(want->offset, got->offset, "%s: offset", what);
	is_u64(want->dev_major, got->dev_major, "%s: dev major", what);
	is_u64(want->dev_minor, got->dev_minor, "%s: dev minor", what);
	is_u64(want->ino, got->ino, "%s: ino", what);
	is_u64(want->flags, got->flags, "%s: flags", what);
	is_int(want->flags_exact, got->flags_exact, "%s: flags_exact", what);
	is_u64(want->page_size, got->page_size, "%s: page_size", what);
	is_str(want->name, got->name, "%s: name", what);
}

static void
test_lines(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		struct rt_vma got;
		char what[64];
		int err;

		memset(&got, 0x5a, sizeof(got));
		snprintf(what, sizeof(what), "maps line %zu", i);
		err = rt_maps_parse_line(c->line, &got);
		if (!is_int(c->err, err, "%s: result", what) || err)
			continue;
		check_vma(&c->want, &got, what);
	}
}

static void
test_long_name(void)
{
	static const char line[] = "1000-2000 rw-s 0 08:01 7 " LONG300;
	struct rt_vma v;

	is_int(0, rt_maps_parse_line(line, &v), "long name: parses");
	is_u64(RT_VMA_NAME_MAX - 1, strlen(v.name), "long name: cut short");
	ok(strncmp(v.name, LONG300, RT_VMA_NAME_MAX - 1) == 0,
	   "long name: keeps the start");
	is_u64(7, v.ino, "long name: ino");
}

static const struct {
	const char *text;
	int err;
	uint64_t flags;
} vmflag_cases[] = {
	{ "rd wr sh mr mw me ms sd ", 0,
	  RT_VM_READ | RT_VM_WRITE | RT_VM_SHARED | RT_VM_MAYREAD |
	  RT_VM_MAYWRITE | RT_VM_MAYEXEC | RT_VM_MAYSHARE | RT_VM(SD) },
	{ "", 0, 0 },
	{ "   \n", 0, 0 },
	{ "ms", 0, RT_VM_MAYSHARE },
	{ "rd ?? ", 0, RT_VM_READ | RT_VM(OTHER) },
	{ "rd zz qq", 0, RT_VM_READ | RT_VM(OTHER) },
	{ "lo io pf de mm ht", 0,
	  RT_VM_LOCKED | RT_VM_IO | RT_VM_PFNMAP | RT_VM_DONTEXPAND |
	  RT_VM_MIXEDMAP | RT_VM_HUGETLB },
	{ "rd\twr", 0, RT_VM_READ | RT_VM_WRITE },
	{ "rd w", -EINVAL, 0 },
	{ "rdwr", -EINVAL, 0 },
	{ "rd WR", -EINVAL, 0 },
	{ "rd wr1", -EINVAL, 0 },
	{ "r", -EINVAL, 0 },
};

static void
test_vmflags(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmflag_cases); i++) {
		uint64_t got = 0xdead;
		int err = rt_maps_parse_vmflags(vmflag_cases[i].text, &got);

		if (is_int(vmflag_cases[i].err, err, "vmflags %zu: result",
			   i) && !err)
			is_u64(vmflag_cases[i].flags, got, "vmflags %zu", i);
	}
}

/* Every mnemonic of show_smap_vma_flags() (any kernel) and its bit. */
static const struct {
	const char *name;
	int bit;
} mnemonics[] = {
	{ "rd", RT_VMB_RD }, { "wr", RT_VMB_WR }, { "ex", RT_VMB_EX },
	{ "sh", RT_VMB_SH }, { "mr", RT_VMB_MR }, { "mw", RT_VMB_MW },
	{ "me", RT_VMB_ME }, { "ms", RT_VMB_MS }, { "gd", RT_VMB_GD },
	{ "pf", RT_VMB_PF }, { "lo", RT_VMB_LO }, { "io", RT_VMB_IO },
	{ "sr", RT_VMB_SR }, { "rr", RT_VMB_RR }, { "dc", RT_VMB_DC },
	{ "de", RT_VMB_DE }, { "ac", RT_VMB_AC }, { "nr", RT_VMB_NR },
	{ "ht", RT_VMB_HT }, { "sf", RT_VMB_SF }, { "ar", RT_VMB_AR },
	{ "wf", RT_VMB_WF }, { "dd", RT_VMB_DD }, { "mm", RT_VMB_MM },
	{ "hg", RT_VMB_HG }, { "nh", RT_VMB_NH }, { "mg", RT_VMB_MG },
	{ "um", RT_VMB_UM }, { "uw", RT_VMB_UW }, { "ss", RT_VMB_SS },
	{ "sl", RT_VMB_SL }, { "lf", RT_VMB_LF }, { "mt", RT_VMB_MT },
	{ "bt", RT_VMB_BT }, { "sd", RT_VMB_SD }, { "nl", RT_VMB_NL },
	{ "ui", RT_VMB_UI }, { "gu", RT_VMB_GU }, { "dp", RT_VMB_DP },
	{ "mp", RT_VMB_MP }, { "dw", RT_VMB_DW }, { "??", RT_VMB_OTHER },
};

static void
test_every_mnemonic(void)
{
	uint64_t all = 0, got;
	char buf[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mnemonics); i++) {
		char text[8];

		snprintf(text, sizeof(text), " %s ", mnemonics[i].name);
		got = 0;
		rt_maps_parse_vmflags(text, &got);
		is_u64(1ULL << mnemonics[i].bit, got, "mnemonic %s",
		       mnemonics[i].name);
		all |= 1ULL << mnemonics[i].bit;
	}
	/* Round trip: format then parse gives the same set back. */
	rt_maps_format_vmflags(all, buf, sizeof(buf));
	got = 0;
	is_int(0, rt_maps_parse_vmflags(buf, &got), "format: parses back");
	is_u64(all, got, "format: round trip of every flag");
	is_u64(ARRAY_SIZE(mnemonics) * 3 - 1, strlen(buf),
	       "format: two letters and one blank each");
}

static void
test_format(void)
{
	char buf[32];

	rt_maps_format_vmflags(RT_VM_READ | RT_VM_WRITE | RT_VM_SHARED |
			       RT_VM_MAYSHARE, buf, sizeof(buf));
	is_str("rd wr sh ms", buf, "format: kernel order");
	rt_maps_format_vmflags(0, buf, sizeof(buf));
	is_str("", buf, "format: no flags");
	rt_maps_format_vmflags(RT_VM_READ | RT_VM(OTHER), buf, sizeof(buf));
	is_str("rd ??", buf, "format: unknown as ??");
	rt_maps_format_vmflags(RT_VM_READ | RT_VM_WRITE | RT_VM_EXEC, buf, 6);
	is_str("rd wr", buf, "format: cut at a whole mnemonic");
	buf[0] = 'x';
	rt_maps_format_vmflags(RT_VM_READ, buf, 0);
	is_int('x', buf[0], "format: size 0 writes nothing");
}

static const char smaps_text[] =
	"7f0000000000-7f0000002000 rw-s 00001000 08:01 4242"
	"                       /tmp/data file (deleted)\n"
	"Size:                  8 kB\n"
	"KernelPageSize:        4 kB\n"
	"MMUPageSize:           4 kB\n"
	"Rss:                   0 kB\n"
	"AnonHugePages:         0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"THPeligible:    0\n"
	"ProtectionKey:         0\n"
	"VmFlags: rd wr sh mr mw me ms sd \n"
	"7f0000200000-7f0000600000 rw-s 00000000 00:10 77"
	"                         /dev/hugepages/h\n"
	"Size:               4096 kB\n"
	"KernelPageSize:     2048 kB\n"
	"VmFlags: rd wr sh mr mw me ms de ht ?? \n"
	/* MAP_SHARED of a file opened O_RDONLY: "s" but no "sh". */
	"7f0000800000-7f0000801000 r--s 00000000 08:01 99 /etc/ro\n"
	"KernelPageSize:        4 kB\n"
	"VmFlags: rd mr me ms \n"
	/* The last block may lack its newline. */
	"7f0000900000-7f0000901000 rw-p 00000000 00:00 0 \n"
	"KernelPageSize:        4 kB\n"
	"VmFlags: rd wr mr mw me ac dd";

static void
test_smaps(void)
{
	struct rt_vma v[8];
	size_t n = 99;
	int err;

	err = rt_smaps_parse(smaps_text, sizeof(smaps_text) - 1, v,
			     ARRAY_SIZE(v), &n);
	is_int(0, err, "smaps: parses");
	if (!is_u64(4, n, "smaps: four VMAs"))
		return;
	check_vma(&(struct rt_vma){
		.start = 0x7f0000000000, .end = 0x7f0000002000,
		.offset = 0x1000, .dev_major = 8, .dev_minor = 1, .ino = 4242,
		.flags = RT_VM_READ | RT_VM_WRITE | RT_VM_SHARED |
			 RT_VM_MAYREAD | RT_VM_MAYWRITE | RT_VM_MAYEXEC |
			 RT_VM_MAYSHARE | RT_VM(SD),
		.flags_exact = true, .page_size = 4096,
		.name = "/tmp/data file (deleted)" }, &v[0], "smaps[0]");
	check_vma(&(struct rt_vma){
		.start = 0x7f0000200000, .end = 0x7f0000600000,
		.dev_major = 0, .dev_minor = 0x10, .ino = 77,
		.flags = RT_VM_READ | RT_VM_WRITE | RT_VM_SHARED |
			 RT_VM_MAYREAD | RT_VM_MAYWRITE | RT_VM_MAYEXEC |
			 RT_VM_MAYSHARE | RT_VM_DONTEXPAND | RT_VM_HUGETLB |
			 RT_VM(OTHER),
		.flags_exact = true, .page_size = 2 << 20,
		.name = "/dev/hugepages/h" }, &v[1], "smaps[1] hugetlb");
	check_vma(&(struct rt_vma){
		.start = 0x7f0000800000, .end = 0x7f0000801000,
		.dev_major = 8, .dev_minor = 1, .ino = 99,
		.flags = RT_VM_READ | RT_VM_MAYREAD | RT_VM_MAYEXEC |
			 RT_VM_MAYSHARE,
		.flags_exact = true, .page_size = 4096,
		.name = "/etc/ro" }, &v[2], "smaps[2] read-only shared");
	ok(!(v[2].flags & RT_VM_SHARED), "smaps[2]: \"s\" is not VM_SHARED");
	check_vma(&(struct rt_vma){
		.start = 0x7f0000900000, .end = 0x7f0000901000,
		.flags = RT_VM_READ | RT_VM_WRITE | RT_VM_MAYREAD |
			 RT_VM_MAYWRITE | RT_VM_MAYEXEC | RT_VM(AC) |
			 RT_VM(DD),
		.flags_exact = true, .page_size = 4096, .name = "" },
		&v[3], "smaps[3] no final newline");
}

static void
test_smaps_limits(void)
{
	static const char no_vmflags[] =
		"1000-2000 rw-s 00000000 08:01 5 /f\nSize: 4 kB\n";
	struct rt_vma v[2];
	size_t n = 99;

	is_int(-E2BIG, rt_smaps_parse(smaps_text, sizeof(smaps_text) - 1, v,
				      1, &n), "smaps: -E2BIG past max");
	is_u64(1, n, "smaps: -E2BIG fills max entries");
	is_u64(0x7f0000000000, v[0].start, "smaps: -E2BIG keeps the first");
	is_int(0, rt_smaps_parse("", 0, v, 2, &n), "smaps: empty text");
	is_u64(0, n, "smaps: empty text has no VMAs");
	/* The buffer ends at len or at a NUL, whichever comes first. */
	is_int(0, rt_smaps_parse(no_vmflags, sizeof(no_vmflags), v, 2, &n),
	       "smaps: stops at NUL");
	is_u64(1, n, "smaps: one VMA before the NUL");
	/* Without VmFlags (before 3.8) flags stay those of the header. */
	is_u64(RT_VM_READ | RT_VM_WRITE | RT_VM_MAYSHARE, v[0].flags,
	       "smaps: no VmFlags keeps maps flags");
	is_int(false, v[0].flags_exact, "smaps: no VmFlags is inexact");
	is_u64(0, v[0].page_size, "smaps: no KernelPageSize is 0");
}

static const char *const bad_smaps[] = {
	"Size: 4 kB\n",					/* field first */
	"1000-2000 rw-s 0 08:01 5 /f\nKernelPageSize: 4\n",
	"1000-2000 rw-s 0 08:01 5 /f\nKernelPageSize: x kB\n",
	"1000-2000 rw-s 0 08:01 5 /f\nKernelPageSize: 4 MB\n",
	"1000-2000 rw-s 0 08:01 5 /f\nVmFlags: rd w\n",
	"1000-2000 rw-s 0 08:01 5 /f\nthis is not a field\n",
	"1000-2000 rw-s 0 08:01 5 /f\n\nSize: 4 kB\n",	/* blank line */
	"1000-2000 rw-q 0 08:01 5 /f\nSize: 4 kB\n",	/* bad header */
	"1000-2000 rw-s 0 08:01 5 /f\nSize: 4 kB\nzz-2000 rw-s 0 0:0 0\n",
};

static void
test_smaps_malformed(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_smaps); i++) {
		struct rt_vma v[2];
		size_t n;

		is_int(-EINVAL, rt_smaps_parse(bad_smaps[i],
					       strlen(bad_smaps[i]), v, 2, &n),
		       "smaps malformed %zu", i);
	}
}

int
main(void)
{
	test_lines();
	test_long_name();
	test_vmflags();
	test_every_mnemonic();
	test_format();
	test_smaps();
	test_smaps_limits();
	test_smaps_malformed();
	return tap_done();
}
