/* siginfo.c - a delivered signal's siginfo in strace's words:
 * `{si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7f0000001000}`.
 *
 * Pure formatting: the siginfo comes from PTRACE_GETSIGINFO (report.c).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include "rt_names.h"
#include "rt_report.h"
#include "rt_util.h"

/* The generic codes (si_code <= 0, SI_KERNEL), include/uapi/asm-generic/
 * siginfo.h. */
static const char *
generic_code(int code)
{
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TIMER: return "SI_TIMER";
	case SI_MESGQ: return "SI_MESGQ";
	case SI_ASYNCIO: return "SI_ASYNCIO";
	case SI_SIGIO: return "SI_SIGIO";
	case SI_TKILL: return "SI_TKILL";
	case -7: return "SI_DETHREAD";
	case SI_ASYNCNL: return "SI_ASYNCNL";
	default: return NULL;
	}
}

/* The codes of one signal, from 1 (asm-generic/siginfo.h). */
static const char *
signal_code(int sig, int code)
{
	static const char *const ill[] = { NULL, "ILL_ILLOPC", "ILL_ILLOPN",
		"ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
		"ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR" };
	static const char *const fpe[] = { NULL, "FPE_INTDIV", "FPE_INTOVF",
		"FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
		"FPE_FLTINV", "FPE_FLTSUB", "FPE_DECOVF", "FPE_DECDIV",
		"FPE_DECERR", "FPE_INVASC", "FPE_INVDEC", "FPE_FLTUNK",
		"FPE_CONDTRAP" };
	static const char *const segv[] = { NULL, "SEGV_MAPERR",
		"SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR", "SEGV_ACCADI",
		"SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR",
		"SEGV_CPERR" };
	static const char *const bus[] = { NULL, "BUS_ADRALN", "BUS_ADRERR",
		"BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO" };
	static const char *const trap[] = { NULL, "TRAP_BRKPT", "TRAP_TRACE",
		"TRAP_BRANCH", "TRAP_HWBKPT", "TRAP_UNK", "TRAP_PERF" };
	static const char *const chld[] = { NULL, "CLD_EXITED", "CLD_KILLED",
		"CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED" };
	static const char *const poll[] = { NULL, "POLL_IN", "POLL_OUT",
		"POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP" };
	static const char *const sys[] = { NULL, "SYS_SECCOMP",
		"SYS_USER_DISPATCH" };
	const char *const *t;
	size_t n;

#define TABLE(a) do { t = (a); n = ARRAY_SIZE(a); } while (0)
	switch (sig) {
	case SIGILL: TABLE(ill); break;
	case SIGFPE: TABLE(fpe); break;
	case SIGSEGV: TABLE(segv); break;
	case SIGBUS: TABLE(bus); break;
	case SIGTRAP: TABLE(trap); break;
	case SIGCHLD: TABLE(chld); break;
	case SIGPOLL: TABLE(poll); break;
	case SIGSYS: TABLE(sys); break;
	default: return NULL;
	}
#undef TABLE
	return code > 0 && (size_t)code < n ? t[code] : NULL;
}

bool
rt_siginfo_is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP;
}

const char *
rt_siginfo_code(const siginfo_t *si)
{
	if (si->si_code <= 0 || si->si_code == SI_KERNEL)
		return generic_code(si->si_code);
	return signal_code(si->si_signo, si->si_code);
}

static void
put_signal(FILE *f, int sig)
{
	const char *n = rt_names_signal(sig);

	if (n)
		fputs(n, f);
	else
		fprintf(f, "%d", sig);
}

/* strace prints a null pointer as NULL. */
static void
put_ptr(FILE *f, const void *p)
{
	if (p)
		fprintf(f, "%#" PRIxPTR, (uintptr_t)p);
	else
		fputs("NULL", f);
}

static void
put_value(FILE *f, const siginfo_t *si)
{
	fprintf(f, ", si_value={int=%d, ptr=", si->si_value.sival_int);
	put_ptr(f, si->si_value.sival_ptr);
	fputc('}', f);
}

static void
put_child(FILE *f, const siginfo_t *si)
{
	fprintf(f, ", si_pid=%d, si_uid=%u, si_status=", si->si_pid,
		si->si_uid);
	if (si->si_code == CLD_EXITED)
		fprintf(f, "%d", si->si_status);
	else
		put_signal(f, si->si_status);
	fprintf(f, ", si_utime=%ld, si_stime=%ld", (long)si->si_utime,
		(long)si->si_stime);
}

/* The fields that follow si_code, chosen as the kernel fills them
 * (kernel/signal.c: siginfo_layout()). */
static void
put_fields(FILE *f, const siginfo_t *si)
{
	int code = si->si_code;

	switch (code) {
	case SI_USER:
	case SI_TKILL:
		fprintf(f, ", si_pid=%d, si_uid=%u", si->si_pid, si->si_uid);
		return;
	case SI_QUEUE:
	case SI_MESGQ:
		fprintf(f, ", si_pid=%d, si_uid=%u", si->si_pid, si->si_uid);
		put_value(f, si);
		return;
	case SI_TIMER:
		fprintf(f, ", si_timerid=%#x, si_overrun=%d", si->si_timerid,
			si->si_overrun);
		put_value(f, si);
		return;
	}
	if (code < 0)
		return;
	if (rt_siginfo_is_fault(si->si_signo)) {
		/* SI_KERNEL too: a general protection fault has si_addr 0. */
		fputs(", si_addr=", f);
		put_ptr(f, si->si_addr);
		return;
	}
	if (code == SI_KERNEL)
		return;
	switch (si->si_signo) {
	case SIGCHLD:
		put_child(f, si);
		return;
	case SIGPOLL:
		fprintf(f, ", si_band=%ld, si_fd=%d", si->si_band, si->si_fd);
		return;
	case SIGSYS:
		fputs(", si_call_addr=", f);
		put_ptr(f, si->si_call_addr);
		fprintf(f, ", si_syscall=%d, si_arch=%#x", si->si_syscall,
			si->si_arch);
		return;
	}
}

void
rt_siginfo_text(FILE *f, const siginfo_t *si)
{
	const char *code = rt_siginfo_code(si);

	fputs("{si_signo=", f);
	put_signal(f, si->si_signo);
	if (code)
		fprintf(f, ", si_code=%s", code);
	else
		fprintf(f, ", si_code=%d", si->si_code);
	put_fields(f, si);
	fputc('}', f);
}
