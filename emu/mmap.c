/* mmap.c - the mmap call that carries out a plan, in the terms of the ABI
 * the emulation runs in: a byte offset, or mmap2's 4096-byte units.
 */
#include <errno.h>

#include "rt_remap.h"

static bool
fits(uint64_t v, unsigned int bits)
{
	return !bits || bits >= 64 || v < (1ULL << bits);
}

int
rt_remap_mmap_args(const struct rt_plan *p, int fd, uint64_t mark,
		   unsigned int offset_shift, unsigned int word_bits,
		   uint64_t args[6])
{
	uint64_t unit = 1ULL << (offset_shift & 63);
	uint64_t flags = (uint64_t)(unsigned int)p->flags | mark;
	uint64_t off;

	if ((word_bits != 0 && word_bits != 32 && word_bits != 64) ||
	    offset_shift >= 32 || fd < 0)
		return -EINVAL;
	/*
	 * sys_mmap_pgoff() takes the offset in units of 4096 bytes on
	 * i386 and arm; on a bigger page, ksys_mmap_pgoff() would refuse a
	 * unit offset that is not a whole page, and a plan's offset always
	 * is one (pgoff << page shift).
	 */
	if (p->offset & (unit - 1))
		return -EINVAL;
	off = p->offset >> offset_shift;
	if (!fits(p->addr, word_bits) || !fits(p->len, word_bits) ||
	    !fits(flags, word_bits) || !fits(off, word_bits))
		return -EOVERFLOW;
	args[0] = p->addr;
	args[1] = p->len;
	args[2] = (uint64_t)(unsigned int)p->prot;
	args[3] = flags;
	args[4] = (uint64_t)fd;
	args[5] = off;
	return 0;
}
