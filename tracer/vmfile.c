/* vmfile.c - which open file each mapping of a process maps, read from
 * outside it by a BPF task_vma iterator (root only).
 *
 * The kernel spans mappings of one open file only (vma->vm_file), and
 * nothing in /proc says which open file a mapping maps: kcmp(2) compares
 * descriptors, and a mapping need not have one.  A task_vma iterator
 * (Linux 5.12; the per-process filter 6.1) visits the process's VMAs
 * under its mmap lock and can read vm_file.  The program below writes
 * (vm_start, vm_end, vm_file) per VMA; the pointer is used only to tell
 * open files apart, within this one read.  Loading it needs CAP_BPF and
 * CAP_PERFMON (to read a kernel pointer) and a kernel with BTF
 * (/sys/kernel/btf/vmlinux) for the offsets in struct vm_area_struct.
 * The process is neither stopped nor traced.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt_util.h"
#include "rt_vmfile.h"

/* include/uapi/linux/btf.h, the parts read here */
struct btf_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};

struct btf_type {
	uint32_t name_off;
	uint32_t info;		/* vlen 0-15, kind 24-28, kind_flag 31 */
	uint32_t size_type;
};

struct btf_member {
	uint32_t name_off;
	uint32_t type;
	uint32_t offset;	/* bits; with kind_flag, 24 low bits */
};

enum {
	KIND_INT = 1, KIND_PTR, KIND_ARRAY, KIND_STRUCT, KIND_UNION,
	KIND_ENUM, KIND_FWD, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST,
	KIND_RESTRICT, KIND_FUNC, KIND_FUNC_PROTO, KIND_VAR, KIND_DATASEC,
	KIND_FLOAT, KIND_DECL_TAG, KIND_TYPE_TAG, KIND_ENUM64,
};

#define BTF_MAGIC	0xeb9f
#define KIND(t)		(((t)->info >> 24) & 0x1f)
#define VLEN(t)		((t)->info & 0xffff)
#define KFLAG(t)	((t)->info >> 31)

struct btf {
	char *raw;
	size_t len;
	const char *strs;
	uint32_t str_len;
	const struct btf_type **types;	/* by id, from 1 */
	uint32_t n;
};

/* Bytes after struct btf_type for each kind. */
static size_t
extra(const struct btf_type *t)
{
	switch (KIND(t)) {
	case KIND_INT: case KIND_VAR: case KIND_DECL_TAG: return 4;
	case KIND_ARRAY: return 12;
	case KIND_STRUCT: case KIND_UNION: case KIND_DATASEC:
		return VLEN(t) * 12;
	case KIND_ENUM: case KIND_FUNC_PROTO: return VLEN(t) * 8;
	case KIND_ENUM64: return VLEN(t) * 12;
	default: return 0;
	}
}

static int
btf_load(struct btf *b)
{
	_cleanup_close_ int fd = open("/sys/kernel/btf/vmlinux",
				      O_RDONLY | O_CLOEXEC);
	const struct btf_header *h;
	size_t cap = 1 << 23, off, end;
	ssize_t n;

	if (fd < 0)
		return rt_neg_errno();
	b->raw = malloc(cap);
	if (!b->raw)
		return -ENOMEM;
	while ((n = read(fd, b->raw + b->len, cap - b->len)) > 0) {
		b->len += n;
		if (b->len == cap) {
			char *nr = realloc(b->raw, cap *= 2);

			if (!nr)
				return -ENOMEM;
			b->raw = nr;
		}
	}
	h = (const struct btf_header *)b->raw;
	if (n < 0 || b->len < sizeof(*h) || h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > b->len ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > b->len)
		return -EPROTO;
	b->strs = b->raw + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	off = h->hdr_len + h->type_off;
	end = off + h->type_len;
	/* one pass to count, one to index */
	for (int pass = 0; pass < 2; pass++) {
		size_t o = off;
		uint32_t id = 0;

		while (o + sizeof(struct btf_type) <= end) {
			const struct btf_type *t = (const void *)(b->raw + o);

			if (pass)
				b->types[++id] = t;
			else
				id++;
			o += sizeof(*t) + extra(t);
		}
		if (!pass) {
			b->n = id;
			b->types = calloc(id + 1, sizeof(*b->types));
			if (!b->types)
				return -ENOMEM;
		}
	}
	return 0;
}

static void
btf_free(struct btf *b)
{
	free(b->raw);
	free(b->types);
}

static const char *
name(const struct btf *b, uint32_t off)
{
	return off < b->str_len ? b->strs + off : "";
}

static int
find_type(const struct btf *b, unsigned int kind, const char *want)
{
	for (uint32_t id = 1; id <= b->n; id++)
		if (KIND(b->types[id]) == kind &&
		    !strcmp(name(b, b->types[id]->name_off), want))
			return (int)id;
	return -ENOENT;
}

/* The byte offset of member @want in struct or union @id, looking into
 * anonymous members (vm_start sits in an anonymous union of 6.x). */
static int
member_off(const struct btf *b, uint32_t id, const char *want, int depth)
{
	const struct btf_type *t = b->types[id];
	const struct btf_member *m = (const void *)(t + 1);

	if (depth > 4 || (KIND(t) != KIND_STRUCT && KIND(t) != KIND_UNION))
		return -ENOENT;
	for (uint32_t i = 0; i < VLEN(t); i++) {
		uint32_t bits = KFLAG(t) ? m[i].offset & 0xffffff :
					   m[i].offset;
		int r;

		if (!strcmp(name(b, m[i].name_off), want))
			return bits % 8 ? -EPROTO : (int)(bits / 8);
		if (m[i].name_off || !m[i].type || m[i].type > b->n)
			continue;
		r = member_off(b, m[i].type, want, depth + 1);
		if (r >= 0)
			return (int)(bits / 8) + r;
	}
	return -ENOENT;
}

static long
sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

/* For each VMA: (vm_start, vm_end, vm_file) through bpf_seq_write. */
static int
load_prog(int func_id, int off_start, int off_end, int off_file)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		/* ctx->vma (struct bpf_iter__task_vma: meta, task, vma) */
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 7, 6, 16, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 12, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 7, off_start, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -24, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 7, off_end, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -16, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 7, off_file, 0),
		INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 0),
		/* ctx->meta->seq */
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 6, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 1, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -24),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 24),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_TRACING;
	attr.expected_attach_type = BPF_TRACE_ITER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (uintptr_t)"GPL";	/* bpf_seq_write is GPL-only */
	attr.attach_btf_id = (uint32_t)func_id;
	memcpy(attr.prog_name, "rt_vmfile", 10);
	return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

static int
iter_open(int prog, pid_t pid)
{
	union bpf_iter_link_info info;
	union bpf_attr attr;
	_cleanup_close_ int link = -1;
	int fd;

	memset(&info, 0, sizeof(info));
	info.task.pid = (uint32_t)pid;
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog;
	attr.link_create.attach_type = BPF_TRACE_ITER;
	attr.link_create.iter_info = (uintptr_t)&info;
	attr.link_create.iter_info_len = sizeof(info);
	link = (int)sys_bpf(BPF_LINK_CREATE, &attr);
	if (link < 0)
		return rt_neg_errno();
	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = (uint32_t)link;
	/* the iterator holds the link: ours may close */
	fd = (int)sys_bpf(BPF_ITER_CREATE, &attr);
	return fd < 0 ? rt_neg_errno() : fd;
}

static int
read_all(int fd, struct rt_vmfile **out, size_t *n)
{
	size_t cap = 0, len = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		len += r;
	}
	*out = (struct rt_vmfile *)buf;
	*n = len / sizeof(**out);
	return 0;
}

int
rt_vmfile_read(pid_t pid, struct rt_vmfile **out, size_t *n)
{
	_cleanup_(btf_free) struct btf b = { 0 };
	_cleanup_close_ int prog = -1, it = -1;
	int func, vma, s, e, f, r;

	*out = NULL;
	*n = 0;
	r = btf_load(&b);
	if (r < 0)
		return r;
	func = find_type(&b, KIND_FUNC, "bpf_iter_task_vma");
	vma = find_type(&b, KIND_STRUCT, "vm_area_struct");
	if (func < 0 || vma < 0)
		return -EOPNOTSUPP;
	s = member_off(&b, vma, "vm_start", 0);
	e = member_off(&b, vma, "vm_end", 0);
	f = member_off(&b, vma, "vm_file", 0);
	if (s < 0 || e < 0 || f < 0 || s > 32767 || e > 32767 || f > 32767)
		return -EOPNOTSUPP;
	prog = load_prog(func, s, e, f);
	if (prog < 0)
		return rt_neg_errno();
	it = iter_open(prog, pid);
	if (it < 0)
		return it;
	return read_all(it, out, n);
}
