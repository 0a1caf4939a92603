/* vmfile.c - which open file each mapping of a process maps, read from
 * outside it by a BPF task_vma iterator (root only), through libbpf.
 *
 * The kernel spans mappings of one open file only (vma->vm_file), and
 * nothing in /proc says which open file a mapping maps: kcmp(2) compares
 * descriptors, and a mapping need not have one.  A task_vma iterator
 * (Linux 5.12; the per-task filter 6.1) visits the process's VMAs under
 * its mmap lock and can read vm_file.  The program below writes
 * (vm_start, vm_end, vm_file) per VMA.  Loading it needs CAP_BPF and
 * CAP_PERFMON (to read a kernel pointer) and a kernel with BTF, for the
 * offsets in struct vm_area_struct and for the iterator itself.  The
 * process is neither stopped nor traced, and the kernel addresses never
 * leave this file: they become small numbers as soon as they are read.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_util.h"
#include "rt_vmfile.h"

/* At most this many VMAs, 16 times the kernel's default vm.max_map_count
 * (65530): the bound on what a read may allocate, even from a process
 * that keeps mapping ahead of the iterator. */
#define MAX_VMAS	(1u << 20)

/*
 * The program's instructions, by the names of the kernel's
 * tools/include/linux/filter.h.  Neither libbpf nor the uapi headers
 * install them (linux/filter.h has classic BPF's only), and a BPF
 * compiler (clang) in the build for 17 instructions would cost more than
 * these six lines.  The verifier checks each load against BTF anyway.
 */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })
#define BPF_MOV64_REG(d, s)	INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define BPF_ALU64_IMM(op, d, i)	INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define BPF_LDX_MEM(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define BPF_STX_MEM(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define BPF_JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define BPF_EMIT_CALL(f)	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define BPF_JMP_A(o)		INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define BPF_EXIT_INSN()		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* An iterator program's context is its target's arguments, 8 bytes
 * each: bpf_iter_task_vma(meta, task, vma), bpf_iter_task_file(meta,
 * task, fd, file). */
enum { CTX_META = 0, CTX_VMA = 16, CTX_FD = 16, CTX_FILE = 24 };

/* Offsets read from the kernel's BTF. */
struct offsets {
	int seq;		/* struct bpf_iter_meta: seq */
	int start, end, pgoff, file;	/* struct vm_area_struct */
};

/* What the VMA program writes per VMA; the file program, (fd, file). */
struct raw_vma {
	uint64_t start, end, pgoff, file;
};
struct raw_fd {
	uint64_t fd, file;
};

static void
btf_freep(struct btf **btf)
{
	btf__free(*btf);
}

/*
 * The byte offset of member @want in struct or union @id, looking into
 * anonymous members (vm_start sits in an anonymous union in 6.x).
 * Returns it, -ENOENT when there is none, -EPROTO for a bit field.
 */
static int
member_off(const struct btf *btf, int id, const char *want, int depth)
{
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m;

	if (!t || !btf_is_composite(t) || depth > 4)
		return -ENOENT;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint32_t bits = btf_member_bit_offset(t, i);
		int r;

		if (name && !strcmp(name, want))
			return bits % 8 ? -EPROTO : (int)(bits / 8);
		if (m->name_off)
			continue;
		r = member_off(btf, btf__resolve_type(btf, m->type), want,
			       depth + 1);
		if (r >= 0)
			return (int)(bits / 8) + r;
	}
	return -ENOENT;
}

/* The offset of @member of struct @type, if an instruction can hold it. */
static int
struct_off(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	int off = id < 0 ? id : member_off(btf, id, member, 0);

	return off > INT16_MAX ? -ERANGE : off;
}

/*
 * The iterators' attach BTF ids (task_vma's, task_file's) and the
 * offsets, from the kernel's BTF.
 */
static int
read_btf(uint32_t func[2], struct offsets *o)
{
	_cleanup_(btf_freep) struct btf *btf = btf__load_vmlinux_btf();
	int vma, file;

	/* no BTF: libbpf says ESRCH, which would read as "process gone" */
	if (!btf)
		return errno == ENOMEM ? -ENOMEM : -EOPNOTSUPP;
	vma = btf__find_by_name_kind(btf, "bpf_iter_task_vma", BTF_KIND_FUNC);
	file = btf__find_by_name_kind(btf, "bpf_iter_task_file",
				      BTF_KIND_FUNC);
	o->seq = struct_off(btf, "bpf_iter_meta", "seq");
	o->start = struct_off(btf, "vm_area_struct", "vm_start");
	o->end = struct_off(btf, "vm_area_struct", "vm_end");
	o->pgoff = struct_off(btf, "vm_area_struct", "vm_pgoff");
	o->file = struct_off(btf, "vm_area_struct", "vm_file");
	if (vma < 0 || o->seq < 0 || o->start < 0 || o->end < 0 ||
	    o->pgoff < 0 || o->file < 0)
		return -EOPNOTSUPP;
	func[0] = (uint32_t)vma;
	func[1] = file < 0 ? 0 : (uint32_t)file;
	return 0;
}

static int
load(const char *name, uint32_t func, const struct bpf_insn *insns,
     size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_ITER,
		    .attach_btf_id = func);

	if (!func)
		return -EOPNOTSUPP;
	/* GPL: bpf_seq_write is GPL-only */
	return bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", insns, n,
			     &opts);
}

/*
 * Both programs end so: bpf_seq_write(ctx->meta->seq, fp - @n, @n) of the
 * record built on the stack (r6 holds ctx), then return 0.
 */
#define SEQ_WRITE_EXIT(o, n) \
	BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_6, CTX_META), \
	BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_1, (o)->seq), \
	BPF_MOV64_REG(BPF_REG_2, BPF_REG_10), \
	BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -(n)), \
	BPF_ALU64_IMM(BPF_MOV, BPF_REG_3, (n)), \
	BPF_EMIT_CALL(BPF_FUNC_seq_write), \
	BPF_ALU64_IMM(BPF_MOV, BPF_REG_0, 0), \
	BPF_EXIT_INSN()

/*
 * For each VMA: (vm_start, vm_end, vm_pgoff, vm_file), bpf_seq_write;
 * once they are done (vma NULL: the iterator's stop), the end marker
 * (~0, ~0, 0, 0), which read_all() reads to.
 */
static int
load_vma_prog(uint32_t func, const struct offsets *o)
{
	const struct bpf_insn insns[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LDX_MEM(BPF_DW, BPF_REG_7, BPF_REG_6, CTX_VMA),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_7, 0, 9),		/* to 12 */
		BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_7, o->start),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -32),
		BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_7, o->end),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -24),
		BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_7, o->pgoff),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -16),
		BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_7, o->file),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -8),
		BPF_JMP_A(6),					/* to 18 */
		/* 12: the end marker */
		BPF_ALU64_IMM(BPF_MOV, BPF_REG_1, -1),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -32),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -24),
		BPF_ALU64_IMM(BPF_MOV, BPF_REG_1, 0),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -16),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -8),
		/* 18 */
		SEQ_WRITE_EXIT(o, 32),
	};

	return load("rt_vmfile", func, insns, ARRAY_SIZE(insns));
}

/* For each descriptor: (fd, file), bpf_seq_write; then (~0, 0). */
static int
load_fd_prog(uint32_t func, const struct offsets *o)
{
	const struct bpf_insn insns[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LDX_MEM(BPF_DW, BPF_REG_7, BPF_REG_6, CTX_FILE),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_7, 0, 4),		/* to 7 */
		BPF_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_6, CTX_FD),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -16),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_7, -8),
		BPF_JMP_A(4),					/* to 11 */
		/* 7: the end marker */
		BPF_ALU64_IMM(BPF_MOV, BPF_REG_1, -1),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -16),
		BPF_ALU64_IMM(BPF_MOV, BPF_REG_1, 0),
		BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -8),
		/* 11 */
		SEQ_WRITE_EXIT(o, 16),
	};

	return load("rt_vmfile_fd", func, insns, ARRAY_SIZE(insns));
}

/*
 * An iterator over the VMAs of thread @tid only (its process's: the
 * threads share them).  By pid the kernel would visit every thread that
 * has its own descriptor table, and their VMAs once per thread.
 */
static int
iter_open(int prog, pid_t tid)
{
	union bpf_iter_link_info info = { .task.tid = (uint32_t)tid };
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info,
		    .iter_info_len = sizeof(info));
	_cleanup_close_ int link = -1;

	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts);
	if (link < 0)
		return link;
	/* the iterator holds the link: ours may close */
	return bpf_iter_create(link);
}

/*
 * All of @fd, in records of @size, up to the end marker (a record whose
 * first number is ~0, written when the iteration ends): -E2BIG past
 * MAX_VMAS records, -EPROTO for a torn one.
 *
 * A read returns at most the iterator's buffer (32 KiB); the next read
 * resumes after the last record shown.  Once it has resumed, the kernel
 * (6.18, task_vma and task_file alike) does not end: every later read
 * shows the records since the resumption again, marker included
 * (measured: 900 VMAs of 40 bytes gave the last 120 over and over).  So
 * the first marker ends the read, and reading does not wait for EOF.
 */
static int
read_all(int fd, size_t size, void **out, size_t *n)
{
	const size_t max = (MAX_VMAS + 1) * size;
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t r;

	for (;;) {
		size_t at;

		if (cap - len < size) {
			char *nb;

			if (cap == max)
				return -E2BIG;
			cap = cap ? cap * 2 : 4096 * size;
			cap = cap < max ? cap : max;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		r = read(fd, buf + len, (cap - len) / size * size);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rt_neg_errno();
		if (r == 0)
			break;
		if ((size_t)r % size)
			return -EPROTO;
		for (at = len, len += (size_t)r; at < len; at += size) {
			uint64_t first;

			memcpy(&first, buf + at, sizeof(first));
			if (first == UINT64_MAX) {
				len = at;
				goto done;
			}
		}
	}
done:
	*n = len / size;
	*out = steal_ptr(buf);
	return 0;
}

/* Every record of the iterator of @prog over task @tid, or -errno. */
static int
run_iter(int prog, pid_t tid, size_t size, void **out, size_t *n)
{
	_cleanup_close_ int it = iter_open(prog, tid);

	if (it < 0)
		return it;
	return read_all(it, size, out, n);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The iterator goes up the address space: anything else is torn. */
static int
check_order(const struct raw_vma *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].start >= v[i].end || (i && v[i].start < v[i - 1].end))
			return -EPROTO;
	return 0;
}

#define VMA_TRIES	4

/*
 * Every VMA of @pid, in order.  The kernel drops the mmap lock between
 * reads (and under contention within one): a VMA that grew or merged
 * meanwhile shows again below where the last read stopped.  Such a
 * read is torn, and is read again; -EPROTO after VMA_TRIES, never a
 * part taken for the whole.
 */
static int
read_vmas(int prog, pid_t pid, struct raw_vma **out, size_t *n)
{
	int r = -EPROTO;

	for (int i = 0; i < VMA_TRIES && r == -EPROTO; i++) {
		free(*out);
		*out = NULL;
		r = run_iter(prog, pid, sizeof(**out), (void **)out, n);
		if (r == 0)
			r = check_order(*out, *n);
	}
	return r;
}

/*
 * Replace each struct file address by its rank among the distinct ones,
 * from 1: equal numbers, one open file; 0, none.
 */
static int
number_files(const struct raw_vma *raw, struct rt_vmfile *v, size_t n)
{
	_cleanup_free_ uint64_t *keys = NULL;
	size_t nk = 0, m = 0;

	keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (raw[i].file)
			keys[nk++] = raw[i].file;
	qsort(keys, nk, sizeof(*keys), cmp_u64);
	for (size_t i = 0; i < nk; i++)
		if (!m || keys[i] != keys[m - 1])
			keys[m++] = keys[i];
	for (size_t i = 0; i < n; i++) {
		const uint64_t *k;

		v[i] = (struct rt_vmfile){ raw[i].start, raw[i].end, 0 };
		if (!raw[i].file)
			continue;
		k = bsearch(&raw[i].file, keys, m, sizeof(*keys), cmp_u64);
		v[i].file = (uint64_t)(k - keys) + 1;
	}
	return 0;
}

/* The programs, loaded once for the supervisor (rt_vmfile_ready()). */
static struct {
	int state;		/* 0 not tried, 1 loaded, -errno */
	int vma_prog, fd_prog;
} progs = { 0, -1, -1 };

static int
load_progs(bool want_fd, int *vma_prog, int *fd_prog)
{
	_cleanup_close_ int v = -1, f = -1;
	struct offsets o;
	uint32_t func[2];
	int r;

	r = read_btf(func, &o);
	if (r < 0)
		return r;
	v = load_vma_prog(func[0], &o);
	if (v < 0)
		return v;
	if (want_fd) {
		f = load_fd_prog(func[1], &o);
		if (f < 0)
			return f;
	}
	*vma_prog = take_fd(v);
	if (fd_prog)
		*fd_prog = take_fd(f);
	return 0;
}

static int
read_vmfiles(pid_t pid, struct rt_vmfile **out, size_t *n)
{
	_cleanup_free_ struct raw_vma *raw = NULL;
	_cleanup_free_ struct rt_vmfile *v = NULL;
	_cleanup_close_ int prog = -1;
	size_t nv = 0;
	int r;

	r = load_progs(false, &prog, NULL);
	if (r < 0)
		return r;
	r = read_vmas(prog, pid, &raw, &nv);
	if (r < 0)
		return r;
	v = malloc((nv ? nv : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = number_files(raw, v, nv);
	if (r < 0)
		return r;
	*out = steal_ptr(v);
	*n = nv;
	return 0;
}

int
rt_vmfile_read(pid_t pid, struct rt_vmfile **out, size_t *n)
{
	/* libbpf would print to stderr; a failure here is "cannot tell" */
	libbpf_print_fn_t was = libbpf_set_print(NULL);
	int r;

	*out = NULL;
	*n = 0;
	r = read_vmfiles(pid, out, n);
	libbpf_set_print(was);
	return r;
}

int
rt_vmfile_ready(void)
{
	libbpf_print_fn_t was;

	if (progs.state)
		return progs.state < 0 ? progs.state : 0;
	was = libbpf_set_print(NULL);
	progs.state = load_progs(true, &progs.vma_prog, &progs.fd_prog);
	libbpf_set_print(was);
	if (progs.state == 0)
		progs.state = 1;
	return progs.state < 0 ? progs.state : 0;
}

static int
cmp_fd_file(const void *a, const void *b)
{
	return cmp_u64(&((const struct raw_fd *)a)->file,
		       &((const struct raw_fd *)b)->file);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The index of our descriptor @fd in @want (it is there). */
static size_t
want_at(const int *want, size_t nwant, uint64_t fd)
{
	int f = (int)fd;

	return (size_t)((const int *)bsearch(&f, want, nwant, sizeof(*want),
					     cmp_int) - want);
}

/*
 * twin[] of rt_vmfile_ours(): @fds are ours among @want, in file order.
 * Only which descriptors share a file leaves here, never the address.
 */
static void
twins(const struct raw_fd *fds, size_t nf, const int *want, size_t nwant,
      size_t *twin)
{
	size_t i, j, run, low;
	uint64_t low_fd;

	for (i = 0; i < nwant; i++)
		twin[i] = i;
	/* fds are in file order: each run of one file is a group, whose
	 * members all name its first index in @want, which is its lowest
	 * descriptor's (@want ascends) */
	for (run = 0; run < nf; run = j) {
		low_fd = fds[run].fd;
		for (j = run; j < nf && fds[j].file == fds[run].file; j++)
			low_fd = fds[j].fd < low_fd ? fds[j].fd : low_fd;
		if (j - run < 2)
			continue;
		low = want_at(want, nwant, low_fd);
		for (i = run; i < j; i++)
			twin[want_at(want, nwant, fds[i].fd)] = low;
	}
}

/*
 * Descriptors @want (sorted) of ours by their file's address, then each
 * VMA of @pid looked up in them: the addresses are compared here and go
 * no further.
 */
static int
match(pid_t pid, const int *want, size_t nwant, size_t *twin,
      struct rt_vmfile_ours **out, size_t *n, size_t *nread)
{
	_cleanup_free_ struct raw_vma *raw = NULL;
	_cleanup_free_ struct raw_fd *fds = NULL;
	_cleanup_free_ struct rt_vmfile_ours *o = NULL;
	size_t nv = 0, nf = 0, m = 0;
	int r;

	r = run_iter(progs.fd_prog, getpid(), sizeof(*fds), (void **)&fds,
		     &nf);
	if (r < 0)
		return r;
	r = read_vmas(progs.vma_prog, pid, &raw, &nv);
	if (r < 0)
		return r;
	*nread = nv + nf;
	/* Only those asked for: another descriptor of ours may share a
	 * file with one of them, and must not stand for it. */
	for (size_t i = 0; i < nf; i++) {
		int fd = (int)fds[i].fd;

		if (bsearch(&fd, want, nwant, sizeof(*want), cmp_int))
			fds[m++] = fds[i];
	}
	nf = m;
	m = 0;
	qsort(fds, nf, sizeof(*fds), cmp_fd_file);
	if (twin)
		twins(fds, nf, want, nwant, twin);
	o = malloc((nv ? nv : 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < nv; i++) {
		struct raw_fd key = { .file = raw[i].file };
		const struct raw_fd *f;

		if (!raw[i].file)
			continue;
		f = bsearch(&key, fds, nf, sizeof(*fds), cmp_fd_file);
		if (f)
			o[m++] = (struct rt_vmfile_ours){
				raw[i].start, raw[i].end, raw[i].pgoff,
				(int)f->fd,
			};
	}
	*out = steal_ptr(o);
	*n = m;
	return 0;
}

int
rt_vmfile_ours(pid_t pid, const int *fds, size_t nfds, size_t *twin,
	       struct rt_vmfile_ours **out, size_t *n, size_t *nread)
{
	int r;

	*out = NULL;
	*n = *nread = 0;
	r = rt_vmfile_ready();
	return r < 0 ? r : match(pid, fds, nfds, twin, out, n, nread);
}
