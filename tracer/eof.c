/* eof.c - whether a valid call maps pages past the end of its file.
 *
 * The most common remap_file_pages bug passes every rule of the kernel:
 * a byte offset given as pgoff on a small file.  The call succeeds and
 * the first access dies of SIGBUS (filemap_fault() past i_size).  The
 * size is read without opening anything with remaptrace's rights.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rt_eof.h"

static bool
is_vma_file(const struct stat *st, const struct rt_vma *vma)
{
	return S_ISREG(st->st_mode) && st->st_ino == vma->ino &&
	       major(st->st_dev) == vma->dev_major &&
	       minor(st->st_dev) == vma->dev_minor;
}

int
rt_eof_size(pid_t pid, const struct rt_vma *vma, int fd, uint64_t *size)
{
	char path[PATH_MAX + 64];
	struct stat st;

	if (!vma->ino)
		return -ENODATA;
	if (fd >= 0 && fstat(fd, &st) == 0 && is_vma_file(&st, vma))
		goto found;
	/* stat() follows the magic link to the VMA's own inode; looking it
	 * up needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE). */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 pid, vma->start, vma->end);
	if (stat(path, &st) == 0 && is_vma_file(&st, vma))
		goto found;
	/* The path the VMA shows, seen from the program's root: counts
	 * only if it still names the very inode. */
	if (vma->name[0] != '/')
		return -ENODATA;
	if ((size_t)snprintf(path, sizeof(path), "/proc/%d/root%s", pid,
			     vma->name) >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) == 0 && is_vma_file(&st, vma))
		goto found;
	return -ENODATA;
found:
	*size = (uint64_t)st.st_size;
	return 0;
}

bool
rt_eof_describe(FILE *f, const struct rt_remap_args *a, uint64_t size,
		uint64_t page_size)
{
	uint64_t pages = (size + page_size - 1) / page_size;
	uint64_t n = (a->size + page_size - 1) / page_size;

	if (n == 0 || a->pgoff + n <= pages || a->pgoff + n < a->pgoff)
		return false;
	if (a->pgoff >= pages)
		fprintf(f, "pgoff %" PRIu64 " is past the end of the file "
			"(%" PRIu64 " page%s): accesses will SIGBUS",
			a->pgoff, pages, pages == 1 ? "" : "s");
	else if (a->pgoff + n - 1 == pages)
		fprintf(f, "file page %" PRIu64 " is past the end of the file "
			"(%" PRIu64 " page%s): accesses to it will SIGBUS",
			pages, pages, pages == 1 ? "" : "s");
	else
		fprintf(f, "file pages %" PRIu64 "-%" PRIu64 " are past the "
			"end of the file (%" PRIu64 " page%s): accesses to "
			"them will SIGBUS", pages, a->pgoff + n - 1, pages,
			pages == 1 ? "" : "s");
	return true;
}
