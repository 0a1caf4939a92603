/* rt_maps.h - pure parsers for /proc/PID/maps and /proc/PID/smaps text
 * (emu/maps.c), and VM flag names.
 */
#ifndef RT_MAPS_H
#define RT_MAPS_H

#include "rt_vma.h"

/**
 * rt_maps_parse_line() - parse one /proc/PID/maps line.
 * Fills start, end, offset, dev, ino, name, and flags READ/WRITE/EXEC and
 * MAYSHARE (the "s"); flags_exact is false.
 * Returns 0 or -EINVAL.
 */
int rt_maps_parse_line(const char *line, struct rt_vma *out);

/**
 * rt_maps_parse_vmflags() - parse the value of a VmFlags: line
 * ("rd wr sh mr mw me ms sd") into RT_VM_* bits.
 * Unknown mnemonics set RT_VM(OTHER).  Returns 0 or -EINVAL.
 */
int rt_maps_parse_vmflags(const char *text, uint64_t *flags);

/**
 * rt_smaps_parse() - parse a whole smaps text buffer.
 * @buf, @len: the text.
 * @vmas, @max: out array; @n: out count (at most @max).
 * Each entry gets flags from VmFlags (flags_exact true) and page_size from
 * KernelPageSize.  Returns 0, -EINVAL on malformed text, -E2BIG when more
 * than @max VMAs are present (the first @max are filled).
 */
int rt_smaps_parse(const char *buf, size_t len, struct rt_vma *vmas,
		   size_t max, size_t *n);

/* Write the mnemonics of @flags ("rd wr sh ...") into @buf. */
void rt_maps_format_vmflags(uint64_t flags, char *buf, size_t size);

#endif
