/* test_escape.c - the text log's escaping of paths and names
 * (emu/escape.c): strace's quoting, byte by byte, and truncation that
 * never cuts an escape.
 */
#include <string.h>

#include "rt_escape.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Expected values are what `strace -e trace=openat cat FILE` prints for
 * a file of that name (strace 6.x, default -s large enough). */
static const struct {
	const char *want;
	const char *in;
} cases[] = {
	{ "", "" },
	{ "/tmp/records", "/tmp/records" },
	{ "a b~!#$%&'()*+,-./:;<=>?@[]^_`{|}", "a b~!#$%&'()*+,-./:;<=>?@[]^_`{|}" },
	{ "\\\"", "\"" },
	{ "\\\\", "\\" },
	{ "\\\\012", "\\012" },		/* the kernel's own maps escape */
	{ "\\n", "\n" },
	{ "\\t", "\t" },
	{ "\\r", "\r" },
	{ "\\f", "\f" },
	{ "\\v", "\v" },
	{ "\\1", "\x01" },
	{ "\\10", "\x08" },
	{ "\\33[2J", "\x1b[2J" },	/* ESC: shortest octal before '[' */
	{ "\\0331", "\x1b" "1" },	/* three digits before an octal digit */
	{ "\\338", "\x1b" "8" },	/* 8 is no octal digit */
	{ "\\177", "\x7f" },
	{ "\\200", "\x80" },
	{ "\\303\\251", "\xc3\xa9" },	/* UTF-8 too: strace's default */
	{ "\\377", "\xff" },
	{ "\\0010", "\x01" "0" },
	{ "x\\n[pid 1] remap_file_pages(0, 4096, 0, 0, 0) = 0\\n",
	  "x\n[pid 1] remap_file_pages(0, 4096, 0, 0, 0) = 0\n" },
};

static void
test_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[RT_ESCAPE_SIZE(64)];
		size_t n = rt_escape_str(cases[i].in, buf, sizeof(buf));

		is_str(cases[i].want, buf, "case %zu", i);
		is_u64(strlen(cases[i].want), n, "case %zu: length", i);
	}
}

/* snprintf's contract, except that an escape is kept whole or not at
 * all: a cut "\33" would leave a backslash to quote the closing '"'. */
static const struct {
	const char *want;
	size_t size;
} cut_cases[] = {
	{ "a", 2 },
	{ "a", 3 },
	{ "a", 4 },
	{ "a\\33", 5 },
	{ "a\\33b", 6 },
	{ "a\\33b", 7 },
	{ "a\\33b\\n", 8 },
};

static void
test_truncation(void)
{
	static const char in[] = "a\x1b" "b\n";
	char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(cut_cases); i++) {
		memset(buf, 'X', sizeof(buf));
		is_u64(7, rt_escape_str(in, buf, cut_cases[i].size),
		       "size %zu: the whole length", cut_cases[i].size);
		is_str(cut_cases[i].want, buf, "size %zu", cut_cases[i].size);
	}
	memset(buf, 'X', sizeof(buf));
	is_u64(7, rt_escape_str(in, buf, 0), "size 0: the whole length");
	is_int('X', buf[0], "size 0: nothing written");
}

int
main(void)
{
	test_cases();
	test_truncation();
	return tap_done();
}
