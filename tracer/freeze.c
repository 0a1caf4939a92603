/* freeze.c - hold a process's other threads still for one emulation.
 *
 * Used only to retry a call whose installed descriptor another thread
 * closed or replaced (emulate.c): with the other threads stopped the retry
 * cannot be disturbed again, so a program that churns descriptors cannot
 * keep a call from completing.  They are stopped with PTRACE_INTERRUPT (a
 * notification one of them waits in is aborted and restarts later) and
 * resumed as they were, a signal they were stopped with delivered.  Their
 * stops arrive at the loop, which gives them to the job that froze them.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "rt_freeze.h"

static struct rt_frozen *
find(struct rt_freeze *fz, pid_t tid)
{
	size_t i;

	for (i = 0; i < fz->n; i++)
		if (fz->t[i].tid == tid)
			return &fz->t[i];
	return NULL;
}

bool
rt_freeze_take(struct rt_freeze *fz, pid_t pid, int status)
{
	struct rt_frozen *f = find(fz, pid);

	if (!f || f->stopped)
		return false;
	fz->pending--;
	if (WIFSTOPPED(status)) {
		f->stopped = true;
		/* A signal-delivery-stop: give the signal back on thaw. */
		if (!(status >> 16) && WSTOPSIG(status) != (SIGTRAP | 0x80))
			f->sig = WSTOPSIG(status);
		return true;
	}
	f->tid = 0;	/* exited: nothing to resume */
	return false;
}

bool
rt_freeze_done(const struct rt_freeze *fz)
{
	return fz->pending == 0;
}

size_t
rt_freeze_others(struct rt_freeze *fz, const struct rt_procs *p, pid_t tgid,
		 pid_t except)
{
	size_t i;

	fz->n = fz->pending = 0;
	free(fz->t);
	fz->t = calloc(p->n ? p->n : 1, sizeof(*fz->t));
	if (!fz->t)
		return 0;
	for (i = 0; i < p->n; i++) {
		if (p->t[i].tgid != tgid || p->t[i].tid == except)
			continue;
		if (ptrace(PTRACE_INTERRUPT, p->t[i].tid, NULL, NULL) < 0)
			continue;
		fz->t[fz->n++] = (struct rt_frozen){ .tid = p->t[i].tid };
		fz->pending++;
	}
	return fz->pending;
}

void
rt_freeze_thaw(struct rt_freeze *fz)
{
	size_t i;

	for (i = 0; i < fz->n; i++)
		if (fz->t[i].tid > 0 && fz->t[i].stopped)
			ptrace(PTRACE_CONT, fz->t[i].tid, NULL,
			       (void *)(long)fz->t[i].sig);
	fz->n = fz->pending = 0;
	free(fz->t);
	fz->t = NULL;
}
