/* rfputil.c - the helpers every op of rfpbench uses: a clock, the
 * file to remap, and the number of VMAs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rfpbench.h"

long rfp_page_size;

uint64_t
rfp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
rfp_count_vmas(long *n)
{
	char buf[65536];
	ssize_t r;
	long lines = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			lines += buf[i] == '\n';
	close(fd);
	*n = lines;
	return r < 0 ? -errno : 0;
}

/* Page @i of the file holds @i in its first 8 bytes. */
int
rfp_make_file(long npages, int *fdp)
{
	uint64_t *m;
	size_t len = (size_t)npages * (size_t)rfp_page_size;
	int fd = memfd_create("rfpbench", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0)
		goto fail;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	for (long i = 0; i < npages; i++)
		m[(size_t)i * (size_t)rfp_page_size / sizeof(*m)] = (uint64_t)i;
	munmap(m, len);
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return -errno;
}
