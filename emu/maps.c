/* maps.c - pure parsers for /proc/PID/maps and /proc/PID/smaps text and
 * the two-letter VmFlags mnemonics; no syscalls, no state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt_maps.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Every mnemonic fs/proc/task_mmu.c:show_smap_vma_flags() has printed,
 * in roughly the order a current x86_64 kernel prints them (by bit
 * number).  "??" is what the kernel prints for a bit it has no name for.
 * "gu" (VM_GROWSUP), "nl" (VM_NONLINEAR, before 4.0), "mp" (VM_MPX, 4.1
 * to 5.5) and "dw" (VM_DENYWRITE, before 5.15) only appear on older
 * kernels; "bt" and "mt" on arm64.  No kernel prints "bi": RT_VMB_BI
 * stays unused.
 */
static const struct {
	char name[3];
	unsigned char bit;
} vmflag_names[] = {
	{ "rd", RT_VMB_RD }, { "wr", RT_VMB_WR }, { "ex", RT_VMB_EX },
	{ "sh", RT_VMB_SH }, { "mr", RT_VMB_MR }, { "mw", RT_VMB_MW },
	{ "me", RT_VMB_ME }, { "ms", RT_VMB_MS }, { "gd", RT_VMB_GD },
	{ "gu", RT_VMB_GU }, { "um", RT_VMB_UM }, { "pf", RT_VMB_PF },
	{ "dw", RT_VMB_DW }, { "uw", RT_VMB_UW }, { "lo", RT_VMB_LO },
	{ "io", RT_VMB_IO }, { "sr", RT_VMB_SR }, { "rr", RT_VMB_RR },
	{ "dc", RT_VMB_DC }, { "de", RT_VMB_DE }, { "lf", RT_VMB_LF },
	{ "ac", RT_VMB_AC }, { "nr", RT_VMB_NR }, { "ht", RT_VMB_HT },
	{ "sf", RT_VMB_SF }, { "nl", RT_VMB_NL }, { "ar", RT_VMB_AR },
	{ "wf", RT_VMB_WF }, { "dd", RT_VMB_DD }, { "bt", RT_VMB_BT },
	{ "sd", RT_VMB_SD }, { "mm", RT_VMB_MM }, { "hg", RT_VMB_HG },
	{ "nh", RT_VMB_NH }, { "mg", RT_VMB_MG }, { "mt", RT_VMB_MT },
	{ "ui", RT_VMB_UI }, { "ss", RT_VMB_SS }, { "mp", RT_VMB_MP },
	{ "dp", RT_VMB_DP }, { "sl", RT_VMB_SL }, { "??", RT_VMB_OTHER },
};

/* A bounded view of one line of text (no NUL needed inside). */
struct cursor {
	const char *p;
	const char *end;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At least one digit, no sign, no "0x", no overflow. */
static int
take_num(struct cursor *c, unsigned int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = c->p;

	for (; c->p < c->end; c->p++) {
		int d = hexval(*c->p);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -EINVAL;
		v = v * base + (uint64_t)d;
	}
	if (c->p == start)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
take_char(struct cursor *c, char want)
{
	if (c->p >= c->end || *c->p != want)
		return -EINVAL;
	c->p++;
	return 0;
}

static void
skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* "rwxs": each position its letter or '-', the last 's' or 'p'. */
static int
take_perms(struct cursor *c, uint64_t *flags)
{
	static const char letters[3] = { 'r', 'w', 'x' };
	static const uint64_t bits[3] = {
		RT_VM_READ, RT_VM_WRITE, RT_VM_EXEC,
	};
	int i;

	if (c->end - c->p < 4)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (c->p[i] == letters[i])
			*flags |= bits[i];
		else if (c->p[i] != '-')
			return -EINVAL;
	}
	/* The "s" is VM_MAYSHARE, not VM_SHARED (show_map_vma()). */
	if (c->p[3] == 's')
		*flags |= RT_VM_MAYSHARE;
	else if (c->p[3] != 'p')
		return -EINVAL;
	c->p += 4;
	return 0;
}

static int
take_dev(struct cursor *c, struct rt_vma *out)
{
	uint64_t major, minor;

	if (take_num(c, 16, &major) || take_char(c, ':') ||
	    take_num(c, 16, &minor))
		return -EINVAL;
	if (major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	out->dev_major = (uint32_t)major;
	out->dev_minor = (uint32_t)minor;
	return 0;
}

/*
 * The name is the rest of the line after the inode column, leading blanks
 * skipped: it may hold spaces and end in " (deleted)".  Names longer than
 * RT_VMA_NAME_MAX - 1 are cut (dev and ino identify the file, not this).
 */
static void
take_name(struct cursor *c, struct rt_vma *out)
{
	size_t n;

	skip_blanks(c);
	n = (size_t)(c->end - c->p);
	if (n > RT_VMA_NAME_MAX - 1)
		n = RT_VMA_NAME_MAX - 1;
	memcpy(out->name, c->p, n);
	out->name[n] = '\0';
}

/* Parse a maps line of @len bytes (no newline inside). */
static int
parse_line(const char *s, size_t len, struct rt_vma *out)
{
	struct cursor c = { .p = s, .end = s + len };
	struct rt_vma v = { 0 };

	if (take_num(&c, 16, &v.start) || take_char(&c, '-') ||
	    take_num(&c, 16, &v.end) || take_char(&c, ' ') ||
	    take_perms(&c, &v.flags) || take_char(&c, ' ') ||
	    take_num(&c, 16, &v.offset) || take_char(&c, ' ') ||
	    take_dev(&c, &v) || take_char(&c, ' ') ||
	    take_num(&c, 10, &v.ino))
		return -EINVAL;
	/* The inode column ends the line or is followed by a blank. */
	if (c.p < c.end && *c.p != ' ' && *c.p != '\t')
		return -EINVAL;
	if (v.start >= v.end)
		return -EINVAL;
	take_name(&c, &v);
	*out = v;
	return 0;
}

static size_t
line_len(const char *s, size_t max)
{
	const char *nl = memchr(s, '\n', max);

	return nl ? (size_t)(nl - s) : max;
}

/**
 * rt_maps_parse_line() - parse one /proc/PID/maps line.
 * @line: NUL-terminated; a trailing newline is allowed.
 * @out: filled on success only.
 *
 * Mirrors fs/proc/task_mmu.c:show_vma_header_prefix(): hex start-end,
 * "rwxs" (the s is VM_MAYSHARE), hex offset, hex major:minor, decimal
 * inode, then the name.  flags_exact is false and page_size 0 (unknown):
 * the maps text does not show them.
 *
 * Return: 0, or -EINVAL when the line does not have that form.
 */
int
rt_maps_parse_line(const char *line, struct rt_vma *out)
{
	return parse_line(line, line_len(line, strlen(line)), out);
}

static int
vmflag_bit(const char *tok)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmflag_names); i++)
		if (tok[0] == vmflag_names[i].name[0] &&
		    tok[1] == vmflag_names[i].name[1])
			return vmflag_names[i].bit;
	return RT_VMB_OTHER;
}

static int
is_mnemonic_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '?';
}

static int
parse_vmflags(const char *s, size_t len, uint64_t *flags)
{
	struct cursor c = { .p = s, .end = s + len };
	uint64_t f = 0;

	for (;;) {
		skip_blanks(&c);
		if (c.p >= c.end)
			break;
		/* Mnemonics are exactly two characters (mnemonics[][3]). */
		if (c.end - c.p < 2 || !is_mnemonic_char(c.p[0]) ||
		    !is_mnemonic_char(c.p[1]))
			return -EINVAL;
		if (c.end - c.p > 2 && c.p[2] != ' ' && c.p[2] != '\t')
			return -EINVAL;
		f |= 1ULL << vmflag_bit(c.p);
		c.p += 2;
	}
	*flags = f;
	return 0;
}

/**
 * rt_maps_parse_vmflags() - parse the value of a smaps "VmFlags:" line.
 * @text: NUL-terminated, e.g. "rd wr sh mr mw me ms sd "; a trailing
 *	newline is allowed.
 * @flags: out: RT_VM_* bits.
 *
 * Each known mnemonic of show_smap_vma_flags() sets its bit; any other
 * two-letter token (and the kernel's "??") sets RT_VM(OTHER).
 *
 * Return: 0, or -EINVAL when a token is not two lower-case letters or '?'.
 */
int
rt_maps_parse_vmflags(const char *text, uint64_t *flags)
{
	return parse_vmflags(text, line_len(text, strlen(text)), flags);
}

/* "Key:" prefix match; returns the value after the colon or NULL. */
static const char *
key_value(const char *s, size_t len, const char *key)
{
	size_t k = strlen(key);

	if (len < k || memcmp(s, key, k) != 0)
		return NULL;
	return s + k;
}

/* "KernelPageSize:        4 kB" */
static int
parse_kb(const char *s, const char *end, uint64_t *bytes)
{
	struct cursor c = { .p = s, .end = end };
	uint64_t kb;

	skip_blanks(&c);
	if (take_num(&c, 10, &kb) || take_char(&c, ' ') ||
	    take_char(&c, 'k') || take_char(&c, 'B'))
		return -EINVAL;
	skip_blanks(&c);
	if (c.p != c.end || kb > UINT64_MAX / 1024)
		return -EINVAL;
	*bytes = kb * 1024;
	return 0;
}

/* A header line starts with lower-case hex digits and a '-'. */
static int
is_header(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && hexval(s[i]) >= 0 && !(s[i] >= 'A' && s[i] <= 'F'))
		i++;
	return i > 0 && i < len && s[i] == '-';
}

/* "Name: value": a field line of an smaps block. */
static int
is_field(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
			   (s[i] >= 'a' && s[i] <= 'z') ||
			   (s[i] >= '0' && s[i] <= '9')))
		i++;
	return i > 0 && i < len && s[i] == ':';
}

static int
parse_field(const char *s, size_t len, struct rt_vma *v)
{
	const char *val;

	val = key_value(s, len, "KernelPageSize:");
	if (val)
		return parse_kb(val, s + len, &v->page_size);
	val = key_value(s, len, "VmFlags:");
	if (val) {
		if (parse_vmflags(val, (size_t)(s + len - val), &v->flags))
			return -EINVAL;
		/* VmFlags is the whole truth, "sh" included. */
		v->flags_exact = true;
		return 0;
	}
	return is_field(s, len) ? 0 : -EINVAL;
}

/**
 * rt_smaps_parse() - parse a whole /proc/PID/smaps text buffer.
 * @buf, @len: the text; it ends at @len or at the first NUL.
 * @vmas, @max: out array.
 * @n: out: how many entries were filled.
 *
 * Header lines are maps lines (rt_maps_parse_line()); the fields that
 * follow up to the next header belong to that VMA (show_smap()).
 * KernelPageSize gives page_size; VmFlags replaces the flags taken from
 * the header with the complete set and sets flags_exact, so RT_VM_SHARED
 * comes only from "sh" while the header's "s" is VM_MAYSHARE.  A block
 * without VmFlags (before Linux 3.8) keeps the header's flags, inexact.
 * Other fields are skipped.
 *
 * Return: 0; -EINVAL for a line that is neither a header nor a "Name:"
 * field, a field before the first header, or a bad KernelPageSize or
 * VmFlags value; -E2BIG when more than @max VMAs are present (the first
 * @max are filled and *@n is @max).
 */
int
rt_smaps_parse(const char *buf, size_t len, struct rt_vma *vmas,
	       size_t max, size_t *n)
{
	const char *p = buf, *end;
	size_t count = 0;
	int err = 0;

	end = memchr(buf, '\0', len);
	if (!end)
		end = buf + len;
	*n = 0;
	while (p < end) {
		size_t ll = line_len(p, (size_t)(end - p));

		if (is_header(p, ll)) {
			if (count == max) {
				err = -E2BIG;
				break;
			}
			if (parse_line(p, ll, &vmas[count])) {
				err = -EINVAL;
				break;
			}
			count++;
		} else if (count == 0 || parse_field(p, ll, &vmas[count - 1])) {
			err = -EINVAL;
			break;
		}
		p += ll + 1;
	}
	*n = count;
	return err;
}

/**
 * rt_maps_format_vmflags() - the VmFlags mnemonics of @flags.
 * @flags: RT_VM_* bits.
 * @buf, @size: out: "rd wr sh ..." in the kernel's order, blank-separated,
 *	always NUL-terminated when @size > 0 (cut short if too small).
 */
void
rt_maps_format_vmflags(uint64_t flags, char *buf, size_t size)
{
	size_t i, used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(vmflag_names); i++) {
		int w;

		if (!(flags & (1ULL << vmflag_names[i].bit)))
			continue;
		w = snprintf(buf + used, size - used, "%s%s",
			     used ? " " : "", vmflag_names[i].name);
		if (w < 0 || (size_t)w >= size - used) {
			/* Cut at a whole mnemonic rather than mid-way. */
			buf[used] = '\0';
			return;
		}
		used += (size_t)w;
	}
}
