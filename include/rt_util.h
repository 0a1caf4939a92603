/* rt_util.h - ownership helpers (cleanup attributes) and small macros
 * shared by tracer/ (bubblewrap/systemd style).
 */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f)	__attribute__((cleanup(f)))
#define _unused_	__attribute__((unused))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline void
rt_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void
rt_freep(void *p)
{
	free(*(void **)p);
}

/*
 * rt_grow() - room for one more element in array @a (@n used of *@cap,
 * each @size bytes): when full, reallocated to twice its capacity (@first
 * the first time).  Returns the array to use from now on, or NULL when out
 * of memory (then @a and *@cap are as they were).
 */
static inline void *
rt_grow(void *a, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t c;

	if (n < *cap)
		return a;
	c = *cap ? *cap * 2 : first;
	a = realloc(a, c * size);
	if (a)
		*cap = c;
	return a;
}

/*
 * SIGKILL the process of @pidfd and wait, at most a second, until it is
 * gone (for processes that are not our children: no zombie of ours to
 * reap); then close @pidfd.
 */
static inline void
rt_pidfd_kill_wait(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (poll(&p, 1, 1000) < 0 && errno == EINTR)
		;
	close(pidfd);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t
rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define _cleanup_close_	_cleanup_(rt_closep)
#define _cleanup_free_	_cleanup_(rt_freep)

/* Hand over ownership: the variable no longer closes/frees it. */
static inline int
rt_take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

#define steal_ptr(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define take_fd(fd) rt_take_fd(&(fd))

/* -errno from the last failing libc call, never 0. */
static inline int
rt_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
