/* agent-x86_64.S - the code of the agent (agent.c), copied into the tracee.
 *
 * Never executed in remaptrace itself: it is data, placed in .rodata, that
 * agent.c copies to the first of two pages it maps in the tracee.  The
 * second page, at +4096, holds the data below.  Every access to it is
 * RIP-relative, so the code runs wherever the pages land.  The code uses
 * no stack (rsp is set into the data page all the same) and keeps every
 * signal blocked, so nothing but SIGKILL interrupts it.
 *
 * Data page (RT_AGENT_D_* in rt_agent.h):
 *   +0   token: identifies this agent's notifications
 *   +8   nr, +16..+56 args[0..5]: the call the supervisor asks for
 *   +64  an all-ones signal mask
 *   +72  "/"
 *   +80  "rt-agent": its name in ps and /proc (PR_SET_NAME)
 */
	.set	DATA, 4096
	.set	MAGIC, 0x7274616765ab0000	/* RT_AGENT_MAGIC */

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
	lea	(rt_agent_code + DATA + 64)(%rip), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	syscall
	mov	$112, %eax		/* setsid: out of the terminal's jobs */
	syscall
	mov	$80, %eax		/* chdir("/"): pin no directory */
	lea	(rt_agent_code + DATA + 72)(%rip), %rdi
	syscall
	mov	$157, %eax		/* prctl(PR_SET_NAME, "rt-agent") */
	mov	$15, %edi
	lea	(rt_agent_code + DATA + 80)(%rip), %rsi
	syscall
	xor	%edx, %edx
.Lwait:
	/*
	 * remap_file_pages(MAGIC, token, last result): the filter sends it
	 * to the supervisor, which answers 1 when the data page holds the
	 * next call; anything else (ENOSYS once remaptrace is gone) ends us.
	 */
	mov	$216, %eax
	movabs	$MAGIC, %rdi
	mov	(rt_agent_code + DATA)(%rip), %rsi
	syscall
	cmp	$1, %rax
	jne	.Lout
	mov	(rt_agent_code + DATA + 8)(%rip), %rax
	mov	(rt_agent_code + DATA + 16)(%rip), %rdi
	mov	(rt_agent_code + DATA + 24)(%rip), %rsi
	mov	(rt_agent_code + DATA + 32)(%rip), %rdx
	mov	(rt_agent_code + DATA + 40)(%rip), %r10
	mov	(rt_agent_code + DATA + 48)(%rip), %r8
	mov	(rt_agent_code + DATA + 56)(%rip), %r9
	syscall
	mov	%rax, %rdx
	jmp	.Lwait
.Lout:
	mov	$60, %eax		/* exit(0) */
	xor	%edi, %edi
	syscall
	ud2
rt_agent_code_end:

	.section .note.GNU-stack, "", @progbits
