/* shm.c - SysV shared memory as /proc shows it: the segment behind a VMA,
 * and a line of /proc/sysvipc/shm (rt_shm.h).  Pure: no system calls.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "rt_shm.h"

#define PREFIX	"/SYSV"
#define DELETED	" (deleted)"

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool
rt_shm_id(const struct rt_vma *vma, int *id)
{
	const char *rest = vma->name + strlen(PREFIX);
	int i;

	if (strncmp(vma->name, PREFIX, strlen(PREFIX)))
		return false;
	/* sprintf(name, "SYSV%08x", key): exactly eight lower-case digits */
	for (i = 0; i < 8; i++)
		if (!is_hex(rest[i]))
			return false;
	rest += 8;
	if (*rest && strcmp(rest, DELETED))
		return false;
	/* shm_perm.id is an int >= 0: anything else is another file */
	if (vma->ino > INT_MAX)
		return false;
	*id = (int)vma->ino;
	return true;
}

int
rt_shm_parse_line(const char *line, struct rt_shm_seg *out)
{
	long long key;
	unsigned long long size, nattch;
	unsigned int mode;
	int id, cpid, lpid;

	/* "%10d %10d  %4o %21lu %5u %5u  %5lu ..." */
	if (sscanf(line, " %lld %d %o %llu %d %d %llu", &key, &id, &mode,
		   &size, &cpid, &lpid, &nattch) != 7)
		return -EINVAL;
	if (id < 0)
		return -EINVAL;
	out->id = id;
	out->mode = mode;
	out->nattch = nattch;
	return 0;
}

bool
rt_shm_destroys(const struct rt_shm_seg *seg, bool forced, unsigned int whole)
{
	if (!whole || seg->nattch != whole)
		return false;
	return forced || (seg->mode & RT_SHM_DEST);
}

bool
rt_shm_unnamed(const struct rt_vma *vma)
{
	int id;

	return !strcmp(vma->name, "/dev/zero (deleted)") || rt_shm_id(vma, &id);
}
