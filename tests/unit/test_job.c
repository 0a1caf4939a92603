/* test_job.c - the job engine (tracer/job.c) over syscall injection
 * (tracer/inject.c) and freezing (tracer/freeze.c), driven by synthetic
 * wait statuses with no tracee at all: ptrace(2) and the architecture
 * layer are fakes that record what the engine asked of them.
 *
 * Each case feeds the statuses the loop would hand over, in an order the
 * kernel can produce (a stop of another thread in the middle, a group
 * stop during an injected call, the thread dying, an exec under its id,
 * a signal met while single-stepping, a frozen thread exiting), and
 * checks where the job is and what was done to the thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "rt_job.h"
#include "rt_freeze.h"
#include "tap.h"

/* ---- fakes: ptrace(2), tgkill, and the architecture layer ---- */

#define LOG_MAX	64

struct op {
	long req;	/* PTRACE_*, or -1 for tgkill */
	pid_t pid;
	long data;
};

static struct op oplog[LOG_MAX];
static int nops;
static pid_t gone_pid;		/* ptrace on it fails with ESRCH */
static long kernel_ret;		/* what an injected call returns */
static uint64_t stop_pc = 0x1000;	/* the pc a stop shows */

static void
reset(void)
{
	nops = 0;
	gone_pid = 0;
	kernel_ret = 0;
	stop_pc = 0x1000;
}

long
ptrace(enum __ptrace_request req, ...)
{
	va_list ap;
	pid_t pid;
	void *addr, *data;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	(void)addr;
	if (pid == gone_pid) {
		errno = ESRCH;
		return -1;
	}
	if (req == PTRACE_GETSIGMASK)
		*(uint64_t *)data = 0x5;
	if (nops < LOG_MAX && req != PTRACE_GETSIGMASK)
		oplog[nops++] = (struct op){ req, pid, (long)data };
	return 0;
}

long
syscall(long nr, ...)
{
	va_list ap;
	long tgid, tid, sig;

	va_start(ap, nr);
	tgid = va_arg(ap, long);
	tid = va_arg(ap, long);
	sig = va_arg(ap, long);
	va_end(ap);
	(void)tgid;
	if (nr == SYS_tgkill && nops < LOG_MAX)
		oplog[nops++] = (struct op){ -1, (pid_t)tid, sig };
	return 0;
}

const struct rt_arch rt_arch_native = { .name = "fake", .syscall_len = 2 };
const unsigned int rt_arch_red_zone = 128;

/* The process layer (procs.c), as job.c asks it whether a caught signal
 * may be queued again: one pid namespace, no filters of the program's. */
unsigned long long
rt_procs_ns(pid_t pid, const char *ns)
{
	(void)pid;
	(void)ns;
	return 1;
}

int
rt_procs_filters(pid_t tid)
{
	(void)tid;
	return 0;
}

/*
 * The fake registers, whatever the machine's are: the pc, the syscall
 * number, the first argument and the return value, kept in the first
 * bytes of struct rt_regs.
 */
struct fake_regs {
	uint64_t pc, nr, arg0, ret, sp;
};
_Static_assert(sizeof(struct fake_regs) <= sizeof(struct rt_regs),
	       "struct rt_regs holds the fake registers");

static struct fake_regs *
F(struct rt_regs *regs)
{
	return (struct fake_regs *)(void *)regs;
}

static const struct fake_regs *
CF(const struct rt_regs *regs)
{
	return (const struct fake_regs *)(const void *)regs;
}

int
rt_arch_getregs(pid_t tid, struct rt_regs *regs)
{
	if (tid == gone_pid)
		return -ESRCH;
	memset(regs, 0, sizeof(*regs));
	F(regs)->pc = stop_pc;
	F(regs)->ret = (uint64_t)kernel_ret;
	return 0;
}

int
rt_arch_setregs(pid_t tid, const struct rt_regs *regs)
{
	(void)regs;
	return tid == gone_pid ? -ESRCH : 0;
}

int
rt_arch_check_syscall_insn(pid_t tid, const struct rt_regs *saved)
{
	(void)tid;
	(void)saved;
	return 0;
}

void
rt_arch_setup_call(struct rt_regs *regs, const struct rt_regs *saved,
		   long nr, const uint64_t args[6])
{
	*regs = *saved;
	F(regs)->nr = (uint64_t)nr;
	F(regs)->arg0 = args[0];
	F(regs)->pc = CF(saved)->pc - 2;
}

long rt_arch_retval(const struct rt_regs *regs) { return (long)CF(regs)->ret; }

void
rt_arch_finish(struct rt_regs *regs, const struct rt_regs *saved, long v)
{
	*regs = *saved;
	F(regs)->ret = (uint64_t)v;
}

void
rt_arch_restart(struct rt_regs *regs, const struct rt_regs *saved, long nr)
{
	*regs = *saved;
	F(regs)->ret = (uint64_t)nr;
}

bool rt_arch_is_native(const struct rt_regs *regs) { (void)regs; return true; }
long rt_arch_syscall_nr(const struct rt_regs *r) { return (long)CF(r)->nr; }
long rt_arch_retreg(const struct rt_regs *regs) { return (long)CF(regs)->ret; }
uint64_t rt_arch_pc(const struct rt_regs *regs) { return CF(regs)->pc; }
void rt_arch_set_pc(struct rt_regs *regs, uint64_t pc) { F(regs)->pc = pc; }
uint64_t rt_arch_sp(const struct rt_regs *regs) { return CF(regs)->sp; }

/* The per-ABI register work: only for a foreign ABI, never here. */
int
rt_arch_abi_check_insn(const struct rt_arch *abi, pid_t tid,
		       const struct rt_regs *saved)
{
	(void)abi, (void)tid, (void)saved;
	tap_bail("a native call reached the per-ABI code");
}

int
rt_arch_abi_setup_call(const struct rt_arch *abi, struct rt_regs *regs,
		       const struct rt_regs *saved, long nr,
		       const uint64_t args[6])
{
	(void)abi, (void)regs, (void)saved, (void)nr, (void)args;
	tap_bail("a native call reached the per-ABI code");
}

long
rt_arch_abi_retval(const struct rt_arch *abi, const struct rt_regs *regs)
{
	(void)abi, (void)regs;
	tap_bail("a native call reached the per-ABI code");
}

int
rt_arch_abi_finish(const struct rt_arch *abi, struct rt_regs *regs,
		   const struct rt_regs *saved, long retval)
{
	(void)abi, (void)regs, (void)saved, (void)retval;
	tap_bail("a native call reached the per-ABI code");
}

int
rt_arch_abi_restart(const struct rt_arch *abi, struct rt_regs *regs,
		    const struct rt_regs *saved, long nr)
{
	(void)abi, (void)regs, (void)saved, (void)nr;
	tap_bail("a native call reached the per-ABI code");
}

/* ---- wait statuses, as waitpid(2) gives them ---- */

#define STOPPED(sig, event)	(((event) << 16) | ((sig) << 8) | 0x7f)
#define ST_INTERRUPT	STOPPED(SIGTRAP, PTRACE_EVENT_STOP)
#define ST_GROUP_STOP	STOPPED(SIGSTOP, PTRACE_EVENT_STOP)
#define ST_SYSCALL	STOPPED(SIGTRAP | 0x80, 0)
#define ST_SIGNAL(sig)	STOPPED(sig, 0)
#define ST_EXEC		STOPPED(SIGTRAP, PTRACE_EVENT_EXEC)
#define ST_EXITED(code)	((code) << 8)

/* ---- a job kind that runs two calls and records what it saw ---- */

struct two {
	struct rt_job job;
	int resumed;		/* times resume() ran */
	int errs[4];		/* job->err at each */
	long rets[2];		/* the calls' results */
	bool ended;
};

static void
two_resume(struct rt_ctx *ctx, struct rt_job *job)
{
	struct two *t = (struct two *)job;
	struct rt_sys s = { .nr = 9 };

	(void)ctx;
	t->errs[t->resumed++ & 3] = job->err;
	if (job->err) {
		if (job->in.stopped)
			rt_inject_end(&job->in, 0);
		t->ended = true;
		job->wait = RT_JOB_END;
		return;
	}
	switch (job->step++) {
	case -1:	/* after a freeze: catch the caller first */
		rt_job_catch(job, job->tgid, false);
		return;
	case 0:		/* caught: the first call */
		rt_job_call(job, &s);
		return;
	case 1:
		t->rets[0] = job->ret;
		s.nr = 11;
		rt_job_call(job, &s);
		return;
	default:
		t->rets[1] = job->ret;
		rt_inject_end(&job->in, 0);
		t->ended = true;
		job->wait = RT_JOB_END;
		return;
	}
}

static const struct rt_job_kind two_kind = { "two", two_resume, NULL };

/* Each case's job; freed by the engine, so its record is copied out. */
static struct two seen;

static void
two_release(struct rt_job *job)
{
	seen = *(struct two *)job;
}

static const struct rt_job_kind two_kind_rec = { "two", two_resume,
						 two_release };

static struct two *
start_two(struct rt_ctx *ctx, pid_t tid, bool step)
{
	struct two *t = calloc(1, sizeof(*t));

	if (!t)
		tap_bail("out of memory");
	memset(&seen, 0, sizeof(seen));
	t->job.kind = &two_kind_rec;
	t->job.tgid = tid;
	rt_job_catch(&t->job, tid, step);
	rt_job_start(ctx, &t->job);
	return t;
}

/* How many ops of kind @req on @pid were made. */
static int
count(long req, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < nops; i++)
		n += oplog[i].req == req && oplog[i].pid == pid;
	return n;
}

static void
test_two_calls_with_interleaving(void)
{
	struct rt_ctx ctx = { .epfd = -1 };
	struct two *t;

	reset();
	t = start_two(&ctx, 100, false);
	is_int(RT_JOB_STOP, t->job.wait, "caught: waits for the thread's stop");
	is_int(RT_JOB_NOT_MINE, rt_job_status(&ctx, 200, ST_INTERRUPT),
	       "another thread's stop is the loop's");
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_INTERRUPT),
	       "its interrupt stop is the job's");
	is_int(1, count(PTRACE_SYSCALL, 100),
	       "the first call is armed with PTRACE_SYSCALL");
	ok(t->job.calling, "and runs");
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_SYSCALL),
	       "syscall-entry stop taken");
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_GROUP_STOP),
	       "a group stop in the middle of the call is taken");
	ok(t->job.in.group_stop, "and remembered, to stop again on resume");
	is_int(1, t->resumed, "the kind is not resumed before the call ends");
	kernel_ret = 0x7000;
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_SYSCALL),
	       "syscall-exit stop taken");
	is_u64(0x7000, (uint64_t)t->rets[0], "the call's result reaches the kind");
	kernel_ret = -22;
	rt_job_status(&ctx, 100, ST_SYSCALL);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	ok(ctx.job == NULL, "after the second call the job is done and freed");
	ok(seen.ended, "it ended by itself");
	is_int(-22, (int)seen.rets[1], "with the second call's result");
	is_int(1, count(-1, 100), "the group stop is given back (tgkill SIGSTOP)");
	is_int(1, count(PTRACE_CONT, 100), "the thread is resumed once");
	is_int(RT_JOB_NOT_MINE, rt_job_status(&ctx, 100, ST_SYSCALL),
	       "with no job, every status is the loop's");
}

static void
test_thread_dies_mid_call(void)
{
	struct rt_ctx ctx = { .epfd = -1 };

	reset();
	start_two(&ctx, 100, false);
	rt_job_status(&ctx, 100, ST_INTERRUPT);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	is_int(RT_JOB_LOST, rt_job_status(&ctx, 100, ST_EXITED(0)),
	       "its exit: the loop handles the status, then runs the job");
	ok(ctx.job != NULL, "not resumed before the loop's bookkeeping");
	rt_job_run(&ctx);
	ok(ctx.job == NULL, "then it ends");
	is_int(-ESRCH, seen.errs[1], "seeing -ESRCH");
	is_int(0, count(PTRACE_CONT, 100), "and nothing resumes a dead thread");
}

static void
test_exec_under_its_id(void)
{
	struct rt_ctx ctx = { .epfd = -1 };

	reset();
	start_two(&ctx, 100, false);
	rt_job_status(&ctx, 100, ST_INTERRUPT);
	is_int(RT_JOB_LOST, rt_job_status(&ctx, 100, ST_EXEC),
	       "an exec under its id (another thread's) ends the call");
	rt_job_run(&ctx);
	is_int(-ESRCH, seen.errs[1], "the job sees -ESRCH");
}

static void
test_gone_before_its_stop(void)
{
	struct rt_ctx ctx = { .epfd = -1 };

	reset();
	start_two(&ctx, 100, false);
	gone_pid = 100;
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_INTERRUPT),
	       "a stop whose registers cannot be read");
	ok(ctx.job == NULL, "ends the job at once");
	is_int(-ESRCH, seen.errs[0], "with the error");
}

static void
test_single_step(void)
{
	struct rt_ctx ctx = { .epfd = -1 };
	struct two *t;

	reset();
	t = start_two(&ctx, 100, true);
	rt_job_status(&ctx, 100, ST_INTERRUPT);
	is_int(1, count(PTRACE_SINGLESTEP, 100), "single-stepped call armed");
	/* A signal that was pending before the call: pc still on it. */
	stop_pc = 0x1000 - 2;
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 100, ST_SIGNAL(SIGUSR1)),
	       "a signal before the step is stepped over");
	is_int(SIGUSR1, t->job.in.deliver, "and delivered after the call");
	is_int(2, count(PTRACE_SINGLESTEP, 100), "stepped again");
	stop_pc = 0x1000;
	kernel_ret = 42;
	rt_job_status(&ctx, 100, ST_SIGNAL(SIGTRAP));
	is_int(42, (int)t->rets[0],
	       "the step's SIGTRAP past the instruction ends the call");
	rt_job_status(&ctx, 100, ST_SIGNAL(SIGTRAP));
	ok(ctx.job == NULL, "two calls, one stop each");
	ok(oplog[nops - 1].req == PTRACE_CONT && oplog[nops - 1].data == SIGUSR1,
	   "resumed with the signal it met");
}

static void
test_freeze_one_exits(void)
{
	struct rt_task tasks[3] = {
		{ 100, 100, true }, { 101, 100, true }, { 102, 100, true },
	};
	struct rt_ctx ctx = { .epfd = -1 };
	struct two *t;

	reset();
	ctx.tr.procs.t = tasks;
	ctx.tr.procs.n = 3;
	t = calloc(1, sizeof(*t));
	if (!t)
		tap_bail("out of memory");
	t->job.kind = &two_kind_rec;
	t->job.tgid = 100;
	t->job.step = -1;
	is_int(2, (int)rt_freeze_others(&t->job.freeze, &ctx.tr.procs, 100, 100),
	       "the two other threads are interrupted");
	t->job.wait = RT_JOB_FROZEN;
	rt_job_start(&ctx, &t->job);
	is_int(RT_JOB_NOT_MINE, rt_job_status(&ctx, 100, ST_INTERRUPT),
	       "the caller's own stop is not a frozen one");
	is_int(RT_JOB_TOOK, rt_job_status(&ctx, 101, ST_SIGNAL(SIGUSR2)),
	       "a frozen thread's stop is kept");
	is_int(RT_JOB_FROZEN, t->job.wait, "one still to come");
	is_int(RT_JOB_LOST, rt_job_status(&ctx, 102, ST_EXITED(0)),
	       "the other exits: its status is the loop's");
	rt_job_run(&ctx);
	is_int(RT_JOB_STOP, t->job.wait, "then the job goes on (to its call)");
	rt_job_status(&ctx, 100, ST_INTERRUPT);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	rt_job_status(&ctx, 100, ST_SYSCALL);
	ok(ctx.job == NULL, "done");
	is_int(1, count(PTRACE_CONT, 101), "the frozen thread is thawed");
	ok(oplog[nops - 1].pid == 101 && oplog[nops - 1].data == SIGUSR2,
	   "with the signal it stopped with");
	is_int(0, count(PTRACE_CONT, 102), "the one that exited is not");
}

int
main(void)
{
	(void)two_kind;
	test_two_calls_with_interleaving();
	test_thread_dies_mid_call();
	test_exec_under_its_id();
	test_gone_before_its_stop();
	test_single_step();
	test_freeze_one_exits();
	return tap_done();
}
