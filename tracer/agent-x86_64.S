/* agent-x86_64.S - the code of the agent (agent.c), copied into the tracee.
 *
 * Never executed in remaptrace itself: it is data, placed in .rodata, that
 * agent.c copies to the first of two pages it maps in the tracee.  The
 * second page, at +4096, holds the data (RT_AGENT_D_* in rt_agent.h).
 * Every access to it is RIP-relative, so the code runs wherever the pages
 * land.  The code uses no stack (rsp points into the data page all the
 * same) and keeps every signal blocked: only SIGKILL stops it.
 *
 * Descriptors (its own table, filled by the supervisor):
 *   3  its end of a socket pair, for descriptors only (SCM_RIGHTS)
 *   4  the read end of the request pipe
 *   7  the write end of the result pipe
 *   8+ files to map
 * Each request (RT_AGENT_D_REQ, 72 bytes) is one system call to run, an
 * optional descriptor (waiting on the socket) to move into a slot, and
 * flags that chain it to the request before (RT_AGENT_F_*).  The
 * call's raw return goes back on the result pipe.  It never holds the
 * seccomp listener nor anything else of the supervisor's: it shares the
 * program's memory, so whatever it holds, the program holds.  Pipes, not the socket, carry the
 * requests: a pipe round trip costs 5.2 us here, a socket's 8.4 us.  End
 * of file on the request pipe (the supervisor is gone) ends it.
 */
#include "rt_agent.h"

	/* The data page follows the code page: agent.c maps them at
	 * base and base + page size, and x86_64's base page is always
	 * 4 KiB (the architecture has no other). */
	.set	DATA, 4096
	.set	D_TOKEN, DATA + RT_AGENT_D_TOKEN
	.set	D_MASK, DATA + RT_AGENT_D_MASK
	.set	D_ROOT, DATA + RT_AGENT_D_ROOT
	.set	D_NAME, DATA + RT_AGENT_D_NAME
	.set	D_MSG, DATA + RT_AGENT_D_MSG		/* struct msghdr */
	.set	D_MSG_CTLLEN, D_MSG + 40
	.set	D_CTL, DATA + RT_AGENT_D_CTL		/* cmsg: fd at +16 */
	.set	D_REQ, DATA + RT_AGENT_D_REQ
	.set	D_RESULT, DATA + RT_AGENT_D_RESULT
	.set	D_BASE, DATA + RT_AGENT_D_BASE

	.section .rodata
	.balign	16
	.globl	rt_agent_code, rt_agent_code_end
rt_agent_code:
	/*
	 * Offset 0: the injected clone(CLONE_VM|CLONE_FILES|CLONE_UNTRACED).
	 * The caller stops right after it (single-step or syscall-exit stop)
	 * and is given its registers back; only the child runs on from here.
	 */
	syscall
	/* A descriptor table of its own, empty, never a copy of the
	 * program's (a copy would hold its pipes open). */
	mov	$436, %eax		/* close_range */
	xor	%edi, %edi
	mov	$-1, %esi
	mov	$2, %edx		/* CLOSE_RANGE_UNSHARE */
	syscall
	mov	$14, %eax		/* rt_sigprocmask(SIG_SETMASK, all) */
	mov	$2, %edi
	lea	(rt_agent_code + D_MASK)(%rip), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	syscall
	mov	$112, %eax		/* setsid: out of the terminal's jobs */
	syscall
	mov	$80, %eax		/* chdir("/"): pin no directory */
	lea	(rt_agent_code + D_ROOT)(%rip), %rdi
	syscall
	mov	$157, %eax		/* prctl(PR_SET_NAME, "rt-agent") */
	mov	$15, %edi
	lea	(rt_agent_code + D_NAME)(%rip), %rsi
	syscall
	/*
	 * remap_file_pages(MAGIC, token): the filter sends it to the
	 * supervisor, which installs the socket at 3 (NOTIF_ADDFD) and
	 * answers 1; anything else (ENOSYS once remaptrace is gone) ends us.
	 */
	mov	$216, %eax
	movabs	$RT_AGENT_MAGIC, %rdi
	mov	(rt_agent_code + D_TOKEN)(%rip), %rsi
	xor	%edx, %edx
	syscall
	cmp	$1, %rax
	jne	.Lout
.Lloop:
	mov	$0, %eax		/* read(REQ_PIPE, req, 80) */
	mov	$RT_AGENT_REQ, %edi
	lea	(rt_agent_code + D_REQ)(%rip), %rsi
	mov	$RT_AGENT_R_SIZE, %edx
	syscall
	cmp	$RT_AGENT_R_SIZE, %rax
	jne	.Lout			/* end of file, or a broken request */
	cmpq	$0, (rt_agent_code + D_REQ + RT_AGENT_R_SLOT)(%rip)
	je	.Lcall
	/* A descriptor waits on the socket: take it, dup2() it into its
	 * slot, close the original. */
	movq	$RT_AGENT_D_CTL_SIZE, (rt_agent_code + D_MSG_CTLLEN)(%rip)
	mov	$47, %eax		/* recvmsg(SOCK, msg, 0) */
	mov	$RT_AGENT_SOCK, %edi
	lea	(rt_agent_code + D_MSG)(%rip), %rsi
	xor	%edx, %edx
	syscall
	cmp	$1, %rax
	jne	.Lout
	cmpq	$0, (rt_agent_code + D_MSG_CTLLEN)(%rip)
	je	.Lout
	mov	$33, %eax
	movslq	(rt_agent_code + D_CTL + 16)(%rip), %rdi
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_SLOT)(%rip), %rsi
	syscall
	mov	$3, %eax
	movslq	(rt_agent_code + D_CTL + 16)(%rip), %rdi
	syscall
.Lcall:
	/*
	 * RT_AGENT_F_CHAIN: after a failed request, fail too (its -errno
	 * again), without running; RT_AGENT_F_CHAIN_BASE: the same when the
	 * base is an -errno; RT_AGENT_F_SAVE: keep the result as the
	 * base (an address mremap chose); RT_AGENT_F_ARG0_BASE: the first
	 * argument is relative to the base.
	 */
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_FLAGS)(%rip), %r11
	mov	(rt_agent_code + D_BASE)(%rip), %rax
	test	$RT_AGENT_F_CHAIN_BASE, %r11
	jz	0f
	cmp	$-4095, %rax
	jae	.Lreport		/* the base is an errno: it again */
0:
	mov	(rt_agent_code + D_RESULT)(%rip), %rax
	test	$RT_AGENT_F_CHAIN, %r11
	jz	1f
	cmp	$-4095, %rax
	jae	.Lreport		/* unsigned: -4095..-1, an errno */
1:
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS)(%rip), %rdi
	test	$RT_AGENT_F_ARG0_BASE, %r11
	jz	2f
	add	(rt_agent_code + D_BASE)(%rip), %rdi
2:
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_NR)(%rip), %rax
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS + 8)(%rip), %rsi
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS + 16)(%rip), %rdx
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS + 24)(%rip), %r10
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS + 32)(%rip), %r8
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_ARGS + 40)(%rip), %r9
	syscall
	mov	(rt_agent_code + D_REQ + RT_AGENT_R_FLAGS)(%rip), %r11
	test	$RT_AGENT_F_SAVE, %r11
	jz	.Lreport
	mov	%rax, (rt_agent_code + D_BASE)(%rip)
.Lreport:
	mov	%rax, (rt_agent_code + D_RESULT)(%rip)
	/* The raw result goes back; the supervisor answers the caller. */
	mov	$1, %eax		/* write(RES_PIPE, &result, 8) */
	mov	$RT_AGENT_RES, %edi
	lea	(rt_agent_code + D_RESULT)(%rip), %rsi
	mov	$8, %edx
	syscall
	jmp	.Lloop
.Lout:
	mov	$60, %eax		/* exit(0) */
	xor	%edi, %edi
	syscall
	ud2
rt_agent_code_end:

	.section .note.GNU-stack, "", @progbits
