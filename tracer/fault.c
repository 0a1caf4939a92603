/* fault.c - --inject=ERRNO@WHEN and strace's -e inject=remap_file_pages:
 * error=ERRNO:when=WHEN: fail chosen calls on purpose, as strace -e
 * inject does.  Only parsing and counting: no system calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_names.h"
#include "rt_fault.h"
#include "rt_util.h"

int
rt_fault_errno(const char *s)
{
	char *end;
	long v;
	int e;

	v = strtol(s, &end, 10);
	if (*s && !*end)
		return v > 0 && v < 4096 ? (int)v : -EINVAL;
	for (e = 1; e < 4096; e++) {
		const char *n = rt_names_errno(e);

		if (n && !strcmp(n, s))
			return e;
	}
	return -EINVAL;
}

/* A decimal number from 1, all digits (no sign, no space); *end after it. */
static int
parse_count(const char *s, const char **end, unsigned long *out)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &e, 10);
	if (errno || *out == 0)
		return -EINVAL;
	*end = e;
	return 0;
}

/* strace's "when" expression: N, N+ (N and every later call) or N+S (N,
 * then every S-th call after it). */
static int
parse_when(const char *s, struct rt_fault *f)
{
	const char *end;

	if (parse_count(s, &end, &f->first) < 0)
		return -EINVAL;
	f->step = 0;
	if (!*end)
		return 0;
	if (*end != '+')
		return -EINVAL;
	if (!end[1]) {
		f->step = 1;
		return 0;
	}
	if (parse_count(end + 1, &end, &f->step) < 0 || *end)
		return -EINVAL;
	return 0;
}

static int
add(struct rt_opts *o, const struct rt_fault *f)
{
	if (o->nfaults >= RT_FAULTS_MAX)
		return -E2BIG;
	o->faults[o->nfaults++] = *f;
	return 0;
}

int
rt_fault_parse_inject(struct rt_opts *o, const char *arg)
{
	const char *at = strrchr(arg, '@');
	struct rt_fault f;
	char name[64];
	size_t len;
	int e;

	if (!at || at == arg || (len = at - arg) >= sizeof(name))
		return -EINVAL;
	memcpy(name, arg, len);
	name[len] = '\0';
	e = rt_fault_errno(name);
	if (e < 0 || parse_when(at + 1, &f) < 0)
		return -EINVAL;
	f.err = e;
	return add(o, &f);
}

int
rt_fault_parse_strace(struct rt_opts *o, const char *arg)
{
	static const char head[] = "inject=remap_file_pages";
	struct rt_fault f = { .first = 1, .step = 1 };	/* strace: every call */
	_cleanup_free_ char *copy = NULL;
	char *tok, *save;

	if (strncmp(arg, head, sizeof(head) - 1) ||
	    (arg[sizeof(head) - 1] && arg[sizeof(head) - 1] != ':'))
		return -EINVAL;
	copy = strdup(arg + sizeof(head) - 1);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (!strncmp(tok, "error=", 6)) {
			if (f.err || (f.err = rt_fault_errno(tok + 6)) < 0)
				return -EINVAL;
		} else if (!strncmp(tok, "when=", 5)) {
			if (parse_when(tok + 5, &f) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;	/* retval=, signal=, delay_*: not ours */
		}
	}
	if (f.err <= 0)
		return -EINVAL;	/* strace needs one of error=, retval=, ... */
	return add(o, &f);
}

bool
rt_fault_match(const struct rt_ctx *ctx, unsigned long nth, int *err)
{
	const struct rt_opts *o = &ctx->opt;

	/* The last rule given that names the call decides, as a later -e
	 * inject overrides an earlier one in strace. */
	for (unsigned int i = o->nfaults; i-- > 0;) {
		const struct rt_fault *f = &o->faults[i];

		if (nth == f->first ||
		    (f->step && nth > f->first &&
		     (nth - f->first) % f->step == 0)) {
			*err = f->err;
			return true;
		}
	}
	return false;
}
