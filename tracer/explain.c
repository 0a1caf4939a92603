/* explain.c - `remaptrace explain`: judge one remap_file_pages call
 * against a live process's current mappings, as a dry run.  The process
 * is only read through /proc/PID/smaps (parsed by emu/maps.c, judged by
 * emu/validate.c) and, as root, a BPF iterator (vmfile.c): never
 * stopped, never traced.
 *
 * Exit status: 0 when the call would succeed, 1 when it would fail, 2
 * when it cannot tell from outside (the range spans mappings of one file,
 * and /proc does not say whether they map one open file; root reads that
 * with the iterator), 125 on a usage error or when the process's
 * mappings cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_describe.h"
#include "rt_eof.h"
#include "rt_maps.h"
#include "rt_names.h"
#include "rt_explain.h"
#include "rt_util.h"
#include "rt_vmfile.h"

#define EXIT_WOULD_FAIL	1
#define EXIT_CANNOT_TELL	2
#define EXIT_USAGE	125

/* include/linux/sched.h: a kernel thread has no user address space. */
#define PF_KTHREAD	0x00200000

static const char explain_usage[] =
"Usage: remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]\n"
"Judge remap_file_pages(START, SIZE, PROT, PGOFF, FLAGS) against the\n"
"current mappings of process PID, as the kernel would, without stopping\n"
"or changing it.  Numbers are decimal or 0x hex; PROT and FLAGS may also\n"
"be names joined by '|' (PROT_NONE, MAP_NONBLOCK).\n"
"\n"
"  -p, --pid=PID   the process whose mappings to use\n"
"  -h, --help      show this help and exit\n"
"\n"
"Exit status: 0 if the call would succeed, 1 if it would fail, 2 if it\n"
"cannot tell (the range spans mappings of one file, which may be two\n"
"open files of it: only root, with a BPF iterator, can read which), 125\n"
"on a usage error or if the process cannot be read.\n";

/* Decimal, or hex after 0x; the whole string, no sign, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -EINVAL : 0;
}

/*
 * A name of one mmap flag or prot bit, found by asking the log's own
 * decoder (emu/names.c) to name each candidate value, so that the names
 * accepted here are exactly the names the log prints.
 */
static int
parse_name(const char *tok, size_t len, bool prot, uint64_t *out)
{
	char buf[64];

	if (prot && len == 9 && !strncmp(tok, "PROT_NONE", len)) {
		*out = 0;
		return 0;
	}
	for (int b = 0; b < (prot ? 31 : 64); b++) {
		uint64_t v = 1ULL << b;

		if (prot)
			rt_names_prot((int)v, buf, sizeof(buf));
		else
			rt_names_mapflags(v, buf, sizeof(buf));
		if (strlen(buf) == len && !strncmp(buf, tok, len)) {
			*out = v;
			return 0;
		}
	}
	/* The mapping type MAP_SHARED_VALIDATE is two bits, 0x03. */
	rt_names_mapflags(3, buf, sizeof(buf));
	if (!prot && strlen(buf) == len && !strncmp(buf, tok, len)) {
		*out = 3;
		return 0;
	}
	return -EINVAL;
}

/* "MAP_NONBLOCK|0x100", "0x10000", "PROT_NONE". */
static int
parse_bits(const char *s, bool prot, uint64_t *out)
{
	char num[32];
	uint64_t v;

	*out = 0;
	for (;;) {
		size_t len = strcspn(s, "|");

		if (len == 0)
			return -EINVAL;
		if (len < sizeof(num)) {
			memcpy(num, s, len);
			num[len] = '\0';
		} else {
			num[0] = '\0';
		}
		if (parse_u64(num, &v) < 0 && parse_name(s, len, prot, &v) < 0)
			return -EINVAL;
		*out |= v;
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

static int __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("remaptrace: explain: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'remaptrace explain --help' for more information.\n",
	      stderr);
	return EXIT_USAGE;
}

/* Parse the command line; returns -1 to go on, or an exit status. */
static int
parse(int argc, char **argv, pid_t *pid, struct rt_remap_args *a)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const what[] = { "START", "SIZE", "PROT", "PGOFF",
					    "FLAGS" };
	uint64_t *val[] = { &a->start, &a->size, &a->prot, &a->pgoff,
			    &a->flags };
	uint64_t p = 0;
	int c, n, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, &p) < 0 || !p || p > INT32_MAX)
				return bad_usage("invalid pid '%s'", optarg);
			break;
		case 'h':
			fputs(explain_usage, stdout);
			return 0;
		case ':':
			return bad_usage("option '%s' needs an argument",
					 argv[optind - 1]);
		default:
			return bad_usage("invalid option '%s'",
					 argv[optind - 1]);
		}
	}
	if (!p)
		return bad_usage("%s", "no process given (-p PID)");
	n = argc - optind;
	if (n < 4 || n > 5)
		return bad_usage("%s", "needs START SIZE PROT PGOFF [FLAGS]");
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < n; i++) {
		const char *arg = argv[optind + i];

		r = i == 2 || i == 4 ? parse_bits(arg, i == 2, val[i]) :
				       parse_u64(arg, val[i]);
		if (r < 0)
			return bad_usage("invalid %s '%s'", what[i], arg);
	}
	*pid = (pid_t)p;
	return -1;
}

/* A snapshot of a process's VMAs from /proc/PID/smaps, in address order.
 * files_known: each file VMA's file_id is its open file (vmfile.c), not
 * a guess from its path. */
struct snapshot {
	struct rt_vma *v;
	size_t n;
	bool files_known;
};

static int
read_text(pid_t pid, char **text, size_t *len)
{
	_cleanup_close_ int fd = -1;
	size_t cap = 0;
	char path[64], *nb;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : rt_neg_errno();
	*len = 0;
	for (;;) {
		if (cap - *len < 65536) {
			cap = cap ? cap * 2 : 262144;
			nb = realloc(*text, cap);
			if (!nb)
				return -ENOMEM;
			*text = nb;
		}
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rt_neg_errno();
		if (n == 0)
			return 0;
		*len += n;
	}
}

/*
 * Why a live process has no mappings: a kernel thread (no user address
 * space at all), or a zombie (its mm released).  Read from
 * /proc/PID/stat: the state (field 3) and the flags (field 9).
 */
static int
why_empty(pid_t pid)
{
	char path[64], buf[1024], state;
	unsigned long flags;
	const char *p;
	ssize_t n;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* the name in parentheses may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state,
			 &flags) != 2)
		return -ESRCH;
	if (flags & PF_KTHREAD)
		return -EMEDIUMTYPE;	/* said as a kernel thread */
	if (state == 'Z' || state == 'X')
		return -ECHILD;		/* said as a zombie */
	return -ESRCH;
}

/*
 * One open file has one path (its f_path): mappings of one inode under
 * two names are two open files, which the kernel never spans.  file_id
 * tells those apart; mappings of one name keep one id, and whether they
 * are one open file stays open (see cannot_tell()).
 */
static void
name_files(struct snapshot *s)
{
	uint64_t next = 1;

	for (size_t i = 0; i < s->n; i++) {
		struct rt_vma *v = &s->v[i];

		if (!v->ino)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct rt_vma *w = &s->v[j];

			if (w->ino == v->ino && w->dev_major == v->dev_major &&
			    w->dev_minor == v->dev_minor &&
			    !strcmp(w->name, v->name)) {
				v->file_id = w->file_id;
				break;
			}
		}
		if (!v->file_id)
			v->file_id = next++;
	}
}

/*
 * Root (CAP_BPF and CAP_PERFMON) can read each mapping's open file with a
 * BPF iterator: then file_id is the kernel's vm_file and the verdict is
 * exact.  A mapping that changed between the two reads stays unknown.
 */
static bool
known_files(pid_t pid, struct snapshot *s)
{
	_cleanup_free_ struct rt_vmfile *f = NULL;
	size_t nf = 0, j = 0;

	if (rt_vmfile_read(pid, &f, &nf) < 0)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		struct rt_vma *v = &s->v[i];

		/* both in address order */
		while (j < nf && f[j].start < v->start)
			j++;
		if (j < nf && f[j].start == v->start && f[j].end == v->end &&
		    (f[j].file != 0) == (v->ino != 0))
			v->file_id = f[j].file;
		else if (v->ino)
			return false;
	}
	return true;
}

static int
load(pid_t pid, struct snapshot *s)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, max = 256;
	int r;

	r = read_text(pid, &text, &len);
	if (r < 0)
		return r;
	/* An empty smaps: a zombie, or a kernel thread. */
	if (len == 0)
		return why_empty(pid);
	for (;;) {
		free(s->v);
		s->v = calloc(max, sizeof(*s->v));
		if (!s->v)
			return -ENOMEM;
		r = rt_smaps_parse(text, len, s->v, max, &s->n);
		if (r != -E2BIG)
			break;
		max *= 4;
	}
	if (r == 0 && known_files(pid, s)) {
		s->files_known = true;
	} else if (r == 0) {
		for (size_t i = 0; i < s->n; i++)
			s->v[i].file_id = 0;
		name_files(s);
	}
	return r;
}

/* find_vma(): the first VMA whose end lies above @addr. */
static int
find(void *arg, uint64_t addr, bool exact, struct rt_vma *out)
{
	const struct snapshot *s = arg;
	size_t lo = 0, hi = s->n;

	(void)exact;	/* smaps gives the whole VmFlags set */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->n)
		return -ENOENT;
	*out = s->v[lo];
	return 0;
}

static void
print_valid(const struct rt_verdict *v, bool files_known)
{
	printf("verdict: = 0 (%s)\n", rt_rule_text(v->rule));
	printf("mmap:    ");
	rt_describe_mmap(stdout, v);
	printf("\n");
	if (v->plan.nvmas > 1)
		printf("note:    the range covers %u mappings%s; they become "
		       "one\n", v->plan.nvmas, files_known && v->first.ino ?
		       " of one open file (read with a BPF iterator)" : "");
	if (v->first.flags & RT_VM_SEALED)
		printf("note:    the mapping is sealed (mseal): the mmap "
		       "itself would fail with EPERM\n");
}

static void
print_invalid(const struct rt_remap_args *a, const struct rt_verdict *v,
	      uint64_t page_size)
{
	const char *e = rt_names_errno(v->err);

	printf("verdict: = -1 %s (%s)\n", e ? e : "E?", rt_rule_text(v->rule));
	printf("rule:    %s\n", rt_rule_id(v->rule));
	printf("why:     ");
	rt_describe_why(stdout, a, v, page_size);
	printf("\n");
	if (v->rule >= RT_RULE_SPAN_HOLE && v->rule <= RT_RULE_SPAN_END &&
	    v->have_vma) {
		printf("culprit: ");
		rt_describe_vma(stdout, &v->vma);
		printf("\n");
	}
	if (v->action == RT_ACT_MUNMAP)
		printf("note:    the kernel unmaps %#" PRIx64 "-%#" PRIx64
		       " before failing\n", v->plan.addr,
		       v->plan.addr + v->plan.len);
}

/*
 * The kernel spans mappings only of one open file (vma->vm_file); /proc
 * shows device, inode and path, and one file opened twice looks the same
 * through both.  Short of the BPF iterator (root, vmfile.c), nothing
 * shows a mapping's open file from outside the process (kcmp compares
 * descriptors, and a mapping need not have one), so without it a valid
 * verdict over mappings of one path is a guess, and explain says so.  Returns whether it cannot tell; the
 * mappings at *@a_start and *@b_start are the first pair that continue
 * each other's offsets yet were not merged (0 if none): the kernel merges
 * such neighbours when they map one open file.
 */
static bool
cannot_tell(const struct snapshot *s, const struct rt_verdict *v,
	    uint64_t *a_start, uint64_t *b_start)
{
	uint64_t end = v->plan.addr + v->plan.len;

	*a_start = *b_start = 0;
	if (v->err || v->plan.nvmas < 2 || !v->first.ino || s->files_known)
		return false;
	for (size_t i = 0; i + 1 < s->n; i++) {
		const struct rt_vma *x = &s->v[i], *y = &s->v[i + 1];

		if (x->end <= v->first.start || y->start >= end)
			continue;
		if (x->offset + (x->end - x->start) == y->offset &&
		    x->flags == y->flags) {
			*a_start = x->start;
			*b_start = y->start;
			break;
		}
	}
	return true;
}

static void
print_cannot_tell(const struct rt_verdict *v, uint64_t a_start,
		  uint64_t b_start)
{
	printf("verdict: cannot tell: = 0 if its %u mappings of ",
	       v->plan.nvmas);
	rt_describe_str(stdout, rt_describe_name(&v->first));
	printf(" are one open file, = -1 EINVAL (%s) if the file was opened "
	       "more than once\n", rt_rule_id(RT_RULE_SPAN_FILE));
	printf("why:     the kernel spans mappings of one open file only; "
	       "/proc shows a mapping's file (device, inode, path), never "
	       "which open file it is\n");
	printf("hint:    under remaptrace, which follows the program's mmaps "
	       "and tells its open files apart, the call's log line gives "
	       "the answer\n");
	if (a_start)
		printf("note:    the mappings at %#" PRIx64 " and %#" PRIx64
		       " continue each other's offsets with the same flags "
		       "yet were not merged, as one open file's would be: "
		       "most likely two open files, and EINVAL\n",
		       a_start, b_start);
	printf("mmap:    ");
	rt_describe_mmap(stdout, v);
	printf("\n");
}

/* "warning: pgoff 12288 is past the end of the file (4 pages): ..." */
static void
print_eof(pid_t pid, const struct rt_remap_args *a,
	  const struct rt_verdict *v, uint64_t page_size)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	uint64_t size;
	bool said;
	FILE *f;

	if (v->err || !v->first.end ||
	    rt_eof_size(pid, &v->first, -1, &size) < 0)
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	said = rt_eof_describe(f, a, size, page_size);
	if (fclose(f) == 0 && said)
		printf("warning: %s\n", text);
}

static const char *
unreadable(int err)
{
	switch (err) {
	case -EMEDIUMTYPE:
		return "it is a kernel thread, with no user address space "
		       "(no program runs in it)";
	case -ECHILD:
		return "it has exited (a zombie not yet waited for): its "
		       "mappings are gone";
	default:
		return strerror(-err);
	}
}

/**
 * rt_explain_main() - `remaptrace explain -p PID START SIZE PROT PGOFF
 * [FLAGS]`.  @argv[0] is "explain".  Prints the call, the verdict with
 * the rule and the values that broke it, the VMA at start, and for a
 * valid call the mmap that emulating it would make.
 * Return: the exit status (0 would succeed, 1 would fail, 2 cannot tell,
 * 125 error).
 */
int
rt_explain_main(int argc, char **argv)
{
	uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	struct snapshot snap = { 0 };
	struct rt_vma_lookup lk = { .find = find, .ctx = &snap };
	struct rt_remap_args a;
	struct rt_verdict v;
	uint64_t x = 0, y = 0;
	bool unsure = false;
	pid_t pid = 0;
	int r;

	r = parse(argc, argv, &pid, &a);
	if (r >= 0)
		return r;
	r = load(pid, &snap);
	if (r == 0)
		r = rt_remap_validate(&a, page_size, &lk, &v);
	if (r == 0)
		unsure = cannot_tell(&snap, &v, &x, &y);
	free(snap.v);
	snap.v = NULL;
	if (r < 0) {
		fprintf(stderr, "remaptrace: explain: cannot read the mappings "
			"of process %d: %s\n", pid, unreadable(r));
		return EXIT_USAGE;
	}
	printf("call:    ");
	rt_describe_call(stdout, &a);
	printf(" in pid %d\n", pid);
	if (v.err)
		print_invalid(&a, &v, page_size);
	else if (unsure)
		print_cannot_tell(&v, x, y);
	else
		print_valid(&v, snap.files_known);
	print_eof(pid, &a, &v, page_size);
	printf("offset:  ");
	rt_describe_pgoff(stdout, a.pgoff, page_size);
	printf("\nvma:     ");
	if (v.first.end)
		rt_describe_vma(stdout, &v.first);
	else if (v.rule == RT_RULE_NO_VMA)
		printf("none contains start");
	else
		printf("not looked up (the kernel checks this rule first)");
	printf("\n");
	if (v.err)
		return EXIT_WOULD_FAIL;
	return unsure ? EXIT_CANNOT_TELL : 0;
}
