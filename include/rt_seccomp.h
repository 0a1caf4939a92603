/* rt_seccomp.h - the user-notification listener (tracer/seccomp.c). */
#ifndef RT_SECCOMP_H
#define RT_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_ctx.h"

struct seccomp_notif;
struct seccomp_notif_resp;
/* NOTIF_RECV, NOTIF_SEND, NOTIF_ID_VALID on listener @fd: 0 or -errno. */
int rt_seccomp_recv(int fd, struct seccomp_notif *req);
int rt_seccomp_send(int fd, struct seccomp_notif_resp *resp);
int rt_seccomp_valid_id(int fd, uint64_t id);
/* Answer the current notification (ctx->req) now: SECCOMP_IOCTL_NOTIF_SEND,
 * 0 or -errno (-ENOENT: the caller is gone).  With @cont, the kernel runs
 * the call. */
int rt_seccomp_answer(struct rt_ctx *ctx, long val, int error, bool cont);
/* The same for notification @id. */
int rt_seccomp_answer_id(struct rt_ctx *ctx, uint64_t id, long val, int error,
			 bool cont);
/* Is the current notification still pending?  0 or -ENOENT. */
int rt_seccomp_valid(struct rt_ctx *ctx);
/* Install our @fd in the caller (SECCOMP_IOCTL_NOTIF_ADDFD): its number. */
int rt_seccomp_addfd(struct rt_ctx *ctx, int fd);
/* The same for notification @id; at number @newfd (replacing what is
 * there, not close-on-exec) when >= 0. */
int rt_seccomp_addfd_id(struct rt_ctx *ctx, uint64_t id, int fd, int newfd);

#endif
