/* stack.c - unwind a ptrace-stopped tracee thread remotely
 * (libunwind-ptrace) for -k, naming each frame's function and module.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <libunwind-ptrace.h>

#include "rt_maps.h"
#include "rt_stack.h"
#include "rt_util.h"

/* /proc/TID/maps as one NUL-terminated string (the caller frees it). */
static char *
read_maps(pid_t tid)
{
	_cleanup_close_ int fd = -1;
	char path[64], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/maps", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * The mapped file containing @pc: its path and @pc's offset in that file,
 * which is what strace -k prints in brackets (it stays the same from run
 * to run, unlike the address under ASLR).
 */
static void
find_module(const char *maps, struct rt_frame *fr)
{
	const char *line = maps;
	struct rt_vma v;

	while (line && *line) {
		if (rt_maps_parse_line(line, &v) == 0 &&
		    fr->pc >= v.start && fr->pc < v.end) {
			if (v.ino) {
				snprintf(fr->module, sizeof(fr->module), "%s",
					 v.name);
				fr->rel = fr->pc - v.start + v.offset;
			}
			return;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
}

/*
 * Walk the frames.  The first pc is where the thread stopped, just past
 * the syscall instruction; later ones are return addresses.  A pc that
 * does not change (a broken frame chain) ends the walk.
 */
static int
walk(unw_addr_space_t as, void *upt, const char *maps, struct rt_stack *st)
{
	unw_cursor_t cur;
	unw_word_t pc, off, prev = 0;
	int r;

	r = unw_init_remote(&cur, as, upt);
	if (r < 0)
		return -EIO;
	do {
		struct rt_frame *fr = &st->f[st->n];

		if (unw_get_reg(&cur, UNW_REG_IP, &pc) < 0 || pc == 0 ||
		    (st->n && pc == prev))
			break;
		memset(fr, 0, sizeof(*fr));
		fr->pc = pc;
		if (unw_get_proc_name(&cur, fr->func, sizeof(fr->func),
				      &off) == 0)
			fr->off = off;
		else
			fr->func[0] = '\0';
		if (maps)
			find_module(maps, fr);
		st->n++;
		prev = pc;
	} while (st->n < RT_STACK_MAX && unw_step(&cur) > 0);
	return st->n ? 0 : -EIO;
}

/**
 * rt_stack_capture() - the call stack of the ptrace-stopped thread @tid.
 * @tid: a thread in a ptrace-stop of ours.
 * @st: out: up to RT_STACK_MAX frames, innermost first.
 *
 * A fresh address space is made for every capture: libunwind caches
 * unwind tables per address space, and those go stale when the mappings
 * change, which is what remap_file_pages and exec do; different tracees
 * have different layouts too.  An unwind costs far more than creating
 * the space.
 *
 * Return: 0, -ENOMEM, or -EIO when not even the first frame could be read
 * (the thread is not stopped, or vanished).
 */
int
rt_stack_capture(pid_t tid, struct rt_stack *st)
{
	_cleanup_free_ char *maps = NULL;
	unw_addr_space_t as;
	void *upt;
	int r;

	st->n = 0;
	as = unw_create_addr_space(&_UPT_accessors, 0);
	if (!as)
		return -ENOMEM;
	upt = _UPT_create(tid);
	if (!upt) {
		unw_destroy_addr_space(as);
		return -ENOMEM;
	}
	maps = read_maps(tid);
	r = walk(as, upt, maps, st);
	_UPT_destroy(upt);
	unw_destroy_addr_space(as);
	return r;
}

/* Read one word of @word_bytes (4 or 8) at @addr of @tid. */
static int
peek_word(pid_t tid, uint64_t addr, unsigned int word_bytes, uint64_t *val)
{
	uint32_t w32 = 0;
	uint64_t w64 = 0;
	struct iovec local = {
		.iov_base = word_bytes == 4 ? (void *)&w32 : (void *)&w64,
		.iov_len = word_bytes,
	};
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr,
				.iov_len = word_bytes };

	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)word_bytes)
		return -EFAULT;
	*val = word_bytes == 4 ? w32 : w64;
	return 0;
}

/* Is @pc in an executable mapping of a file (per @maps)? */
static bool
in_code(const char *maps, uint64_t pc)
{
	const char *line = maps;
	struct rt_vma v;

	while (line && *line) {
		if (rt_maps_parse_line(line, &v) == 0 && pc >= v.start &&
		    pc < v.end)
			return (v.flags & RT_VM_EXEC) && (v.ino || v.name[0]);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/*
 * Does a call instruction end just before @ret?  e8 rel32 (5 bytes), or
 * ff /2 through a register, memory or a displacement (2, 3, 6 or 7
 * bytes): what a return address on the stack follows.
 */
static bool
after_call(pid_t tid, uint64_t ret)
{
	unsigned char b[8];
	struct iovec local = { .iov_base = b, .iov_len = sizeof(b) };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)(ret - 8),
				.iov_len = sizeof(b) };
	static const unsigned int lens[] = { 2, 3, 6, 7 };
	unsigned int i;

	if (ret < 8 || process_vm_readv(tid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)sizeof(b))
		return false;
	if (b[3] == 0xe8)
		return true;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned char op = b[8 - lens[i]], modrm = b[9 - lens[i]];

		if (op == 0xff && ((modrm >> 3) & 7) == 2)
			return true;
	}
	return false;
}

int
rt_stack_capture_scan(pid_t tid, uint64_t pc, uint64_t sp,
		      unsigned int word_bytes, struct rt_stack *st)
{
	_cleanup_free_ char *maps = read_maps(tid);
	uint64_t at, ret;

	st->n = 0;
	if (!pc)
		return -EIO;
	memset(&st->f[0], 0, sizeof(st->f[0]));
	st->f[0].pc = pc;
	if (maps)
		find_module(maps, &st->f[0]);
	st->n = 1;
	/*
	 * Then every word of the stack that is a return address: it points
	 * into code, just after a call instruction.  A stale one from an
	 * earlier call may slip in; none that is not a return address can.
	 */
	for (at = sp; maps && st->n < RT_STACK_MAX &&
		      at < sp + RT_STACK_SCAN_BYTES; at += word_bytes) {
		struct rt_frame *fr = &st->f[st->n];

		if (peek_word(tid, at, word_bytes, &ret) < 0)
			break;
		if (!in_code(maps, ret) || !after_call(tid, ret))
			continue;
		memset(fr, 0, sizeof(*fr));
		fr->pc = ret;
		find_module(maps, fr);
		st->n++;
	}
	return 0;
}
