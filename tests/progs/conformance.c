/* conformance.c - seeded remap_file_pages(2) conformance program: from a
 * seed it runs a reproducible sequence of calls and layout changes over
 * every kind of shared mapping and prints a canonical trace, which
 * tests/conformance.sh compares natively and under remaptrace.
 *
 * The trace names areas, files and pages by role, never by address, pid,
 * inode or descriptor, so it is byte-identical from run to run.  After
 * every operation it shows the result and errno, the file page seen
 * through each page of the area touched (or SIGBUS/SIGSEGV), where a write
 * landed (read back with pread), and the area's VMAs from /proc/self/smaps
 * with their VmFlags.  A small model of the kernel's rules (mm/mmap.c)
 * labels each remap outcome, so that the counters printed at the end show
 * which rules were exercised.  Usage: see usage() below.
 *
 * The trace, one fact per line so that diff shows the first divergence:
 *   fact ... / skip KIND: reason / setup KIND: FILE, open|closed descriptor
 *   op N remap KIND+0x2000 size=0x1000 prot=0x0 pgoff=10 flags=0x0 = 0 [ok]
 *	(start relative to the area, or @null, @stack...; the result and
 *	errno; the rule the model names: ok, ok:span, einval:RULE,
 *	eoverflow, mmap:ERRNO, or MISMATCH when the kernel disagrees)
 *   op N write KIND+0x3000 seen FILE:7 -> FILE:7 [verified|private]
 *   op N mmap|mprotect|madvise|munmap|mlock|munlock|mlock2|reset ... = 0
 *     KIND pages fileA:0-3 fileA:9/w12 bus segv*2 zero
 *	(the file page behind each page of the area, runs collapsed; /wN:
 *	written by op N, /cN by op N of the forked child)
 *     KIND vma 0x0-0x2000 rw-s pg=0 fileA [rd wr sh mr mw me ms]
 *     KIND hole 0x2000-0x3000
 *   object FILE pages=N marks 7/w12 tags=ok	(the file itself, at the end)
 *   count KEY N				(outcome counters, at the end)
 *
 * The file is longer than the house limit on purpose: the Makefile builds
 * each tests/progs/NAME.c as its own program, and the trace format, the
 * model and the generator are easiest to audit side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define AREA_PAGES	16		/* base pages of a test area */
#define GUARD_PAGES	16		/* reserved pages after each area */
#define OBJ_PAGES	20		/* base pages of each file */
#define HUGE_AREA	2		/* huge pages of the huge area */
#define HUGE_OBJ	3		/* huge pages of the huge file */
#define HUGE_RESV	6		/* huge pages reserved at setup: every
					 * file page a remap can reach (pgoff up
					 * to 4 huge pages, 2 long), so that the
					 * pool never runs dry in the middle */
#define HUGE_WANT	(2UL << 20)	/* the huge page size laid out for */
#define MB		(1UL << 20)
/*
 * One PROT_NONE reservation per context, MAP_FIXED inside it, so the
 * layout never depends on where the kernel puts things:
 *   0 guard | 2M huge area | 6M guard | 8M huge observer | 20M guard |
 *   22M areas, 128 KiB apart | 24M observers, 256 KiB apart | 28M end
 */
#define OFF_HUGE	(2 * MB)
#define OFF_HUGE_OBS	(8 * MB)
#define OFF_AREAS	(22 * MB)
#define OFF_OBS		(24 * MB)
#define OBS_STRIDE	(256UL << 10)
#define REGION_SIZE	(28 * MB)
#define REGION_HINT	0x100000000000UL	/* far below mmap_base */
#define REGION_STRIDE	0x40000000UL
#define MAX_CTX		9
#define TAG_MAGIC	0x52544346ULL	/* "RTCF" at byte 0 of every page */
#define MARK_MAGIC	0x4d4bULL	/* writes put a marker at MARK_OFF */
#define MARK_OFF	64
/* 1 << n as an unsigned long, 0 where it does not fit (a 32-bit build,
 * where a pgoff is 32 bits wide). */
#define BIG(n)	((unsigned long)((1ULL << (n)) & ULONG_MAX))
/* An address no user mapping reaches: the kernel's half, or for a 32-bit
 * build (gcc -m32) the top page, above the i386 TASK_SIZE. */
#define KERNEL_ADDR	(sizeof(long) == 8 ? (unsigned long)0xffff888000000000ULL \
					   : 0xfffff000UL)

enum store { ST_DISK, ST_TMPFS, ST_MEMFD, ST_ANON, ST_HUGE };

/* One kind of mapping: one file (object) and one test area showing it. */
struct kind {
	const char *name;	/* --kinds name and the area's label */
	const char *role;	/* the file's tag in the trace */
	enum store store;
	bool keep_fd;		/* the descriptor stays open, else closed */
	bool unlink;		/* the file is deleted after mapping */
	bool rdonly;		/* opened O_RDONLY, mapped PROT_READ */
	bool priv;		/* MAP_PRIVATE */
	bool lock;		/* mlock()ed */
	bool twin;		/* second half mapped from a second open() */
};

static const struct kind kinds[] = {
	{ .name = "file", .role = "fileA", .store = ST_DISK, .keep_fd = true },
	{ .name = "file-closed", .role = "fileB", .store = ST_DISK },
	{ .name = "tmpfs", .role = "shmA", .store = ST_TMPFS },
	{ .name = "memfd", .role = "memfd0", .store = ST_MEMFD,
	  .keep_fd = true },
	{ .name = "memfd-closed", .role = "memfd1", .store = ST_MEMFD },
	{ .name = "deleted", .role = "delA", .store = ST_DISK, .unlink = true },
	{ .name = "anon", .role = "anon0", .store = ST_ANON },
	{ .name = "ro", .role = "roA", .store = ST_DISK, .keep_fd = true,
	  .rdonly = true },
	{ .name = "mlock", .role = "lockA", .store = ST_DISK, .keep_fd = true,
	  .lock = true },
	{ .name = "private", .role = "privA", .store = ST_DISK,
	  .keep_fd = true, .priv = true },
	{ .name = "twice", .role = "twinA", .store = ST_DISK, .keep_fd = true,
	  .twin = true },
	{ .name = "huge", .role = "huge0", .store = ST_HUGE, .keep_fd = true },
};
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

enum cls { CL_SHARED, CL_RO, CL_PRIV, CL_TWIN, CL_HUGE };

struct object {
	bool on;		/* set up (kind enabled and not skipped) */
	int fd, fd2;		/* open descriptors, -1 when closed */
	char path[PATH_MAX];	/* "" when it has none (memfd, anon) */
	unsigned int maj, min;	/* as /proc/self/maps shows them */
	unsigned long ino;
	unsigned long npages;	/* base pages the observer shows */
	char *obs;		/* observer: a linear PROT_READ view of the
				 * whole file, mapped from the first open */
	int fid, fid2;		/* open-file identities of fd and fd2 */
};

struct area {
	char *base;
	unsigned long npages;	/* base pages */
	unsigned long gran;	/* base pages per granule (huge: 512) */
	int prot;
	int *fid;		/* per page: which open file we mapped there
				 * (0 nothing, -1 unknown) */
};

struct vma {
	unsigned long start, end, off, ino, kps;
	unsigned int maj, min;
	char perms[8];
	char flags[128];
	bool anon;		/* shared anonymous memory ("/dev/zero") */
};

struct counter {
	char key[72];
	unsigned long n;
};

enum op_type {
	OP_REMAP, OP_WRITE, OP_MMAP, OP_MPROTECT, OP_MADVISE, OP_MUNMAP,
	OP_MLOCK, OP_RESET,
};
enum target { TG_AREA, TG_NULL, TG_KERNEL, TG_TOP, TG_STACK, TG_VDSO,
	      TG_TEXT, TG__COUNT };
enum src { SRC_SAME, SRC_NORESERVE, SRC_READONLY, SRC_LOCKED, SRC_OTHER,
	   SRC_REOPEN, SRC_PRIVATE };
enum lockop { LK_LOCK, LK_UNLOCK, LK_ONFAULT };

struct op {
	enum op_type type;
	int area;		/* kinds[] index */
	enum target target;	/* remap only */
	long page;		/* first base page, relative to the area */
	unsigned long byte;	/* added to the start: unaligned starts */
	unsigned long size;	/* bytes; wrap: added to -start */
	bool wrap;		/* size = -start + size: start+size wraps */
	unsigned long pgoff;	/* remap: raw argument; mmap: base pages */
	unsigned long prot, flags;	/* remap arguments */
	int arg;		/* prot, advice, enum lockop or enum src */
	int other;		/* SRC_OTHER: kinds[] index of the file */
};

struct ctx {
	int id;
	uint64_t rng;
	FILE *out;
	char *outbuf;		/* open_memstream buffer (threads) */
	size_t outlen;
	bool child;
	unsigned int nop;	/* operations run so far */
	char *region;
	struct object obj[NKINDS];
	struct area area[NKINDS];
	char skip[NKINDS][256];	/* why a kind is skipped, "" if not */
	struct vma *vmas;
	size_t nvma, vcap;
	char *smaps;
	size_t scap;
	int *fid_obj;		/* fid -> kinds[] index */
	int nfid, fcap;
	struct counter *cnt;
	size_t ncnt, ccap;
	unsigned long probes[3];	/* page seen, SIGBUS, SIGSEGV */
};

static struct {
	uint64_t seed;
	unsigned long ops;
	unsigned int kinds;
	int threads;
	bool fork;
	bool identity;
	bool anon_merge;
	bool prologue;
	const char *dir;
	const char *shm_dir;
} opt = {
	.seed = 1, .ops = 200, .kinds = ~0u, .identity = true,
	.prologue = true, .shm_dir = "/dev/shm",
};

static unsigned long pg;
static char dir_buf[PATH_MAX];
static bool dir_made;
static struct ctx ctxs[MAX_CTX];

static __thread sigjmp_buf *volatile fault_jb;
static __thread volatile sig_atomic_t fault_sig;

static void __attribute__((format(printf, 2, 3)))
out(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "conformance: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(99);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static const char *
ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "E?";
}

/* "0" or "-1 EINVAL", as the trace prints a result. */
static const char *
result(char *buf, size_t size, int err)
{
	if (!err)
		return "0";
	snprintf(buf, size, "-1 %s", ename(err));
	return buf;
}

static void __attribute__((format(printf, 2, 3)))
count(struct ctx *c, const char *fmt, ...)
{
	char key[72];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	for (i = 0; i < c->ncnt; i++) {
		if (!strcmp(c->cnt[i].key, key)) {
			c->cnt[i].n++;
			return;
		}
	}
	if (c->ncnt == c->ccap) {
		c->ccap = c->ccap ? 2 * c->ccap : 64;
		c->cnt = xrealloc(c->cnt, c->ccap * sizeof(*c->cnt));
	}
	snprintf(c->cnt[c->ncnt].key, sizeof(c->cnt[0].key), "%s", key);
	c->cnt[c->ncnt++].n = 1;
}

/* splitmix64: small, fast and the same everywhere. */
static uint64_t
rnd(struct ctx *c, uint64_t n)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return n ? z % n : z;
}

/*
 * The first state, from a seed: splitmix64 steps its state by a constant,
 * so states seed * k would make seed s the stream of seed 1 shifted by
 * s - 1 draws.  A bijective mix (murmur3's finalizer) keeps them apart.
 */
static uint64_t
seed_state(uint64_t seed, uint64_t stream)
{
	uint64_t z = seed ^ stream << 48;

	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	return z ^ (z >> 33);
}

static bool
chance(struct ctx *c, unsigned int pct)
{
	return rnd(c, 100) < pct;
}

static enum cls
kind_class(int i)
{
	const struct kind *k = &kinds[i];

	if (k->store == ST_HUGE)
		return CL_HUGE;
	if (k->rdonly)
		return CL_RO;
	if (k->priv)
		return CL_PRIV;
	return k->twin ? CL_TWIN : CL_SHARED;
}

/* ------------------------------------------------------------------ */
/* Faults: probe and poke a page, turning SIGBUS/SIGSEGV into a value. */

static void
on_fault(int sig)
{
	if (!fault_jb) {
		/* not ours: let the default action kill us on return */
		signal(sig, SIG_DFL);
		return;
	}
	fault_sig = sig;
	siglongjmp(*fault_jb, 1);
}

/* Read the tag and the marker of the page at @p: 0 or the signal. */
static int
probe(const volatile uint64_t *p, uint64_t *tag, uint64_t *mark)
{
	sigjmp_buf jb;

	fault_sig = 0;
	if (sigsetjmp(jb, 0)) {
		fault_jb = NULL;
		return fault_sig;
	}
	fault_jb = &jb;
	__asm__ volatile("" ::: "memory");
	*tag = p[0];
	*mark = p[MARK_OFF / 8];
	__asm__ volatile("" ::: "memory");
	fault_jb = NULL;
	return 0;
}

static int
poke(volatile uint64_t *p, uint64_t mark)
{
	sigjmp_buf jb;

	fault_sig = 0;
	if (sigsetjmp(jb, 0)) {
		fault_jb = NULL;
		return fault_sig;
	}
	fault_jb = &jb;
	__asm__ volatile("" ::: "memory");
	p[MARK_OFF / 8] = mark;
	__asm__ volatile("" ::: "memory");
	fault_jb = NULL;
	return 0;
}

static uint64_t
tag_of(int ctx, int obj, unsigned long page)
{
	return TAG_MAGIC << 32 | (uint64_t)ctx << 24 | (uint64_t)obj << 16 |
	       (page & 0xffff);
}

/* Name the file page a tag stands for: "fileA:7", "t2.fileA:7". */
static void
tag_name(struct ctx *c, uint64_t tag, char *buf, size_t size)
{
	int ctx = (int)(tag >> 24 & 0xff), obj = (int)(tag >> 16 & 0xff);

	if (tag >> 32 != TAG_MAGIC || obj >= NKINDS)
		snprintf(buf, size, tag ? "junk" : "zero");
	else if (ctx == c->id)
		snprintf(buf, size, "%s:%u", kinds[obj].role,
			 (unsigned int)(tag & 0xffff));
	else
		snprintf(buf, size, "t%d.%s:%u", ctx, kinds[obj].role,
			 (unsigned int)(tag & 0xffff));
}

/* "/w17": written by op 17; "/c17" by op 17 of the forked child. */
static void
mark_name(struct ctx *c, uint64_t mark, char *buf, size_t size)
{
	int ctx = (int)(mark >> 40 & 0xff);

	if (!mark)
		buf[0] = '\0';
	else if (mark >> 48 != MARK_MAGIC)
		snprintf(buf, size, "/junk");
	else
		snprintf(buf, size, "/%s%s%u", ctx == c->id ? "" : "t",
			 mark >> 39 & 1 ? "c" : "w",
			 (unsigned int)(mark & 0xffffffff));
}

/* ------------------------------------------------------------------ */
/* /proc/self/smaps: the layout, with VmFlags and KernelPageSize. */

static bool
is_header(const char *l)
{
	const char *dash = strchr(l, '-'), *sp = strchr(l, ' ');

	return ((*l >= '0' && *l <= '9') || (*l >= 'a' && *l <= 'f')) &&
	       dash && sp && dash < sp;
}

static void
parse_smaps(struct ctx *c)
{
	char *line, *nl, *p;
	struct vma *v = NULL;
	int n, pos;

	c->nvma = 0;
	for (line = c->smaps; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (is_header(line)) {
			if (c->nvma == c->vcap) {
				c->vcap = c->vcap ? 2 * c->vcap : 256;
				c->vmas = xrealloc(c->vmas,
						   c->vcap * sizeof(*v));
			}
			v = &c->vmas[c->nvma++];
			memset(v, 0, sizeof(*v));
			pos = 0;
			n = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n",
				   &v->start, &v->end, v->perms, &v->off,
				   &v->maj, &v->min, &v->ino, &pos);
			if (n != 7 || !pos)
				die("cannot parse smaps line: %s", line);
			v->anon = !strncmp(line + pos, "/dev/zero", 9);
			v->kps = pg;
		} else if (v && !strncmp(line, "KernelPageSize:", 15)) {
			v->kps = strtoul(line + 15, NULL, 10) * 1024;
		} else if (v && !strncmp(line, "VmFlags:", 8)) {
			p = line + 8;
			while (*p == ' ')
				p++;
			snprintf(v->flags, sizeof(v->flags), "%s", p);
			n = (int)strlen(v->flags);
			while (n > 0 && v->flags[n - 1] == ' ')
				v->flags[--n] = '\0';
		}
	}
}

/*
 * --no-identity: merge the entries of adjacent VMAs that map the same
 * file (device and inode) at contiguous offsets with identical flags.
 * The kernel merges such VMAs only when they map the same open file
 * (vma_merge() compares vm_file), which /proc does not show and which a
 * supervisor with no descriptor of its own cannot always reproduce; this
 * hides exactly that difference and nothing else.  --anon-merge does the
 * same for shared anonymous memory only, whose open file no descriptor
 * ever named (remaptrace's README: "Shared anonymous memory and
 * /dev/zero").
 */
static void
coalesce(struct ctx *c, bool only_anon)
{
	struct vma *v, *p;
	size_t i, n = 0;

	for (i = 0; i < c->nvma; i++) {
		v = &c->vmas[i];
		p = n ? &c->vmas[n - 1] : NULL;
		if (p && v->ino && (!only_anon || (p->anon && v->anon)) &&
		    p->end == v->start && p->ino == v->ino &&
		    p->maj == v->maj && p->min == v->min &&
		    v->off == p->off + (p->end - p->start) &&
		    p->kps == v->kps && !strcmp(p->perms, v->perms) &&
		    !strcmp(p->flags, v->flags)) {
			p->end = v->end;
			continue;
		}
		c->vmas[n++] = *v;
	}
	c->nvma = n;
}

static void
read_smaps(struct ctx *c)
{
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/self/smaps: %s", strerror(errno));
	for (;;) {
		if (c->scap - len < 65536) {
			c->scap = c->scap ? 2 * c->scap : 1 << 20;
			c->smaps = xrealloc(c->smaps, c->scap);
		}
		r = read(fd, c->smaps + len, c->scap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read /proc/self/smaps: %s", strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	c->smaps[len] = '\0';
	close(fd);
	parse_smaps(c);
	if (!opt.identity || opt.anon_merge)
		coalesce(c, opt.identity);
}

/* The VMA containing @addr, or NULL. */
static struct vma *
vma_at(struct ctx *c, unsigned long addr)
{
	size_t i;

	for (i = 0; i < c->nvma; i++)
		if (c->vmas[i].start <= addr && addr < c->vmas[i].end)
			return &c->vmas[i];
	return NULL;
}

static bool
vma_is_obj(const struct vma *v, const struct object *o)
{
	return v->ino == o->ino && v->maj == o->maj && v->min == o->min;
}

/* The role of the file a VMA maps: "fileA", "none", or "?" for others. */
static const char *
vma_role(struct ctx *c, const struct vma *v)
{
	int i;

	if (!v->ino && !v->maj && !v->min)
		return "none";
	for (i = 0; i < NKINDS; i++)
		if (c->obj[i].on && vma_is_obj(v, &c->obj[i]))
			return kinds[i].role;
	return "?";
}

/* ------------------------------------------------------------------ */
/* Open-file identity: which open() of a file we mapped at each page. */

static int
new_fid(struct ctx *c, int obj)
{
	if (c->nfid + 1 >= c->fcap) {
		c->fcap = c->fcap ? 2 * c->fcap : 256;
		c->fid_obj = xrealloc(c->fid_obj, c->fcap * sizeof(int));
	}
	c->fid_obj[++c->nfid] = obj;
	return c->nfid;
}

/* The area holding @addr, or -1. */
static int
area_of(struct ctx *c, unsigned long addr)
{
	unsigned long b;
	int i;

	for (i = 0; i < NKINDS; i++) {
		if (!c->obj[i].on)
			continue;
		b = (unsigned long)c->area[i].base;
		if (addr >= b && addr < b + c->area[i].npages * pg)
			return i;
	}
	return -1;
}

static int
fid_at(struct ctx *c, unsigned long addr)
{
	int i = area_of(c, addr);

	if (i < 0)
		return 0;
	return c->area[i].fid[(addr - (unsigned long)c->area[i].base) / pg];
}

static void
fid_set(struct ctx *c, int i, unsigned long start, unsigned long len, int fid)
{
	struct area *a = &c->area[i];
	unsigned long b = (unsigned long)a->base, e = b + a->npages * pg;
	unsigned long s;

	for (s = start; s < start + len && s >= start; s += pg)
		if (s >= b && s < e)
			a->fid[(s - b) / pg] = fid;
}

/* After reading the layout: nothing mapped is 0, another file unknown. */
static void
fid_sync(struct ctx *c)
{
	struct area *a;
	struct vma *v;
	unsigned long p, addr;
	size_t k;
	int i, f;

	for (i = 0; i < NKINDS; i++) {
		if (!c->obj[i].on)
			continue;
		a = &c->area[i];
		k = 0;
		for (p = 0; p < a->npages; p++) {
			addr = (unsigned long)a->base + p * pg;
			while (k < c->nvma && c->vmas[k].end <= addr)
				k++;
			v = k < c->nvma && c->vmas[k].start <= addr ?
			    &c->vmas[k] : NULL;
			f = a->fid[p];
			if (!v)
				a->fid[p] = 0;
			else if (f <= 0 ||
				 !vma_is_obj(v, &c->obj[c->fid_obj[f]]))
				a->fid[p] = -1;
		}
	}
}

static void
refresh(struct ctx *c)
{
	read_smaps(c);
	fid_sync(c);
}

/* ------------------------------------------------------------------ */
/* The model: what mm/mmap.c answers, from the layout before the call. */

static bool
has_flag(const struct vma *v, const char *f)
{
	const char *p = v->flags;
	size_t n = strlen(f);

	while ((p = strstr(p, f))) {
		if ((p == v->flags || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/*
 * Same struct file?  /proc shows device and inode; inside the test areas
 * we also know which open() each page came from (the kernel compares the
 * struct file pointer, so a file opened twice is two files).
 */
static const char *
span_file(struct ctx *c, const struct vma *first, unsigned long start,
	  const struct vma *next)
{
	int f1 = fid_at(c, start), f2 = fid_at(c, next->start);

	if (next->ino != first->ino || next->maj != first->maj ||
	    next->min != first->min)
		return "span-file";
	if (f1 > 0 && f2 > 0 && f1 != f2)
		return "span-identity";
	return NULL;
}

/*
 * Neighbours whose /proc/PID/maps lines look alike but whose VmFlags
 * differ: "span-flags-hidden(dd)", naming the flags only one of them has.
 */
static const char *
hidden_flags(const struct vma *a, const struct vma *b)
{
	static __thread char buf[96];
	const struct vma *x = a, *y = b;
	char tok[8];
	size_t len;
	int k, n;

	len = (size_t)snprintf(buf, sizeof(buf), "span-flags-hidden(");
	for (k = 0; k < 2; k++, x = b, y = a) {
		for (const char *p = x->flags; sscanf(p, "%7s%n", tok, &n) == 1;
		     p += n) {
			if (!has_flag(y, tok) && len < sizeof(buf))
				len += (size_t)snprintf(buf + len,
					sizeof(buf) - len, "%s%s",
					buf[len - 1] == '(' ? "" : "+", tok);
		}
	}
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, ")");
	return buf;
}

/* Walk the VMAs after the first one up to @end (mm/mmap.c's loop). */
static const char *
predict_span(struct ctx *c, struct vma *v, unsigned long start,
	     unsigned long end, unsigned int *nvmas)
{
	struct vma *prev = v, *w;
	const char *why;

	for (w = v + 1; w < c->vmas + c->nvma && w->start < end; w++) {
		if (w->start != prev->end)
			return "span-hole";
		why = span_file(c, v, start, w);
		if (why)
			return why;
		if (strcmp(w->flags, v->flags))
			return strcmp(w->perms, v->perms) ?
			       "span-flags" : hidden_flags(v, w);
		++*nvmas;
		if (end <= w->end)
			return NULL;
		prev = w;
	}
	return "span-end";
}

/* "ok", "eoverflow" or the EINVAL rule that applies. */
static const char *
predict(struct ctx *c, unsigned long start, unsigned long size,
	unsigned long prot, unsigned long pgoff, unsigned int *nvmas)
{
	const char *why;
	struct vma *v;

	*nvmas = 1;
	if (prot)
		return "prot";
	start &= ~(pg - 1);
	size &= ~(pg - 1);
	if (start + size <= start)
		return "range";
	if (pgoff + size / pg < pgoff)
		return "pgoff-wrap";
	v = vma_at(c, start);
	if (!v)
		return "no-vma";
	if (!has_flag(v, "sh"))
		return has_flag(v, "ms") ? "not-shared:ro" :
					   "not-shared:private";
	if (start + size > v->end) {
		why = predict_span(c, v, start, start + size, nvmas);
		if (why)
			return why;
	}
	/* do_mmap(): hugetlb's get_unmapped_area, file_mmap_ok(), then
	 * hugetlbfs_file_mmap() */
	if (v->kps > pg && (start % v->kps || size % v->kps))
		return "huge-align";
	/* file_mmap_ok(): the byte offset must fit MAX_LFS_FILESIZE */
	if (size > (unsigned long)LLONG_MAX ||
	    pgoff > ((unsigned long)LLONG_MAX - size) / pg)
		return "eoverflow";
	if (v->kps > pg && pgoff % (v->kps / pg))
		return "huge-pgoff";
	return "ok";
}

/* ------------------------------------------------------------------ */
/* Printing an area: pages (run-length encoded) and VMAs. */

enum pkind { PK_FILE, PK_ZERO, PK_JUNK, PK_SEGV, PK_BUS };

struct run {
	enum pkind kind;
	uint64_t tag;		/* of the first page */
	unsigned long n;
	uint64_t mark;		/* runs of file pages have no markers */
};

static void
put_run(struct ctx *c, const struct run *r)
{
	char name[64], mark[32];

	switch (r->kind) {
	case PK_FILE:
		tag_name(c, r->tag, name, sizeof(name));
		mark_name(c, r->mark, mark, sizeof(mark));
		if (r->n == 1)
			out(c, " %s%s", name, mark);
		else
			out(c, " %s-%u", name,
			    (unsigned int)((r->tag & 0xffff) + r->n - 1));
		return;
	case PK_ZERO:
		mark_name(c, r->mark, mark, sizeof(mark));
		out(c, " zero%s", mark);
		break;
	case PK_JUNK:
		out(c, " junk");
		break;
	case PK_SEGV:
		out(c, " segv");
		break;
	case PK_BUS:
		out(c, " bus");
		break;
	}
	if (r->n > 1)
		out(c, "*%lu", r->n);
}

static bool
extends(const struct run *r, const struct run *p)
{
	if (r->kind != p->kind || r->kind == PK_JUNK)
		return false;
	if (r->kind == PK_ZERO)
		return !r->mark && !p->mark;
	if (r->kind != PK_FILE)
		return true;
	return !r->mark && !p->mark && (p->tag & 0xffff) != 0 &&
	       p->tag == r->tag + r->n;
}

static void
print_pages(struct ctx *c, int i)
{
	struct area *a = &c->area[i];
	struct run r = { .n = 0 }, p;
	uint64_t tag = 0, mark = 0;
	unsigned long k;
	int sig;

	out(c, "  %s pages", kinds[i].name);
	for (k = 0; k < a->npages; k++) {
		sig = probe((const uint64_t *)(a->base + k * pg), &tag, &mark);
		p = (struct run){ .n = 1, .tag = tag, .mark = mark };
		if (sig)
			p.kind = sig == SIGBUS ? PK_BUS : PK_SEGV;
		else if (tag >> 32 == TAG_MAGIC)
			p.kind = PK_FILE;
		else
			p.kind = tag ? PK_JUNK : PK_ZERO;
		c->probes[sig == SIGBUS ? 1 : sig ? 2 : 0]++;
		if (r.n && extends(&r, &p)) {
			r.n++;
			continue;
		}
		if (r.n)
			put_run(c, &r);
		r = p;
	}
	if (r.n)
		put_run(c, &r);
	out(c, "\n");
}

static void
print_vmas(struct ctx *c, int i)
{
	struct area *a = &c->area[i];
	unsigned long b = (unsigned long)a->base, e = b + a->npages * pg;
	unsigned long cur = b, s, t;
	const struct vma *v;
	char kps[32];
	size_t k;

	for (k = 0; k < c->nvma; k++) {
		v = &c->vmas[k];
		if (v->end <= b || v->start >= e)
			continue;
		s = v->start > b ? v->start : b;
		t = v->end < e ? v->end : e;
		if (s > cur)
			out(c, "  %s hole 0x%lx-0x%lx\n", kinds[i].name,
			    cur - b, s - b);
		kps[0] = '\0';
		if (v->kps != pg)
			snprintf(kps, sizeof(kps), " kps=%lukB", v->kps >> 10);
		if (!strcmp(vma_role(c, v), "none"))
			out(c, "  %s vma 0x%lx-0x%lx %s pg=- none%s [%s]\n",
			    kinds[i].name, s - b, t - b, v->perms, kps,
			    v->flags);
		else
			out(c, "  %s vma 0x%lx-0x%lx %s pg=%lu %s%s [%s]\n",
			    kinds[i].name, s - b, t - b, v->perms,
			    (v->off + (s - v->start)) / pg, vma_role(c, v),
			    kps, v->flags);
		cur = t;
	}
	if (cur < e)
		out(c, "  %s hole 0x%lx-0x%lx\n", kinds[i].name, cur - b,
		    e - b);
}

static void
print_area(struct ctx *c, int i)
{
	print_pages(c, i);
	print_vmas(c, i);
}

/* ------------------------------------------------------------------ */
/* Mapping the files. */

static int
map_fd(char *addr, size_t len, int prot, int flags, int fd,
       unsigned long pgoff)
{
	void *p = mmap(addr, len, prot, flags | MAP_FIXED, fd,
		       (off_t)(pgoff * pg));

	return p == MAP_FAILED ? errno : 0;
}

/*
 * Map the file of @o at @addr without a descriptor: mremap(2) with an old
 * size of 0 duplicates a shared mapping, here the observer, so the new
 * VMA maps the very open file the observer maps.
 */
static int
map_dup(struct object *o, char *addr, size_t len, unsigned long pgoff,
	int prot)
{
	void *p;

	p = mremap(o->obs + (pgoff % o->npages) * pg, 0, len,
		   MREMAP_MAYMOVE | MREMAP_FIXED, addr);
	if (p == MAP_FAILED)
		return errno;
	return mprotect(addr, len, prot) ? errno : 0;
}

/* Map an area as it was set up: the whole file from page 0. */
static int
area_map(struct ctx *c, int i)
{
	const struct kind *k = &kinds[i];
	struct object *o = &c->obj[i];
	struct area *a = &c->area[i];
	size_t len = a->npages * pg, half = len / 2;
	int flags = k->priv ? MAP_PRIVATE : MAP_SHARED, r;

	if (k->twin) {
		r = map_fd(a->base, half, a->prot, flags, o->fd, 0);
		if (!r)
			r = map_fd(a->base + half, half, a->prot, flags,
				   o->fd2, half / pg);
		fid_set(c, i, (unsigned long)a->base, half, o->fid);
		fid_set(c, i, (unsigned long)a->base + half, half, o->fid2);
	} else {
		if (o->fd >= 0)
			r = map_fd(a->base, len, a->prot, flags, o->fd, 0);
		else
			r = map_dup(o, a->base, len, 0, a->prot);
		fid_set(c, i, (unsigned long)a->base, len, o->fid);
	}
	if (!r && k->lock && mlock(a->base, len))
		r = errno;
	return r;
}

/* Fill a file through @fd with its tags. */
static int
tag_fd(struct ctx *c, int i, int fd, unsigned long npages)
{
	uint64_t *buf = calloc(1, pg);
	unsigned long p;
	int r = 0;

	if (!buf)
		die("out of memory");
	for (p = 0; p < npages && !r; p++) {
		buf[0] = tag_of(c->id, i, p);
		if (pwrite(fd, buf, pg, (off_t)(p * pg)) != (ssize_t)pg)
			r = errno ? errno : EIO;
	}
	free(buf);
	return r;
}

static void
tag_mem(struct ctx *c, int i, char *mem, unsigned long npages)
{
	unsigned long p;

	for (p = 0; p < npages; p++)
		*(uint64_t *)(mem + p * pg) = tag_of(c->id, i, p);
}

static char *
obs_addr(struct ctx *c, int i)
{
	if (kinds[i].store == ST_HUGE)
		return c->region + OFF_HUGE_OBS;
	return c->region + OFF_OBS + (unsigned long)i * OBS_STRIDE;
}

static int
make_path(struct ctx *c, int i, char *buf, size_t size)
{
	const char *d = kinds[i].store == ST_TMPFS ? opt.shm_dir : opt.dir;
	struct statfs sf;

	if (kinds[i].store == ST_TMPFS &&
	    (statfs(d, &sf) || sf.f_type != TMPFS_MAGIC)) {
		snprintf(c->skip[i], sizeof(c->skip[i]),
			 "%s is not a tmpfs mount", d);
		return -1;
	}
	snprintf(buf, size, "%s/rtconf-%d-t%d-%s", d, (int)getpid(), c->id,
		 kinds[i].role);
	return 0;
}

#define SKIP(c, i, what, err) \
	(snprintf((c)->skip[i], sizeof((c)->skip[i]), "%s: %s", (what), \
		  ename(err)), -1)

/* Create the file of kind @i, tagged, with its observer mapped. */
static int
make_object(struct ctx *c, int i)
{
	const struct kind *k = &kinds[i];
	struct object *o = &c->obj[i];
	unsigned long len;
	int fd = -1, r;

	o->npages = k->store == ST_HUGE ? HUGE_OBJ * (HUGE_WANT / pg) :
					   OBJ_PAGES;
	len = o->npages * pg;
	o->obs = obs_addr(c, i);
	if (k->store == ST_ANON) {
		if (mmap(o->obs, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			return SKIP(c, i, "mmap MAP_SHARED|MAP_ANONYMOUS", errno);
		tag_mem(c, i, o->obs, o->npages);
		o->fid = new_fid(c, i);
		return 0;
	}
	if (k->store == ST_MEMFD || k->store == ST_HUGE) {
		fd = memfd_create(k->role, MFD_CLOEXEC |
				  (k->store == ST_HUGE ? MFD_HUGETLB : 0));
		if (fd < 0)
			return SKIP(c, i, "memfd_create", errno);
	} else {
		if (make_path(c, i, o->path, sizeof(o->path)))
			return -1;
		fd = open(o->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0)
			return SKIP(c, i, "open", errno);
	}
	if (ftruncate(fd, (off_t)len))
		return SKIP(c, i, "ftruncate", errno);
	if (k->store == ST_HUGE) {
		/* hugetlbfs has no write(): tag through the observer */
		r = map_fd(o->obs, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (r) {
			close(fd);
			return SKIP(c, i, "mmap of a MFD_HUGETLB memfd", r);
		}
		tag_mem(c, i, o->obs, o->npages);
		/*
		 * Read-only over HUGE_RESV pages: reserves them all for the
		 * file (hugetlbfs_file_mmap()) without growing it, which only
		 * a writable mapping does.
		 */
		r = map_fd(o->obs, HUGE_RESV * HUGE_WANT, PROT_READ,
			   MAP_SHARED, fd, 0);
		if (r) {
			close(fd);
			return SKIP(c, i, "reserving the huge pages", r);
		}
	} else if ((r = tag_fd(c, i, fd, o->npages))) {
		return SKIP(c, i, "pwrite", r);
	}
	if (k->rdonly) {
		close(fd);
		fd = open(o->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return SKIP(c, i, "open O_RDONLY", errno);
	}
	o->fd = fd;
	o->fid = new_fid(c, i);
	if (k->twin) {
		o->fd2 = open(o->path, O_RDWR | O_CLOEXEC);
		if (o->fd2 < 0)
			return SKIP(c, i, "second open", errno);
		o->fid2 = new_fid(c, i);
	}
	if (k->store != ST_HUGE &&
	    (r = map_fd(o->obs, len, PROT_READ, MAP_SHARED, fd, 0)))
		return SKIP(c, i, "mmap observer", r);
	return 0;
}

static int
setup_kind(struct ctx *c, int i)
{
	const struct kind *k = &kinds[i];
	struct object *o = &c->obj[i];
	struct area *a = &c->area[i];
	int r;

	o->fd = o->fd2 = -1;
	a->gran = k->store == ST_HUGE ? HUGE_WANT / pg : 1;
	a->npages = k->store == ST_HUGE ? HUGE_AREA * a->gran : AREA_PAGES;
	a->base = k->store == ST_HUGE ? c->region + OFF_HUGE :
		  c->region + OFF_AREAS +
		  (unsigned long)i * (AREA_PAGES + GUARD_PAGES) * pg;
	a->prot = k->rdonly ? PROT_READ : PROT_READ | PROT_WRITE;
	a->fid = calloc(a->npages, sizeof(int));
	if (!a->fid)
		die("out of memory");
	if (make_object(c, i))
		return -1;
	r = area_map(c, i);
	if (r)
		return SKIP(c, i, "mapping the area", r);
	if (k->store == ST_ANON)
		mprotect(o->obs, o->npages * pg, PROT_READ);
	if (!k->keep_fd) {
		close(o->fd);
		o->fd = -1;
	}
	if (k->unlink) {
		unlink(o->path);
		o->path[0] = '\0';
	}
	o->on = true;
	return 0;
}

/* Undo a half-made kind so that it leaves nothing in the areas. */
static void
drop_kind(struct ctx *c, int i)
{
	struct object *o = &c->obj[i];

	if (o->fd >= 0)
		close(o->fd);
	if (o->fd2 >= 0)
		close(o->fd2);
	o->fd = o->fd2 = -1;
	if (o->path[0])
		unlink(o->path);
	o->path[0] = '\0';
	mmap(c->area[i].base, c->area[i].npages * pg, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (o->obs)
		mmap(o->obs, kinds[i].store == ST_HUGE ? HUGE_RESV * HUGE_WANT :
		     o->npages * pg, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		     -1, 0);
}

static void
reserve_region(struct ctx *c)
{
	unsigned long hint = REGION_HINT + (unsigned long)c->id * REGION_STRIDE;
	unsigned long a;
	void *p;

	p = mmap((void *)hint, REGION_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0);
	if (p == (void *)hint) {
		c->region = p;
		return;
	}
	if (p != MAP_FAILED)
		munmap(p, REGION_SIZE);
	/* elsewhere, aligned to a huge page */
	p = mmap(NULL, REGION_SIZE + HUGE_WANT, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("cannot reserve %lu MiB: %s", REGION_SIZE / MB,
		    strerror(errno));
	a = ((unsigned long)p + HUGE_WANT - 1) & ~(HUGE_WANT - 1);
	c->region = (char *)a;
}

static void
huge_reason(struct ctx *c, int i)
{
	char line[128], why[96];
	long total = -1, size = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &total);
		sscanf(line, "Hugepagesize: %ld", &size);
	}
	if (f)
		fclose(f);
	if (size != (long)(HUGE_WANT >> 10)) {
		snprintf(c->skip[i], sizeof(c->skip[i]),
			 "the default huge page is %ld kB, the test lays out "
			 "2048 kB pages", size);
		return;
	}
	snprintf(why, sizeof(why), "%s", c->skip[i]);
	snprintf(c->skip[i], sizeof(c->skip[i]),
		 "%s (HugePages_Total %ld, %d needed; as root: "
		 "echo 8 > /proc/sys/vm/nr_hugepages)", why, total, HUGE_RESV);
}

static void
setup_ctx(struct ctx *c)
{
	int i;

	reserve_region(c);
	for (i = 0; i < NKINDS; i++) {
		c->obj[i].fd = c->obj[i].fd2 = -1;
		if (!(opt.kinds & 1u << i))
			continue;
		if (kinds[i].twin && !opt.identity) {
			snprintf(c->skip[i], sizeof(c->skip[i]),
				 "--no-identity leaves out two open files of "
				 "one inode");
			continue;
		}
		if (kinds[i].store == ST_HUGE && c->id) {
			snprintf(c->skip[i], sizeof(c->skip[i]),
				 "huge pages are exercised by t0 only");
			continue;
		}
		if (kinds[i].store == ST_HUGE && pg * 512 != HUGE_WANT) {
			snprintf(c->skip[i], sizeof(c->skip[i]),
				 "the layout assumes 4 KiB base pages");
			continue;
		}
		if (setup_kind(c, i)) {
			if (kinds[i].store == ST_HUGE)
				huge_reason(c, i);
			drop_kind(c, i);
		}
	}
	read_smaps(c);
	for (i = 0; i < NKINDS; i++) {
		struct vma *v;

		if (!c->obj[i].on)
			continue;
		/* dev and inode as /proc shows them (stat may differ) */
		v = vma_at(c, (unsigned long)c->obj[i].obs);
		if (!v)
			die("observer of %s is not mapped", kinds[i].role);
		c->obj[i].maj = v->maj;
		c->obj[i].min = v->min;
		c->obj[i].ino = v->ino;
	}
	fid_sync(c);
}

/* ------------------------------------------------------------------ */
/* Operations. */

static unsigned long
area_addr(struct ctx *c, const struct op *op)
{
	return (unsigned long)c->area[op->area].base +
	       (unsigned long)(op->page * (long)pg);
}

/* Where a remap starts, and how the trace names it. */
static unsigned long
target_addr(struct ctx *c, const struct op *op, char *buf, size_t size)
{
	static const char *const names[TG__COUNT] = {
		[TG_NULL] = "null", [TG_KERNEL] = "kernel", [TG_TOP] = "top",
		[TG_STACK] = "stack", [TG_VDSO] = "vdso", [TG_TEXT] = "text",
	};
	unsigned long a = 0;
	long rel;
	int local;

	switch (op->target) {
	case TG_AREA:
		rel = op->page * (long)pg + (long)op->byte;
		snprintf(buf, size, "%s%c0x%lx", kinds[op->area].name,
			 rel < 0 ? '-' : '+',
			 rel < 0 ? (unsigned long)-rel : (unsigned long)rel);
		return area_addr(c, op) + op->byte;
	case TG_NULL:
		a = 0;
		break;
	case TG_KERNEL:
		a = KERNEL_ADDR;
		break;
	case TG_TOP:
		a = -pg;
		break;
	case TG_STACK:
		a = (unsigned long)&local & ~(pg - 1);
		break;
	case TG_VDSO:
		a = getauxval(AT_SYSINFO_EHDR);
		break;
	case TG_TEXT:
		a = (unsigned long)(uintptr_t)&target_addr & ~(pg - 1);
		break;
	case TG__COUNT:
		break;
	}
	snprintf(buf, size, "@%s+0x%lx", names[op->target], op->byte);
	return a + op->byte;
}

static const char *
remap_label(const char *pred, unsigned int nvmas, int err, char *buf,
	    size_t size)
{
	bool ok = !strcmp(pred, "ok"), ovf = !strcmp(pred, "eoverflow");

	if (!err && ok)
		return nvmas > 1 ? "ok:span" : "ok";
	if (err == EINVAL && !ok && !ovf)
		snprintf(buf, size, "einval:%s", pred);
	else if (err == EOVERFLOW && ovf)
		return "eoverflow";
	else if (err && err != EINVAL && ok)
		snprintf(buf, size, "mmap:%s", ename(err));
	else
		snprintf(buf, size, "MISMATCH:pred=%s:got=%s", pred,
			 ename(err));
	return buf;
}

/* One counter per label; span-flags-hidden also one per flag. */
static void
count_remap(struct ctx *c, const char *lab)
{
	const char *p = strchr(lab, '(');
	char tok[8];
	int n;

	if (!p || strncmp(lab, "einval:span-flags-hidden(", 25)) {
		count(c, "remap %s", lab);
		return;
	}
	count(c, "remap einval:span-flags-hidden");
	for (p++; sscanf(p, "%7[a-z]%n", tok, &n) == 1; p += n + 1)
		count(c, "remap einval:span-flags-hidden, only one has %s",
		      tok);
}

static void
exec_remap(struct ctx *c, const struct op *op)
{
	char where[64], size_s[48], pgoff_s[32], res[32], buf[160];
	unsigned long start, size;
	const char *pred, *lab;
	unsigned int nv;
	long r;
	int err, f;

	start = target_addr(c, op, where, sizeof(where));
	size = op->wrap ? -start + op->size : op->size;
	if (op->wrap)
		snprintf(size_s, sizeof(size_s), "-start+0x%lx", op->size);
	else
		snprintf(size_s, sizeof(size_s), "0x%lx", size);
	snprintf(pgoff_s, sizeof(pgoff_s),
		 op->pgoff < 1000000 ? "%lu" : "0x%lx", op->pgoff);
	pred = predict(c, start, size, op->prot, op->pgoff, &nv);
	f = fid_at(c, start & ~(pg - 1));
	errno = 0;
	r = syscall(SYS_remap_file_pages, start, size, op->prot, op->pgoff,
		    op->flags);
	err = r ? errno : 0;
	lab = remap_label(pred, nv, err, buf, sizeof(buf));
	out(c, "op %u remap %s size=%s prot=0x%lx pgoff=%s flags=0x%lx = %s "
	    "[%s]\n", c->nop, where, size_s, op->prot, pgoff_s, op->flags,
	    result(res, sizeof(res), err), lab);
	count_remap(c, lab);
	if (!r && op->target == TG_AREA)
		fid_set(c, op->area, start & ~(pg - 1), size & ~(pg - 1), f);
}

static unsigned long
obj_pages(struct object *o)
{
	struct stat st;

	if (o->fd >= 0 && !fstat(o->fd, &st))
		return (unsigned long)st.st_size / pg;
	return o->npages;
}

static void
obj_read(struct object *o, unsigned long p, uint64_t *tag, uint64_t *mark)
{
	uint64_t w[MARK_OFF / 8 + 1] = { 0 };

	if (o->fd >= 0) {
		if (pread(o->fd, w, sizeof(w), (off_t)(p * pg)) !=
		    (ssize_t)sizeof(w))
			memset(w, 0, sizeof(w));
	} else {
		memcpy(w, o->obs + p * pg, sizeof(w));
	}
	*tag = w[0];
	*mark = w[MARK_OFF / 8];
}

/*
 * Find where @mark landed: "fileA:7", several, or "none".  Files with an
 * open descriptor are read with pread(2), the others through their
 * observer (a closed descriptor cannot be read any other way).
 */
static void
find_mark(struct ctx *c, uint64_t mark, bool huge, char *buf, size_t size)
{
	unsigned long p, n;
	uint64_t tag, m;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < NKINDS; i++) {
		if (!c->obj[i].on || (kinds[i].store == ST_HUGE) != huge)
			continue;
		n = obj_pages(&c->obj[i]);
		for (p = 0; p < n; p++) {
			obj_read(&c->obj[i], p, &tag, &m);
			if (m == mark && len < size)
				len += (size_t)snprintf(buf + len, size - len,
							"%s%s:%lu",
							len ? "," : "",
							kinds[i].role, p);
		}
	}
	if (!len)
		snprintf(buf, size, "none");
}

static void
exec_write(struct ctx *c, const struct op *op)
{
	unsigned long addr = area_addr(c, op);
	char seen[64], want[64], landed[256];
	const char *lab;
	uint64_t tag, old, mark;
	struct vma *v;
	int sig;

	sig = probe((const uint64_t *)addr, &tag, &old);
	if (sig)
		snprintf(seen, sizeof(seen), "%s", sig == SIGBUS ? "bus" : "segv");
	else
		tag_name(c, tag, seen, sizeof(seen));
	mark = MARK_MAGIC << 48 | (uint64_t)c->id << 40 |
	       (uint64_t)c->child << 39 | c->nop;
	sig = poke((uint64_t *)addr, mark);
	if (sig) {
		out(c, "op %u write %s+0x%lx seen %s = %s\n", c->nop,
		    kinds[op->area].name, op->page * pg, seen,
		    sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
		count(c, "write %s", sig == SIGBUS ? "sigbus" : "sigsegv");
		return;
	}
	find_mark(c, mark, kinds[op->area].store == ST_HUGE, landed,
		  sizeof(landed));
	/*
	 * Where it must land: the file page the VMA maps there.  The page
	 * showed that page's tag, or zeros where hugetlbfs grew the file.
	 */
	v = vma_at(c, addr);
	want[0] = '\0';
	if (v)
		snprintf(want, sizeof(want), "%s:%lu", vma_role(c, v),
			 (v->off + (addr - v->start)) / pg);
	if (!strcmp(want, landed) &&
	    (!strcmp(seen, landed) || !strcmp(seen, "zero")))
		lab = "verified";
	else if (!strcmp(landed, "none") && v && !has_flag(v, "ms"))
		lab = "private";
	else
		lab = "MISMATCH";
	out(c, "op %u write %s+0x%lx seen %s -> %s [%s]\n", c->nop,
	    kinds[op->area].name, op->page * pg, seen, landed, lab);
	count(c, "write %s", lab);
}

static const char *const src_names[] = {
	[SRC_SAME] = "same", [SRC_NORESERVE] = "noreserve",
	[SRC_READONLY] = "readonly", [SRC_LOCKED] = "locked",
	[SRC_OTHER] = "other", [SRC_REOPEN] = "reopen",
	[SRC_PRIVATE] = "private",
};


/*
 * Map for an OP_MMAP.  *fid gets the open file mapped, @how what was done
 * ("same", "dup" for a duplicate of the observer when the descriptor is
 * closed, "other:memfd0", "reopen" for a new open() of the same path).
 */
static int
map_source(struct ctx *c, const struct op *op, char *addr, int *fid,
	   char *how, size_t hsize)
{
	const struct kind *k = &kinds[op->area];
	struct object *o = &c->obj[op->area];
	int prot = c->area[op->area].prot;
	int flags = k->priv ? MAP_PRIVATE : MAP_SHARED, fd, r;
	int src = op->arg;

	snprintf(how, hsize, "%s", src_names[src]);
	switch (src) {
	case SRC_OTHER:
		o = &c->obj[op->other];
		snprintf(how, hsize, "other:%s", kinds[op->other].role);
		prot = PROT_READ | PROT_WRITE;
		flags = MAP_SHARED;
		break;
	case SRC_REOPEN:
		fd = open(o->path, (k->rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0)
			return errno;
		*fid = new_fid(c, op->area);
		r = map_fd(addr, op->size, prot, flags, fd, op->pgoff);
		close(fd);
		return r;
	case SRC_NORESERVE:
		flags |= MAP_NORESERVE;
		break;
	case SRC_READONLY:
		prot = PROT_READ;
		break;
	case SRC_LOCKED:
		flags |= MAP_LOCKED;
		break;
	case SRC_PRIVATE:
		flags = MAP_PRIVATE;
		break;
	default:
		break;
	}
	*fid = o->fid;
	if (o->fd >= 0)
		return map_fd(addr, op->size, prot, flags, o->fd, op->pgoff);
	/* closed descriptor: only a duplicate of the observer can map it */
	if (src != SRC_OTHER)
		snprintf(how, hsize, "dup%s",
			 src == SRC_READONLY ? "-readonly" : "");
	return map_dup(o, addr, op->size, op->pgoff, prot);
}

static void
exec_mmap(struct ctx *c, const struct op *op)
{
	unsigned long addr = area_addr(c, op);
	char how[48], res[32], *colon;
	int fid = 0, err;

	err = map_source(c, op, (char *)addr, &fid, how, sizeof(how));
	out(c, "op %u mmap %s+0x%lx len=0x%lx pgoff=%lu %s = %s\n", c->nop,
	    kinds[op->area].name, op->page * pg, op->size, op->pgoff, how,
	    result(res, sizeof(res), err));
	colon = strchr(how, ':');
	if (colon)
		*colon = '\0';
	count(c, "mmap %s %s", how, err ? ename(err) : "ok");
	if (!err)
		fid_set(c, op->area, addr, op->size, fid);
}

static const char *
prot_name(int prot)
{
	static const char *const names[] = {
		"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx",
	};

	return names[prot & 7];
}

static const char *
advice_name(int adv)
{
	switch (adv) {
	case MADV_NORMAL:	return "MADV_NORMAL";
	case MADV_RANDOM:	return "MADV_RANDOM";
	case MADV_SEQUENTIAL:	return "MADV_SEQUENTIAL";
	case MADV_WILLNEED:	return "MADV_WILLNEED";
	case MADV_DONTNEED:	return "MADV_DONTNEED";
	case MADV_DONTFORK:	return "MADV_DONTFORK";
	case MADV_DOFORK:	return "MADV_DOFORK";
	case MADV_DONTDUMP:	return "MADV_DONTDUMP";
	case MADV_DODUMP:	return "MADV_DODUMP";
	case MADV_HUGEPAGE:	return "MADV_HUGEPAGE";
	case MADV_NOHUGEPAGE:	return "MADV_NOHUGEPAGE";
	default:		return "MADV_?";
	}
}

/* mprotect, madvise, munmap, mlock: the layout changes between remaps. */
static void
exec_layout(struct ctx *c, const struct op *op)
{
	char *addr = (char *)area_addr(c, op), res[32];
	const char *name, *what = "";
	int r, err;

	switch (op->type) {
	case OP_MPROTECT:
		name = "mprotect";
		what = prot_name(op->arg);
		r = mprotect(addr, op->size, op->arg);
		break;
	case OP_MADVISE:
		name = "madvise";
		what = advice_name(op->arg);
		r = madvise(addr, op->size, op->arg);
		break;
	case OP_MUNMAP:
		name = "munmap";
		r = munmap(addr, op->size);
		break;
	default:
		if (op->arg == LK_LOCK) {
			name = "mlock";
			r = mlock(addr, op->size);
		} else if (op->arg == LK_UNLOCK) {
			name = "munlock";
			r = munlock(addr, op->size);
		} else {
			name = "mlock2";
			what = "MLOCK_ONFAULT";
			r = mlock2(addr, op->size, MLOCK_ONFAULT);
		}
		break;
	}
	err = r ? errno : 0;
	out(c, "op %u %s %s+0x%lx len=0x%lx%s%s = %s\n", c->nop, name,
	    kinds[op->area].name, op->page * pg, op->size, *what ? " " : "",
	    what, result(res, sizeof(res), err));
	count(c, "%s %s", name, err ? ename(err) : "ok");
	if (!err && op->type == OP_MUNMAP)
		fid_set(c, op->area, (unsigned long)addr, op->size, 0);
}

/* Unmap the area and map it again as set up. */
static void
exec_reset(struct ctx *c, const struct op *op)
{
	struct area *a = &c->area[op->area];
	char res[32];
	int err;

	err = munmap(a->base, a->npages * pg) ? errno : 0;
	if (!err)
		err = area_map(c, op->area);
	out(c, "op %u reset %s = %s\n", c->nop, kinds[op->area].name,
	    result(res, sizeof(res), err));
	count(c, "reset %s", err ? ename(err) : "ok");
}

static void
run_op(struct ctx *c, const struct op *op)
{
	c->nop++;
	switch (op->type) {
	case OP_REMAP:
		exec_remap(c, op);
		break;
	case OP_WRITE:
		exec_write(c, op);
		break;
	case OP_MMAP:
		exec_mmap(c, op);
		break;
	case OP_RESET:
		exec_reset(c, op);
		break;
	default:
		exec_layout(c, op);
		break;
	}
	refresh(c);
	if (op->type != OP_REMAP || op->target == TG_AREA)
		print_area(c, op->area);
	if (c->out == stdout)
		fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* The prologue: every rule once, in each kind of area, whatever the seed. */

static struct op
op_remap(int i, long page, unsigned long size, unsigned long pgoff)
{
	return (struct op){ .type = OP_REMAP, .area = i, .page = page,
			    .size = size, .pgoff = pgoff };
}

static struct op
op_on(enum op_type type, int i, long page, unsigned long npages, int arg)
{
	return (struct op){ .type = type, .area = i, .page = page,
			    .size = npages * pg, .arg = arg };
}

static struct op
op_mmap(int i, long page, unsigned long npages, unsigned long pgoff,
	enum src src)
{
	struct op o = op_on(OP_MMAP, i, page, npages, (int)src);

	o.pgoff = pgoff;
	return o;
}

static void
run(struct ctx *c, struct op o)
{
	run_op(c, &o);
}

/* Arguments: rounding, size 0 and below a page, overflow, wrap, EOF. */
static void
prologue_args(struct ctx *c, int i)
{
	struct op o;

	run(c, op_remap(i, 2, pg, 10));		/* splits the area in three */
	run(c, op_remap(i, 1, 3 * pg, 5));	/* spans the three pieces */
	run(c, op_on(OP_WRITE, i, 2, 0, 0));
	o = op_remap(i, 0, pg + 100, OBJ_PAGES - 1);
	o.byte = 123;				/* rounded down: one page */
	run(c, o);
	run(c, op_remap(i, 4, 0, 4));
	run(c, op_remap(i, 4, 100, 4));
	run(c, op_remap(i, 4, pg, OBJ_PAGES + 2));	/* past EOF: SIGBUS */
	run(c, op_remap(i, 5, 2 * pg, ULONG_MAX));	/* pgoff wraps */
	run(c, op_remap(i, 5, pg, BIG(51)));		/* EOVERFLOW */
	run(c, op_remap(i, 5, pg, BIG(51) - 2));	/* the last that fits */
	o = op_remap(i, 6, pg, 6);
	o.prot = PROT_READ;
	run(c, o);
	o.prot = 0;
	o.flags = 0xdead0000;			/* junk flags are dropped */
	run(c, o);
	o = op_remap(i, 6, 2 * pg, 6);
	o.flags = MAP_NONBLOCK;
	run(c, o);
	o = op_remap(i, 7, pg, 7);
	o.wrap = true;				/* start + size wraps */
	run(c, o);
}

/* Spans: flags, holes, flags only smaps shows, the guard, the end. */
static void
prologue_spans(struct ctx *c, int i)
{
	run(c, op_on(OP_MPROTECT, i, 9, 1, PROT_READ));
	run(c, op_remap(i, 8, 3 * pg, 8));
	run(c, op_on(OP_MPROTECT, i, 9, 1, PROT_READ | PROT_WRITE));
	run(c, op_remap(i, 8, 3 * pg, 8));
	run(c, op_on(OP_MUNMAP, i, 12, 1, 0));
	run(c, op_remap(i, 11, 3 * pg, 11));
	run(c, op_mmap(i, 12, 1, 12, SRC_SAME));
	run(c, op_on(OP_MADVISE, i, 13, 1, MADV_DONTDUMP));
	run(c, op_remap(i, 12, 3 * pg, 12));
	run(c, op_on(OP_MADVISE, i, 13, 1, MADV_DODUMP));
	run(c, op_on(OP_MLOCK, i, 13, 1, LK_ONFAULT));
	run(c, op_remap(i, 12, 3 * pg, 12));
	run(c, op_on(OP_MLOCK, i, 13, 1, LK_UNLOCK));
	run(c, op_mmap(i, 14, 1, 14, SRC_NORESERVE));
	run(c, op_remap(i, 13, 3 * pg, 13));
	run(c, op_remap(i, AREA_PAGES - 1, 2 * pg, 15));	/* into the guard */
	run(c, op_remap(i, -1, pg, 0));				/* the guard */
	run(c, op_remap(i, AREA_PAGES, pg, 0));
	run(c, op_on(OP_RESET, i, 0, 0, 0));
	run(c, op_on(OP_MUNMAP, i, 14, 2, 0));
	run(c, op_remap(i, 13, 3 * pg, 13));	/* the VMAs end first */
	run(c, op_on(OP_RESET, i, 0, 0, 0));
	run(c, op_remap(i, 0, AREA_PAGES * pg, 4));
	run(c, op_on(OP_WRITE, i, 0, 0, 0));
	run(c, op_on(OP_RESET, i, 0, 0, 0));
}

/* Two halves from two open()s of one file: the kernel refuses a span. */
static void
prologue_twin(struct ctx *c, int i)
{
	run(c, op_remap(i, 6, 4 * pg, 6));
	run(c, op_remap(i, 0, 8 * pg, 8));
	run(c, op_remap(i, 8, 8 * pg, 0));
	run(c, op_remap(i, 4, 8 * pg, 0));
	run(c, op_on(OP_WRITE, i, 9, 0, 0));
	run(c, op_on(OP_RESET, i, 0, 0, 0));
	run(c, op_remap(i, 0, AREA_PAGES * pg, 2));
	run(c, op_on(OP_RESET, i, 0, 0, 0));
}

static void
prologue_huge(struct ctx *c, int i)
{
	long g = (long)c->area[i].gran;

	run(c, op_remap(i, 0, g * pg, 2 * g));
	run(c, op_remap(i, g, g * pg, 0));
	run(c, op_remap(i, 0, 2 * g * pg, g));	/* two VMAs, one file */
	run(c, op_remap(i, 1, g * pg, 0));	/* start not huge-aligned */
	run(c, op_remap(i, 0, pg, 0));		/* size not huge-aligned */
	run(c, op_remap(i, g, g * pg, 3));	/* pgoff: EINVAL, unmapped */
	run(c, op_on(OP_WRITE, i, 5, 0, 0));
	run(c, op_remap(i, 0, g * pg, 4 * g));	/* past EOF: the file grows */
	run(c, op_on(OP_RESET, i, 0, 0, 0));
}

static void
prologue(struct ctx *c)
{
	static const enum target outside[] = {
		TG_NULL, TG_KERNEL, TG_TOP, TG_STACK, TG_VDSO, TG_TEXT,
	};
	struct op o;
	size_t t;
	int i;

	out(c, "== prologue t%d ==\n", c->id);
	for (i = 0; i < NKINDS; i++) {
		if (!c->obj[i].on)
			continue;
		switch (kind_class(i)) {
		case CL_SHARED:
			prologue_args(c, i);
			prologue_spans(c, i);
			break;
		case CL_TWIN:
			prologue_twin(c, i);
			break;
		case CL_HUGE:
			prologue_huge(c, i);
			break;
		case CL_RO:
		case CL_PRIV:
			run(c, op_remap(i, 0, pg, 1));
			run(c, op_remap(i, 0, AREA_PAGES * pg, 0));
			run(c, op_on(OP_WRITE, i, 3, 0, 0));
			run(c, op_on(OP_MPROTECT, i, 0, 1,
				     PROT_READ | PROT_WRITE));
			break;
		}
	}
	for (t = 0; t < sizeof(outside) / sizeof(outside[0]); t++) {
		o = op_remap(0, 0, pg, 0);
		o.target = outside[t];
		run(c, o);
	}
	o.target = TG_NULL;
	o.byte = 123;
	run(c, o);
}

/* ------------------------------------------------------------------ */
/* The generator: operations from the seed alone, never from results. */

static int
pick_area(struct ctx *c)
{
	int on[NKINDS], n = 0, i;

	for (i = 0; i < NKINDS; i++)
		if (c->obj[i].on)
			on[n++] = i;
	return n ? on[rnd(c, (uint64_t)n)] : -1;
}

/* A first granule and a length of 1..3 granules inside the area. */
static void
gen_range(struct ctx *c, struct op *op)
{
	struct area *a = &c->area[op->area];
	unsigned long n = a->npages / a->gran, k = rnd(c, n);
	unsigned long most = n - k < 3 ? n - k : 3;

	op->page = (long)(k * a->gran);
	op->size = (1 + rnd(c, most)) * a->gran * pg;
}

static void
gen_remap(struct ctx *c, struct op *op)
{
	static const unsigned long big[] = {
		BIG(51), BIG(51) - 1, BIG(51) - 2, BIG(51) - 3,
		BIG(52), BIG(60), ULONG_MAX >> 12,
	};
	static const unsigned long prots[] = { PROT_READ, PROT_EXEC, 0x80,
					       ~0UL };
	static const unsigned long flagset[] = {
		MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_POPULATE, MAP_LOCKED,
		MAP_HUGETLB, MAP_NONBLOCK | MAP_POPULATE, MAP_ANONYMOUS,
	};
	struct area *a = &c->area[op->area];
	unsigned long g = a->gran, n = a->npages / g, r, most;
	unsigned long objn = c->obj[op->area].npages / g;
	long k;

	op->type = OP_REMAP;
	k = chance(c, 88) ? (long)rnd(c, n) : (long)rnd(c, n + 4) - 2;
	op->page = k * (long)g;
	if (g > 1 && chance(c, 10))
		op->page += 1 + (long)rnd(c, g - 1);
	if (chance(c, 10))
		op->byte = 1 + rnd(c, pg - 1);
	r = rnd(c, 100);
	if (r < 4) {
		op->size = 0;
	} else if (r < 8) {
		op->size = 1 + rnd(c, pg - 1);
	} else if (r < 11) {
		op->wrap = true;
		op->size = (1 + rnd(c, 3)) * pg;
	} else if (r < 13) {
		op->size = BIG(40) ? BIG(40) : ULONG_MAX & ~(pg - 1);
	} else if (r < 15) {
		op->size = (1 + rnd(c, 4)) * pg;
	} else {
		most = k >= 0 && (unsigned long)k < n ? n - (unsigned long)k : 1;
		op->size = (1 + rnd(c, chance(c, 80) ? most : n + 1)) * g * pg;
		if (chance(c, 10))
			op->size += 1 + rnd(c, pg - 1);
	}
	r = rnd(c, 100);
	if (r < 3)
		op->pgoff = ULONG_MAX - rnd(c, 8);
	else if (r < 6)
		op->pgoff = big[rnd(c, sizeof(big) / sizeof(big[0]))];
	else if (r < 10 && g > 1)
		op->pgoff = rnd(c, (objn + 1) * g);
	else	/* huge: at most HUGE_RESV pages reach */
		op->pgoff = g * rnd(c, objn + (g > 1 ? 2 : 3));
	if (chance(c, 4))
		op->prot = prots[rnd(c, 4)];
	r = rnd(c, 100);
	if (r >= 90)
		op->flags = flagset[rnd(c, sizeof(flagset) / sizeof(flagset[0]))];
	else if (r >= 82)
		op->flags = rnd(c, 1ULL << 32);
	else if (r >= 70)
		op->flags = MAP_NONBLOCK;
}

static void
gen_outside(struct ctx *c, struct op *op)
{
	op->type = OP_REMAP;
	op->target = (enum target)(1 + rnd(c, TG__COUNT - 1));
	op->byte = chance(c, 30) ? rnd(c, pg) : 0;
	op->size = (1 + rnd(c, 4)) * pg;
	op->pgoff = rnd(c, 8);
}

/* Another file a shared area may show: -1 if none. */
static int
pick_other(struct ctx *c)
{
	int i = (int)rnd(c, NKINDS);

	if (!c->obj[i].on ||
	    (kind_class(i) != CL_SHARED && kind_class(i) != CL_TWIN))
		return -1;
	return i;
}

static void
gen_mmap(struct ctx *c, struct op *op)
{
	struct area *a = &c->area[op->area];
	unsigned long r = rnd(c, 100);
	bool reopen = opt.identity && c->obj[op->area].path[0];
	int other = pick_other(c);

	op->type = OP_MMAP;
	gen_range(c, op);
	op->pgoff = a->gran * rnd(c, c->obj[op->area].npages / a->gran);
	switch (kind_class(op->area)) {
	case CL_HUGE:
		op->arg = r < 15 ? SRC_NORESERVE : SRC_SAME;
		return;
	case CL_RO:
		op->arg = r < 30 && reopen ? SRC_REOPEN : SRC_SAME;
		return;
	case CL_PRIV:
		op->arg = r < 20 && other >= 0 ? SRC_OTHER : SRC_SAME;
		break;
	default:
		op->arg = r < 35 ? SRC_SAME : r < 50 ? SRC_NORESERVE :
			  r < 60 ? SRC_READONLY : r < 68 ? SRC_LOCKED :
			  r < 82 ? SRC_OTHER : r < 92 ? SRC_REOPEN :
			  SRC_PRIVATE;
		break;
	}
	if (op->arg == SRC_OTHER && other < 0)
		op->arg = SRC_SAME;
	if (op->arg == SRC_REOPEN && !reopen)
		op->arg = SRC_SAME;
	op->other = other;
}

static void
gen_layout(struct ctx *c, struct op *op)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ,
		PROT_NONE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	static const int advice[] = {
		MADV_DONTDUMP, MADV_DODUMP, MADV_RANDOM, MADV_SEQUENTIAL,
		MADV_NORMAL, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTFORK,
		MADV_DOFORK, MADV_WILLNEED, MADV_DONTNEED,
	};
	unsigned long r = rnd(c, 100);

	gen_range(c, op);
	if (r < 35) {
		op->type = OP_MPROTECT;
		op->arg = prots[rnd(c, sizeof(prots) / sizeof(prots[0]))];
	} else if (r < 70) {
		op->type = OP_MADVISE;
		op->arg = advice[rnd(c, sizeof(advice) / sizeof(advice[0]))];
	} else if (r < 85) {
		op->type = OP_MUNMAP;
	} else {
		op->type = OP_MLOCK;
		op->arg = (int)rnd(c, 3);
	}
}

static void
gen_op(struct ctx *c, struct op *op)
{
	unsigned long r;

	memset(op, 0, sizeof(*op));
	op->area = pick_area(c);
	r = rnd(c, 100);
	if (op->area < 0 || r < 3) {
		op->area = op->area < 0 ? 0 : op->area;
		gen_outside(c, op);
	} else if (r < 48) {
		gen_remap(c, op);
	} else if (r < 60) {
		op->type = OP_WRITE;
		op->page = (long)rnd(c, c->area[op->area].npages);
	} else if (r < 70) {
		gen_mmap(c, op);
	} else if (r < 97) {
		gen_layout(c, op);
	} else {
		op->type = OP_RESET;
	}
}

/* ------------------------------------------------------------------ */
/* The end of a run: every area, every file's markers, the counters. */

static void
print_object(struct ctx *c, int i)
{
	struct object *o = &c->obj[i];
	unsigned long p, n = obj_pages(o), bad = 0;
	uint64_t tag, mark;
	char m[32];

	out(c, "object %s pages=%lu marks", kinds[i].role, n);
	for (p = 0; p < n; p++) {
		obj_read(o, p, &tag, &mark);
		if (tag != tag_of(c->id, i, p) && (tag || p < o->npages))
			bad++;
		if (mark) {
			mark_name(c, mark, m, sizeof(m));
			out(c, " %lu%s", p, m);
		}
	}
	out(c, " tags=%s\n", bad ? "BROKEN" : "ok");
}

static int
cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->key,
		      ((const struct counter *)b)->key);
}

static void
print_final(struct ctx *c)
{
	size_t k;
	int i;

	out(c, "== final t%d%s ==\n", c->id, c->child ? " child" : "");
	for (i = 0; i < NKINDS; i++)
		if (c->obj[i].on)
			print_area(c, i);
	for (i = 0; i < NKINDS; i++)
		if (c->obj[i].on)
			print_object(c, i);
	qsort(c->cnt, c->ncnt, sizeof(*c->cnt), cmp_counter);
	for (k = 0; k < c->ncnt; k++)
		out(c, "count %s %lu\n", c->cnt[k].key, c->cnt[k].n);
	out(c, "count probe page %lu\n", c->probes[0]);
	out(c, "count probe sigbus %lu\n", c->probes[1]);
	out(c, "count probe sigsegv %lu\n", c->probes[2]);
}

/*
 * The child runs @nops operations of its own over the inherited areas
 * (seccomp filters and the supervisor follow it) while the parent waits,
 * so the output stays in one order.
 */
static void
run_child(struct ctx *c, unsigned long nops)
{
	char how[48];
	unsigned long k;
	struct op op;
	pid_t pid;
	int st;

	fflush(c->out);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		c->child = true;
		c->rng = seed_state(opt.seed, 0x8000 | (uint64_t)c->id);
		c->ncnt = 0;
		memset(c->probes, 0, sizeof(c->probes));
		out(c, "== child of t%d ==\n", c->id);
		refresh(c);
		for (k = 0; k < nops; k++) {
			gen_op(c, &op);
			run_op(c, &op);
		}
		print_final(c);
		fflush(c->out);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof(how), "signal %s",
			 sigabbrev_np(WTERMSIG(st)) ?: "?");
	out(c, "== parent of t%d: child %s ==\n", c->id, how);
	refresh(c);
}

static void
run_ctx(struct ctx *c)
{
	unsigned long k;
	struct op op;
	int i;

	out(c, "== context t%d ==\n", c->id);
	setup_ctx(c);
	for (i = 0; i < NKINDS; i++)
		if (c->skip[i][0])
			out(c, "skip %s: %s\n", kinds[i].name, c->skip[i]);
	for (i = 0; i < NKINDS; i++) {
		if (!c->obj[i].on)
			continue;
		out(c, "setup %s: %s, %s descriptor%s\n", kinds[i].name,
		    kinds[i].role, kinds[i].keep_fd ? "open" : "closed",
		    kinds[i].unlink ? ", deleted" : "");
		print_area(c, i);
	}
	if (opt.prologue)
		prologue(c);
	out(c, "== random t%d ==\n", c->id);
	for (k = 0; k < opt.ops; k++) {
		if (opt.fork && c->id == 0 && k == opt.ops / 2)
			run_child(c, opt.ops - k);
		gen_op(c, &op);
		run_op(c, &op);
	}
	print_final(c);
}

static void *
thread_main(void *arg)
{
	run_ctx(arg);
	return NULL;
}

static void
cleanup(void)
{
	int t, i;

	for (t = 0; t <= opt.threads; t++)
		for (i = 0; i < NKINDS; i++)
			if (ctxs[t].obj[i].path[0])
				unlink(ctxs[t].obj[i].path);
	if (dir_made)
		rmdir(dir_buf);
}

/* ------------------------------------------------------------------ */

static void __attribute__((noreturn))
usage(int status)
{
	int i;

	fprintf(status ? stderr : stdout,
"usage: conformance [--seed N] [--ops M] [--kinds LIST] [--threads T]\n"
"                   [--fork] [--dir DIR] [--shm-dir DIR] [--no-identity]\n"
"                   [--anon-merge] [--no-prologue]\n"
"Runs a prologue that meets every rule of remap_file_pages(2) once, then\n"
"M operations drawn from seed N, and prints a canonical trace on stdout.\n"
"  --kinds LIST   comma-separated kinds of mapping (default: all):\n"
"                ");
	for (i = 0; i < NKINDS; i++)
		fprintf(status ? stderr : stdout, " %s", kinds[i].name);
	fprintf(status ? stderr : stdout, "\n"
"  --threads T    T more threads, each with its own areas and files\n"
"  --fork         a forked child runs the second half's operations first\n"
"  --dir DIR      where the files on disk go (default: a new directory\n"
"                 in /var/tmp)\n"
"  --shm-dir DIR  where the tmpfs file goes (default: /dev/shm)\n"
"  --no-identity  leave out what depends on the open file (struct file)\n"
"                 behind a VMA, which /proc does not show: no file is\n"
"                 opened twice (no kind twice, no mmap from a reopen), and\n"
"                 adjacent VMAs of one file at contiguous offsets with\n"
"                 identical flags are shown merged, as the kernel merges\n"
"                 them only within one open file\n"
"  --anon-merge   the same merging for shared anonymous memory only, whose\n"
"                 open file no descriptor ever named: remaptrace maps a new\n"
"                 open file of the same pages there (its README says so)\n"
"Exit status: 0, 2 for bad usage, 99 when the harness itself failed.\n");
	exit(status);
}

static unsigned int
parse_kinds(const char *list)
{
	char buf[512], *tok, *save = NULL;
	unsigned int mask = 0;
	int i;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			mask = ~0u;
			continue;
		}
		for (i = 0; i < NKINDS; i++)
			if (!strcmp(tok, kinds[i].name))
				break;
		if (i == NKINDS) {
			fprintf(stderr, "conformance: unknown kind %s\n", tok);
			usage(2);
		}
		mask |= 1u << i;
	}
	return mask;
}

static unsigned long
parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "conformance: bad number %s\n", s);
		usage(2);
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--fork")) {
			opt.fork = true;
			continue;
		} else if (!strcmp(a, "--no-identity")) {
			opt.identity = false;
			continue;
		} else if (!strcmp(a, "--anon-merge")) {
			opt.anon_merge = true;
			continue;
		} else if (!strcmp(a, "--no-prologue")) {
			opt.prologue = false;
			continue;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(0);
		}
		if (!v)
			usage(2);
		i++;
		if (!strcmp(a, "--seed"))
			opt.seed = parse_num(v, ULONG_MAX);
		else if (!strcmp(a, "--ops"))
			opt.ops = parse_num(v, 10000000);
		else if (!strcmp(a, "--threads"))
			opt.threads = (int)parse_num(v, MAX_CTX - 1);
		else if (!strcmp(a, "--kinds"))
			opt.kinds = parse_kinds(v);
		else if (!strcmp(a, "--dir"))
			opt.dir = v;
		else if (!strcmp(a, "--shm-dir"))
			opt.shm_dir = v;
		else
			usage(2);
	}
}

static void
print_facts(void)
{
	char line[128];
	long total = -1, size = -1;
	FILE *f = fopen("/proc/meminfo", "re");
	int i;

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &total);
		sscanf(line, "Hugepagesize: %ld", &size);
	}
	if (f)
		fclose(f);
	printf("conformance seed=%" PRIu64 " ops=%lu threads=%d fork=%s "
	       "identity=%s anon-merge=%s prologue=%s\n", opt.seed, opt.ops,
	       opt.threads, opt.fork ? "yes" : "no",
	       opt.identity ? "yes" : "no", opt.anon_merge ? "yes" : "no",
	       opt.prologue ? "yes" : "no");
	printf("fact page-size %lu\n", pg);
	printf("fact hugetlb default %ld kB, HugePages_Total %ld\n", size,
	       total);
	printf("fact kinds");
	for (i = 0; i < NKINDS; i++)
		if (opt.kinds & 1u << i)
			printf(" %s", kinds[i].name);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_fault,
				.sa_flags = SA_NODEFER };
	pthread_t tids[MAX_CTX];
	struct ctx *c;
	int t, r;

	parse_args(argc, argv);
	pg = (unsigned long)sysconf(_SC_PAGESIZE);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die("sigaction: %s", strerror(errno));
	if (!opt.dir) {
		snprintf(dir_buf, sizeof(dir_buf), "/var/tmp/rtconf.XXXXXX");
		if (!mkdtemp(dir_buf))
			die("mkdtemp %s: %s", dir_buf, strerror(errno));
		dir_made = true;
		opt.dir = dir_buf;
	}
	print_facts();
	for (t = 0; t <= opt.threads; t++) {
		c = &ctxs[t];
		c->id = t;
		c->rng = seed_state(opt.seed, (uint64_t)t);
		c->out = t ? open_memstream(&c->outbuf, &c->outlen) : stdout;
		if (!c->out)
			die("open_memstream: %s", strerror(errno));
	}
	for (t = 1; t <= opt.threads; t++) {
		r = pthread_create(&tids[t], NULL, thread_main, &ctxs[t]);
		if (r)
			die("pthread_create: %s", strerror(r));
	}
	run_ctx(&ctxs[0]);
	for (t = 1; t <= opt.threads; t++) {
		pthread_join(tids[t], NULL);
		fclose(ctxs[t].out);
		fwrite(ctxs[t].outbuf, 1, ctxs[t].outlen, stdout);
	}
	fflush(stdout);
	cleanup();
	return 0;
}
