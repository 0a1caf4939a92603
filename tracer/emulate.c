/* emulate.c - run a valid call's mmap inside the calling thread.
 *
 * The thread is answered 0 with a PTRACE_INTERRUPT pending, caught in the
 * stop that follows, and made to run the planned mmap (and the close of a
 * descriptor installed for it); the call then returns the mmap's verdict.
 * The kernel's remap_file_pages never runs in this mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/kcmp.h>

#include "rt_compat.h"
#include "rt_tracer.h"
#include "rt_util.h"

/*
 * The open file to map: the one the tracee's mmap was seen with (the
 * kernel's vma->vm_file itself), else one reached by fileobj.c, which
 * becomes known from now on.  *key: its identity key.
 */
static int
get_file(struct rt_ctx *ctx, struct rt_call *c, int64_t *key)
{
	const struct rt_ident_key *k;
	_cleanup_close_ int pidfd = -1;
	int r, fd, tfd;

	k = rt_ident_find(&ctx->ident, c->tgid, &c->v.first);
	if (k) {
		c->how = RT_FILE_FOLLOWED;
		*key = (int64_t)k->id;
		return 0;
	}
	pidfd = rt_notify_pidfd(c->tid);
	if (pidfd < 0 || rt_notify_id_valid(ctx) < 0)
		return -ESRCH;
	r = rt_fileobj_get(c->tid, pidfd, &c->v.first, &fd, &c->how, &tfd);
	if (r < 0)
		return r;
	*key = rt_ident_adopt(&ctx->ident, fd);
	if (*key < 0) {
		close(fd);
		return (int)*key;
	}
	if (c->how == RT_FILE_TRACEE_FD)
		rt_ident_set_fd_hint(&ctx->ident, c->tgid, *key, tfd);
	return 0;
}

/*
 * The tracee's own descriptor for the open file of @key, if it still has
 * the one its mmap used (kcmp(2) across processes says so): mapping from
 * it saves installing one and the injected close, two ptrace stops.
 * Only in a single-threaded process, where no other thread can close or
 * replace that descriptor before the injected mmap uses it.
 */
static int
own_fd(struct rt_ctx *ctx, const struct rt_call *c, int64_t key)
{
	int hint = rt_ident_fd_hint(&ctx->ident, c->tgid, key);

	if (hint < 0 || rt_procs_nthreads(&ctx->procs, c->tgid) != 1)
		return -1;
	if (syscall(SYS_kcmp, c->tid, ctx->self, KCMP_FILE, hint,
		    rt_ident_key_fd(&ctx->ident, key)) != 0)
		return -1;
	return hint;
}

/* May injected calls be single-stepped?  Not if SIGTRAP is ignored. */
static bool
step_ok(struct rt_ctx *ctx, const struct rt_call *c)
{
	struct rt_proc *proc = rt_procs_proc(&ctx->procs, c->tgid);
	char path[64], buf[2048], *s;
	_cleanup_close_ int fd = -1;
	unsigned long long ign;
	ssize_t n;

	if (!proc)
		return false;
	if (proc->step_ok >= 0)
		return proc->step_ok;
	snprintf(path, sizeof(path), "/proc/%d/status", c->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	s = strstr(buf, "\nSigIgn:");
	if (!s)
		return false;
	ign = strtoull(s + 8, NULL, 16);
	proc->step_ok = !(ign & (1ULL << (SIGTRAP - 1)));
	return proc->step_ok;
}

/*
 * Emulate a valid call in the tracee: on return c->result and c->outcome
 * are set, and the thread waits in a ptrace-stop (RT_PEND_RESUME) or for its
 * answer (RT_PEND_RESPOND), unless it vanished.
 */
void
rt_emulate(struct rt_ctx *ctx, struct rt_call *c, struct rt_pending *pd)
{
	const struct rt_plan *p = &c->v.plan;
	struct rt_inject *in = &pd->in;
	long ret = 0, result = -ENOSYS;
	int r = 0, tfd = -1, kfd;
	bool installed = false, open_later = false;
	int64_t key = 0;

	/*
	 * First make sure the thread is ours to stop: one that another
	 * tracer took over (a debugger attached to it after we let go) can
	 * only have its valid call run by the kernel.  An interrupt left
	 * pending by a failure below only makes the thread stop once more
	 * on its way out, which the loop resumes.
	 */
	if (ptrace(PTRACE_INTERRUPT, c->tid, NULL, NULL) < 0) {
		c->outcome = RT_OUT_PASSED;
		c->why = "not traced by remaptrace";
		rt_notify_answer(pd, 0, true);
		return;
	}
	if (c->v.action == RT_ACT_MMAP) {
		rt_notify_phase(c, RT_PH_LOOKUP);
		r = get_file(ctx, c, &key);
		if (r == -EPERM) {
			/* map_files refused: the tracee opens it itself. */
			open_later = true;
			r = 0;
		} else if (r == 0) {
			tfd = own_fd(ctx, c, key);
			rt_notify_phase(c, RT_PH_FILE);
			if (tfd < 0) {
				tfd = rt_notify_addfd(ctx,
					    rt_ident_key_fd(&ctx->ident, key));
				installed = tfd >= 0;
				r = tfd < 0 ? tfd : 0;
			}
		}
		if (r < 0) {
			c->outcome = r == -ENOENT ? RT_OUT_GONE : RT_OUT_FAILED;
			c->why = "cannot reach the mapped file";
			c->result = r == -ESTALE ? -EINVAL : r;
			rt_notify_answer(pd, (int)-c->result, false);
			return;
		}
	}

	/* Provisional answer; the stop that follows gets the real one.
	 * ENOENT means the wait was aborted: the stop shows that too. */
	rt_notify_respond(ctx, 0, 0, false);

	rt_notify_phase(c, RT_PH_INSTALL);
	r = rt_inject_begin(ctx, c->tid, in, step_ok(ctx, c));
	rt_notify_phase(c, RT_PH_STOP);
	if (r == 0 && ctx->opt.stack_trace &&
	    rt_stack_capture(c->tid, &pd->stack) == 0)
		c->stack = &pd->stack;
	if (r == 0 && open_later) {
		r = rt_fileobj_open_in_tracee(ctx, in, &c->v.first, &tfd, &kfd);
		if (r == 0) {
			c->how = RT_FILE_TRACEE_OPEN;
			installed = true;
			key = rt_ident_adopt(&ctx->ident, kfd);
			if (key < 0)
				close(kfd);
		} else if (r != -ESRCH) {
			/* Nothing safe reaches the file: refuse (issue 4). */
			c->why = r == -ESTALE ?
				"its path names another file now" :
				"no descriptor, map_files refused, and the "
				"program cannot open it by path";
			result = -EACCES;
			r = 1;	/* answered, no mmap */
		}
	}
	if (r == 0 && c->v.action == RT_ACT_MMAP) {
		uint64_t a[6] = { p->addr, p->len, p->prot,
				  (uint64_t)p->flags | rt_arch_native.mmap_mark,
				  tfd, p->offset };
		uint64_t ca[6] = { tfd };

		r = rt_inject_call(ctx, in, rt_arch_native.nr_mmap, a, &ret);
		if (r == 0 && installed) {
			long cr;

			r = rt_inject_call(ctx, in, rt_arch_native.nr_close,
					   ca, &cr);
		}
		result = ret < 0 && ret > -4096 ? ret :
			 (uint64_t)ret == p->addr ? 0 : -EIO;
		if (result == 0 && key > 0)
			rt_ident_record(&ctx->ident, c->tgid, p->addr, p->len,
					p->offset, key);
		else if (key > 0)
			rt_ident_put_unused(&ctx->ident, key);
	} else if (r == 0) {
		uint64_t a[6] = { p->addr, p->len };

		r = rt_inject_call(ctx, in, rt_arch_native.nr_munmap, a,
				   &ret);
		result = -c->v.err;
	}
	rt_notify_phase(c, RT_PH_INJECT);
	c->mmap_ns = c->ph[RT_PH_INJECT];
	c->stops = in->stops;
	if (r == -ESRCH || !in->stopped) {
		c->outcome = RT_OUT_GONE;
		c->result = 0;
		return;
	}
	if (r < 0) {
		result = -ENOSYS;
		c->why = "injection failed";
	} else if (result < 0 && c->v.action == RT_ACT_MMAP && !c->why) {
		c->why = "mmap failed";
	}
	pd->what = RT_PEND_RESUME;
	pd->resume_val = result;
	c->result = result;
	c->outcome = result == 0 ? RT_OUT_EMULATED :
		     c->v.action == RT_ACT_MUNMAP ? RT_OUT_REJECTED :
		     RT_OUT_FAILED;
}

