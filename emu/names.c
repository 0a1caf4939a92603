/* names.c - pure decoders for the log: mmap prot and flags, errno and
 * signal numbers into their symbolic names (strace style).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_names.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef MAP_TYPE
#define MAP_TYPE	0x0f
#endif

/* An snprintf-like sink: counts what it could not store. */
struct sink {
	char *buf;
	size_t size;
	size_t len;
};

static void
put(struct sink *s, const char *text)
{
	size_t n = strlen(text);

	if (s->len < s->size) {
		size_t room = s->size - 1 - s->len;

		memcpy(s->buf + s->len, text, n < room ? n : room);
		s->buf[s->len + (n < room ? n : room)] = '\0';
	}
	s->len += n;
}

static void
put_sep(struct sink *s, const char *text)
{
	if (s->len)
		put(s, "|");
	put(s, text);
}

static void
put_hex(struct sink *s, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%#" PRIx64, v);
	put_sep(s, num);
}

static size_t
finish(struct sink *s)
{
	if (s->size)
		s->buf[s->len < s->size ? s->len : s->size - 1] = '\0';
	return s->len;
}

struct flag_name {
	uint64_t value;
	const char *name;
};

#define FLAG(f)	{ (uint64_t)(f), #f }

/* Names every bit of @flags in @names, in table order; returns the rest. */
static uint64_t
put_flags(struct sink *s, uint64_t flags, const struct flag_name *names,
	  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i].value && (flags & names[i].value) == names[i].value) {
			put_sep(s, names[i].name);
			flags &= ~names[i].value;
		}
	}
	return flags;
}

static const struct flag_name prot_names[] = {
	FLAG(PROT_READ), FLAG(PROT_WRITE), FLAG(PROT_EXEC),
#ifdef PROT_SEM
	FLAG(PROT_SEM),
#endif
	FLAG(PROT_GROWSDOWN), FLAG(PROT_GROWSUP),
};

/**
 * rt_names_prot() - name mmap/mprotect protection bits.
 * @prot: PROT_* bits.
 * @buf, @size: out, as snprintf.
 *
 * Return: the length of the whole text ("PROT_READ|PROT_WRITE").
 */
size_t
rt_names_prot(int prot, char *buf, size_t size)
{
	struct sink s = { .buf = buf, .size = size };
	uint64_t rest;

	if (size)
		buf[0] = '\0';
	if (prot == 0) {
		put(&s, "PROT_NONE");
		return finish(&s);
	}
	rest = put_flags(&s, (unsigned int)prot, prot_names,
			 ARRAY_SIZE(prot_names));
	if (rest)
		put_hex(&s, rest);
	return finish(&s);
}

/* The mapping type is a value in MAP_TYPE, not a set of bits. */
static const struct flag_name map_types[] = {
	FLAG(MAP_SHARED), FLAG(MAP_PRIVATE),
#ifdef MAP_SHARED_VALIDATE
	FLAG(MAP_SHARED_VALIDATE),
#endif
#ifdef MAP_DROPPABLE
	FLAG(MAP_DROPPABLE),
#endif
};

static const struct flag_name map_names[] = {
	FLAG(MAP_FIXED), FLAG(MAP_ANONYMOUS),
#ifdef MAP_32BIT
	FLAG(MAP_32BIT),
#endif
	FLAG(MAP_GROWSDOWN), FLAG(MAP_DENYWRITE), FLAG(MAP_EXECUTABLE),
	FLAG(MAP_LOCKED), FLAG(MAP_NORESERVE), FLAG(MAP_POPULATE),
	FLAG(MAP_NONBLOCK), FLAG(MAP_STACK), FLAG(MAP_HUGETLB),
#ifdef MAP_SYNC
	FLAG(MAP_SYNC),
#endif
#ifdef MAP_FIXED_NOREPLACE
	FLAG(MAP_FIXED_NOREPLACE),
#endif
};

static uint64_t
put_map_type(struct sink *s, uint64_t flags)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map_types); i++) {
		if ((flags & MAP_TYPE) == map_types[i].value) {
			put_sep(s, map_types[i].name);
			return flags & ~(uint64_t)MAP_TYPE;
		}
	}
	return flags;
}

/*
 * With MAP_HUGETLB the bits from MAP_HUGE_SHIFT up give log2 of the huge
 * page size (21 is 2 MiB): shown as strace does, "21<<MAP_HUGE_SHIFT".
 */
static uint64_t
put_huge_size(struct sink *s, uint64_t rest, uint64_t flags)
{
#if defined(MAP_HUGE_SHIFT) && defined(MAP_HUGE_MASK)
	uint64_t mask = (uint64_t)MAP_HUGE_MASK << MAP_HUGE_SHIFT;
	char text[40];

	if (!(flags & MAP_HUGETLB) || !(rest & mask))
		return rest;
	snprintf(text, sizeof(text), "%" PRIu64 "<<MAP_HUGE_SHIFT",
		 (rest & mask) >> MAP_HUGE_SHIFT);
	put_sep(s, text);
	return rest & ~mask;
#else
	(void)s;
	(void)flags;
	return rest;
#endif
}

/**
 * rt_names_mapflags() - name mmap flags.
 * @flags: MAP_* bits, as the call or a plan carries them.
 * @buf, @size: out, as snprintf.
 *
 * Return: the length of the whole text ("MAP_SHARED|MAP_FIXED|...").
 */
size_t
rt_names_mapflags(uint64_t flags, char *buf, size_t size)
{
	struct sink s = { .buf = buf, .size = size };
	uint64_t rest;

	if (size)
		buf[0] = '\0';
	if (flags == 0) {
		put(&s, "0");
		return finish(&s);
	}
	rest = put_map_type(&s, flags);
	rest = put_flags(&s, rest, map_names, ARRAY_SIZE(map_names));
	rest = put_huge_size(&s, rest, flags);
	if (rest)
		put_hex(&s, rest);
	return finish(&s);
}

#define E(e)	[e] = #e

static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG),
	E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM),
	E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH),
	E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO),
	E(EBADRQC), E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME),
	E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV),
	E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT),
	E(EBADMSG), E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG),
	E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC),
	E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
	E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN),
	E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN),
	E(ENOTNAM), E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT),
	E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY),
	E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD),
	E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
	/*
	 * include/linux/errno.h: never returned to user space, but a
	 * tracer sees them in the return register of an interrupted call.
	 */
	[512] = "ERESTARTSYS", [513] = "ERESTARTNOINTR",
	[514] = "ERESTARTNOHAND", [515] = "ENOIOCTLCMD",
	[516] = "ERESTART_RESTARTBLOCK",
};

/**
 * rt_names_errno() - symbolic name of an errno value.
 * @err: positive or negative (a raw syscall return).
 *
 * Return: "EINVAL", ...; NULL for 0 or a value without a name.
 */
const char *
rt_names_errno(int err)
{
	unsigned int e = err < 0 ? -(unsigned int)err : (unsigned int)err;

	if (e >= ARRAY_SIZE(errno_names))
		return NULL;
	return errno_names[e];
}

#define S(s)	[s] = #s
#define RT(n)	[32 + n] = "SIGRT_" #n

static const char *const signal_names[] = {
	S(SIGHUP), S(SIGINT), S(SIGQUIT), S(SIGILL), S(SIGTRAP), S(SIGABRT),
	S(SIGBUS), S(SIGFPE), S(SIGKILL), S(SIGUSR1), S(SIGSEGV), S(SIGUSR2),
	S(SIGPIPE), S(SIGALRM), S(SIGTERM),
#ifdef SIGSTKFLT
	S(SIGSTKFLT),
#endif
#ifdef SIGEMT
	S(SIGEMT),
#endif
	S(SIGCHLD), S(SIGCONT), S(SIGSTOP), S(SIGTSTP), S(SIGTTIN),
	S(SIGTTOU), S(SIGURG), S(SIGXCPU), S(SIGXFSZ), S(SIGVTALRM),
	S(SIGPROF), S(SIGWINCH), S(SIGIO), S(SIGPWR), S(SIGSYS),
	/* The kernel's SIGRTMIN is 32; glibc keeps 32 and 33 for itself. */
	RT(0), RT(1), RT(2), RT(3), RT(4), RT(5), RT(6), RT(7), RT(8),
	RT(9), RT(10), RT(11), RT(12), RT(13), RT(14), RT(15), RT(16),
	RT(17), RT(18), RT(19), RT(20), RT(21), RT(22), RT(23), RT(24),
	RT(25), RT(26), RT(27), RT(28), RT(29), RT(30), RT(31), RT(32),
};

/**
 * rt_names_signal() - symbolic name of a signal number.
 * @sig: 1 to 64.
 *
 * Return: "SIGSEGV", "SIGRT_2", ...; NULL for 0 or an unknown number.
 */
const char *
rt_names_signal(int sig)
{
	if (sig <= 0 || (unsigned int)sig >= ARRAY_SIZE(signal_names))
		return NULL;
	return signal_names[sig];
}
