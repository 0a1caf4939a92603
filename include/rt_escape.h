/* rt_escape.h - bytes from the traced program's world (paths, names) as
 * the text log prints them, escaped the way strace quotes strings
 * (emu/escape.c).
 */
#ifndef RT_ESCAPE_H
#define RT_ESCAPE_H

#include <stddef.h>

/* Room that escaping @n bytes may need, with the NUL: 4 per byte. */
#define RT_ESCAPE_SIZE(n)	(4 * (n) + 1)

/**
 * rt_escape_str() - @s with every byte that could forge or garble a log
 * line escaped, as strace's string_quote() does by default: \" \\ \f \n
 * \r \t \v, other bytes below 0x20 and from 0x7f up in octal, in as few
 * digits as possible unless an octal digit follows ("\33[", "\0331").
 * Printable ASCII is kept.
 * @s: a NUL-terminated string.
 * @buf, @size: where to write, as snprintf: at most @size - 1 bytes and a
 *	NUL when @size > 0.  An escape that does not fit whole is left out,
 *	never cut, so that a truncated result cannot end in a lone backslash.
 * Return: the length the whole escaped text needs, without the NUL.
 */
size_t rt_escape_str(const char *s, char *buf, size_t size);

#endif
