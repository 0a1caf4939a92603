/* rt_fault.h - fault injection: --inject and -e inject= (tracer/fault.c). */
#ifndef RT_FAULT_H
#define RT_FAULT_H

#include <stdbool.h>

#include "rt_ctx.h"

/**
 * rt_fault_match() - --inject: should the call numbered @nth (1-based,
 * counting every intercepted call) be failed?  *err gets the errno of
 * the last rule given that names the call.
 */
bool rt_fault_match(const struct rt_ctx *ctx, unsigned long nth, int *err);

/* An errno by name ("ENOMEM") or number (1 to 4095); -EINVAL if neither. */
int rt_fault_errno(const char *s);

/**
 * rt_fault_parse_inject() - add the rule of --inject=ERRNO@N, ERRNO@N+ or
 * ERRNO@N+S to @o (N, S from 1).
 * Return: 0; -EINVAL malformed; -E2BIG more than RT_FAULTS_MAX rules.
 */
int rt_fault_parse_inject(struct rt_opts *o, const char *arg);

/**
 * rt_fault_parse_strace() - add the rule of strace's
 * -e inject=remap_file_pages:error=ERRNO[:when=N|N+|N+S] (without when=,
 * every call) to @o.
 * Return: 0; -EINVAL malformed or not about remap_file_pages errors;
 * -E2BIG too many rules; -ENOMEM.
 */
int rt_fault_parse_strace(struct rt_opts *o, const char *arg);

#endif
