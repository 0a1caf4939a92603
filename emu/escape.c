/* escape.c - pure: a string from the traced program's world as the text
 * log prints it, escaped as strace quotes strings, so that no file name
 * can end a log line early, forge another, or reach the terminal as a
 * control sequence.
 */
#include <stdbool.h>
#include <string.h>

#include "rt_escape.h"

/* The escape of @c into @out (at most 4 bytes, no NUL); returns its length.
 * @next is the byte after @c: strace writes all three octal digits only
 * when an octal digit follows, where a shorter escape would swallow it. */
static size_t
escape_byte(unsigned char c, unsigned char next, char out[4])
{
	static const char named[][2] = {
		{ '"', '"' }, { '\\', '\\' }, { '\f', 'f' }, { '\n', 'n' },
		{ '\r', 'r' }, { '\t', 't' }, { '\v', 'v' },
	};
	bool full = next >= '0' && next <= '7';
	size_t n = 0;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (c == (unsigned char)named[i][0]) {
			out[0] = '\\';
			out[1] = named[i][1];
			return 2;
		}
	}
	if (c >= ' ' && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[n++] = '\\';
	if (full || c >> 6)
		out[n++] = (char)('0' + (c >> 6));
	if (full || c >> 3)
		out[n++] = (char)('0' + ((c >> 3) & 7));
	out[n++] = (char)('0' + (c & 7));
	return n;
}

size_t
rt_escape_str(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, kept = 0;
	bool cut = false;	/* an escape did not fit: keep no more */
	char e[4];

	for (; *p; p++) {
		size_t n = escape_byte(p[0], p[1], e);

		if (!cut && kept + n < size) {
			memcpy(buf + kept, e, n);
			kept += n;
		} else {
			cut = true;
		}
		len += n;
	}
	if (size)
		buf[kept] = '\0';
	return len;
}
