/* t-held.h - a page userfaultfd holds back: a call that reads its
 * arguments from it waits in the kernel, half done, for as long as the
 * test wants (t-atk-race, t-atk-fs).  Needs root (or
 * vm.unprivileged_userfaultfd) for the kernel's own access.
 */
#ifndef T_HELD_H
#define T_HELD_H

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct held_page {
	int uffd;
	char *page;		/* where the call's argument goes */
	long size;
};

static inline void
held_die(const char *what)
{
	fprintf(stderr, "held page: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A page of @size, not there yet: the first access waits. */
static inline void
held_open(struct held_page *h, long size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	h->size = size;
	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0 || ioctl(h->uffd, UFFDIO_API, &api) < 0)
		held_die("userfaultfd");
	h->page = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->page == MAP_FAILED)
		held_die("mmap");
	reg = (struct uffdio_register){
		.range = { (unsigned long)h->page, (unsigned long)size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg) < 0)
		held_die("UFFDIO_REGISTER");
}

/* Until something (the call) waits for the page. */
static inline void
held_wait(struct held_page *h)
{
	struct pollfd pfd = { .fd = h->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, -1) != 1 ||
	    read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		held_die("userfaultfd read");
}

/* Thread @fn makes the call, given the page as its argument; back once
 * the call waits for the page.  The thread, to join. */
static inline pthread_t
held_call(struct held_page *h, void *(*fn)(void *))
{
	pthread_t t;
	int e = pthread_create(&t, NULL, fn, h->page);

	if (e) {
		errno = e;
		held_die("pthread_create");
	}
	held_wait(h);
	return t;
}

/* The page, holding @len bytes of @data: the call goes on. */
static inline void
held_give(struct held_page *h, const void *data, size_t len)
{
	struct uffdio_copy copy;
	char *src;

	src = mmap(NULL, h->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || len > (size_t)h->size)
		held_die("mmap");
	memcpy(src, data, len);
	copy = (struct uffdio_copy){ .dst = (unsigned long)h->page,
				     .src = (unsigned long)src,
				     .len = (unsigned long)h->size };
	if (ioctl(h->uffd, UFFDIO_COPY, &copy) < 0)
		held_die("UFFDIO_COPY");
	munmap(src, h->size);
	close(h->uffd);
}

#endif
