/* rfpbench.c - tracee-side micro benchmark for remaptrace: times its own
 * remap_file_pages(2) or getppid(2) loop and prints one key=value line.
 *
 *   rfpbench [--bare-filter] remap --pages N --iters K [--vmas V]
 *            [--threads T] [--warmup W] [--time-limit SECONDS]
 *   rfpbench [--bare-filter] getppid --iters K
 *   rfpbench mmaps --count N [--unmap]
 *   rfpbench db --procs P --pool-mib M --windows W --iters K [--pages N]
 *            [--warmup W] [--time-limit SECONDS]
 *
 * remap: each thread owns a window of N pages of one memfd, mapped
 * MAP_SHARED, and alternates it between two file offsets (pgoff base and
 * base + N), so every call really replaces the mapping, exactly like a
 * program that pages through a file.  V extra VMAs are created first (one
 * anonymous region with alternating protections, so nothing merges) to
 * grow the address space the supervisor has to search; --hidden makes one
 * unrelated call first that sets or clears a VMA flag PROCMAP_QUERY does
 * not show (mlock+munlock of another page, madvise(MADV_DONTDUMP) of
 * another mapping, or mlockall(MCL_CURRENT)+munlockall).  After the loop the
 * window is read back: each file page holds its own index, so a call that
 * "succeeded" without mapping the right pages is caught (exit 2).
 *
 * getppid: a system call no supervisor intercepts; with --bare-filter a
 * one-rule libseccomp filter is loaded first, the floor of any
 * filter-based tool.
 *
 * mmaps: N shared mappings of one small file, each through an open file
 * of its own (open(2) of /proc/self/fd/M makes a new open file
 * description; the descriptor is closed after its mmap), timed as a
 * whole: the cost of following shared mmaps (which open file backs which
 * range) as a program with many mapped files pays it.  --unmap unmaps
 * each mapping at once (records of unmapped ranges must not pile up).
 *
 * db: a database's buffer pool (rfpdb.c): P processes share one locked
 * pool of M MiB and page W windows each onto pool pages.
 *
 * The output also carries the context switches of this process
 * (getrusage) and of its supervisor (TracerPid, else the parent: every
 * thread in /proc/PID/task/<tid>/status) across the timed loop, and the
 * supervisor's VmHWM at the end, so that a run under a tracer reports its
 * cost in switches and memory without the tracer's help.
 *
 * Exit codes: 0 ok; 1 a call failed or setup failed; 2 the pages seen
 * after the loop were wrong; 64 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rfpbench.h"

/* One remapping thread: its window, its latencies, its verdict. */
struct worker {
	pthread_t thread;
	const struct opts *o;
	pthread_barrier_t *start;
	unsigned char *addr;	/* the window */
	uint64_t base;		/* first of its 2 * pages file pages */
	uint64_t *lat;		/* iters latencies, ns */
	uint64_t t_begin, t_end;
	long done;		/* timed calls completed */
	int err;		/* 0, errno of a failed call, or -1 verify */
};

/* Context switches and memory of a process, summed over its threads. */
struct pstat {
	unsigned long long vcsw, ivcsw;
	long hwm_kb;
	char comm[32];
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static const char *const hidden_names[] = {
	[RFP_HIDDEN_NONE] = "none",
	[RFP_HIDDEN_MLOCK] = "mlock",
	[RFP_HIDDEN_MADVISE] = "madvise",
	[RFP_HIDDEN_MLOCKALL] = "mlockall",
};

static uint64_t
percentile(const uint64_t *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return v[rank > n ? n - 1 : rank - 1];
}

/* Value of "Key:" in a /proc status text, or -1. */
static long long
status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int
read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/**
 * pstat_read() - context switches of every thread of @pid, its VmHWM and
 * comm.  Returns 0 or -errno (the process may be gone or unreadable).
 */
static int
pstat_read(pid_t pid, struct pstat *ps)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;
	int r;

	memset(ps, 0, sizeof(*ps));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = read_text(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	ps->hwm_kb = (long)status_field(buf, "VmHWM:");
	if (sscanf(buf, "Name:\t%31s", ps->comm) != 1)
		strcpy(ps->comm, "?");

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char tpath[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(tpath, sizeof(tpath), "/proc/%d/task/%s/status",
			 (int)pid, de->d_name);
		if (read_text(tpath, buf, sizeof(buf)) < 0)
			continue;	/* thread exited meanwhile */
		ps->vcsw += (unsigned long long)
			status_field(buf, "voluntary_ctxt_switches:");
		ps->ivcsw += (unsigned long long)
			status_field(buf, "nonvoluntary_ctxt_switches:");
	}
	closedir(d);
	return 0;
}

/* The supervisor: --supervisor-pid, else our tracer, else our parent. */
static pid_t
supervisor_pid(const struct opts *o, const char **src)
{
	char buf[4096];
	long long tracer;

	if (o->sup_pid > 0) {
		*src = "option";
		return o->sup_pid;
	}
	if (read_text("/proc/self/status", buf, sizeof(buf)) == 0) {
		tracer = status_field(buf, "TracerPid:");
		if (tracer > 0) {
			*src = "tracer";
			return (pid_t)tracer;
		}
	}
	*src = "parent";
	return getppid();
}

/**
 * bare_filter_load() - the cheapest filter a tool can install: allow
 * everything, one ERRNO rule for a call nobody here makes (acct).
 * Returns 0 or -errno from libseccomp.
 */
static int
bare_filter_load(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(acct), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/**
 * make_filler_vmas() - add @n VMAs: n anonymous pages whose protection
 * alternates PROT_READ / PROT_NONE, so no two neighbours merge
 * (mm/vma.c merges only equal vm_flags).  Returns 0 or -errno.
 */
static int
make_filler_vmas(long n)
{
	unsigned char *p;

	if (n <= 0)
		return 0;
	p = mmap(NULL, (size_t)n * (size_t)rfp_page_size, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (long i = 1; i < n; i += 2)
		if (mprotect(p + i * rfp_page_size, (size_t)rfp_page_size,
			     PROT_NONE))
			return -errno;
	return 0;
}


/* Window shows file pages from @pgoff on?  0, or -1. */
static int
verify_window(const struct worker *w, uint64_t pgoff)
{
	for (long k = 0; k < w->o->pages; k++) {
		uint64_t got = *(volatile uint64_t *)(w->addr + k * rfp_page_size);

		if (got != pgoff + (uint64_t)k) {
			fprintf(stderr, "rfpbench: page %ld of window at %p "
				"holds file page %" PRIu64 ", want %" PRIu64
				"\n", k, (void *)w->addr, got,
				pgoff + (uint64_t)k);
			return -1;
		}
	}
	return 0;
}

/* pgoff used by call number @i (counting warm-up): never the current. */
static uint64_t
pgoff_of(const struct worker *w, long i)
{
	return w->base + ((i & 1) ? 0 : (uint64_t)w->o->pages);
}

static void *
remap_worker(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	size_t size = (size_t)o->pages * (size_t)rfp_page_size;
	uint64_t deadline;
	long i, n = 0;

	for (i = 0; i < o->warmup; i++, n++)
		if (remap_file_pages(w->addr, size, 0, pgoff_of(w, n), 0))
			goto fail;
	pthread_barrier_wait(w->start);
	w->t_begin = rfp_now_ns();
	deadline = o->time_limit > 0 ?
		w->t_begin + (uint64_t)(o->time_limit * 1e9) : UINT64_MAX;
	for (i = 0; i < o->iters; i++, n++) {
		uint64_t t0 = rfp_now_ns();

		if (t0 > deadline)
			break;
		if (remap_file_pages(w->addr, size, 0, pgoff_of(w, n), 0))
			goto fail;
		w->lat[i] = rfp_now_ns() - t0;
		w->done = i + 1;
		/* Two calls in 64 (both offsets), outside the timed span:
		 * an answer of 0 that mapped nothing fails here. */
		if ((i & 63) < 2 &&
		    *(volatile uint64_t *)w->addr != pgoff_of(w, n))
			goto wrong;
	}
	w->t_end = rfp_now_ns();
	if (verify_window(w, pgoff_of(w, n - 1)))
		w->err = -1;
	return NULL;
wrong:
	w->t_end = rfp_now_ns();
	verify_window(w, pgoff_of(w, n));	/* says what it saw */
	w->err = -1;
	return NULL;
fail:
	w->err = errno;
	w->t_end = rfp_now_ns();
	return NULL;
}

static void
print_switches(const struct rusage *r0, const struct rusage *r1,
	       const struct pstat *s0, const struct pstat *s1, int sup_ok,
	       const char *src, long calls)
{
	double c = calls > 0 ? (double)calls : 1.0;

	printf(" self_vcsw_per_call=%.3f self_ivcsw_per_call=%.3f",
	       (double)(r1->ru_nvcsw - r0->ru_nvcsw) / c,
	       (double)(r1->ru_nivcsw - r0->ru_nivcsw) / c);
	if (sup_ok < 0) {
		printf(" sup_src=none\n");
		return;
	}
	printf(" sup_src=%s sup_comm=%s sup_vcsw_per_call=%.3f"
	       " sup_ivcsw_per_call=%.3f sup_hwm_kb=%ld\n", src, s1->comm,
	       (double)(s1->vcsw - s0->vcsw) / c,
	       (double)(s1->ivcsw - s0->ivcsw) / c, s1->hwm_kb);
}

static int
setup_workers(const struct opts *o, struct worker *w, int fd)
{
	size_t size = (size_t)o->pages * (size_t)rfp_page_size;

	for (long t = 0; t < o->threads; t++) {
		w[t].o = o;
		w[t].base = (uint64_t)(2 * o->pages * t);
		w[t].addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, (off_t)(w[t].base *
							 (uint64_t)rfp_page_size));
		if (w[t].addr == MAP_FAILED)
			return -errno;
		w[t].lat = calloc((size_t)o->iters, sizeof(uint64_t));
		if (!w[t].lat)
			return -ENOMEM;
	}
	return 0;
}

/* Start threads 1..T-1 and run thread 0 here, all released together. */
static int
run_workers(const struct opts *o, struct worker *w)
{
	pthread_barrier_t start;
	long t;
	int r = 0;

	pthread_barrier_init(&start, NULL, (unsigned)o->threads);
	for (t = 0; t < o->threads; t++)
		w[t].start = &start;
	for (t = 1; t < o->threads; t++) {
		r = pthread_create(&w[t].thread, NULL, remap_worker, &w[t]);
		if (r) {
			/* the barrier would never open: give up at once */
			fprintf(stderr, "rfpbench: pthread_create: %s\n",
				strerror(r));
			return -r;
		}
	}
	remap_worker(&w[0]);
	for (t = 1; t < o->threads; t++)
		pthread_join(w[t].thread, NULL);
	pthread_barrier_destroy(&start);
	return 0;
}

/*
 * Merge the threads' latencies into @all (sorted), their span into
 * @t_begin/@t_end.  Returns 0, 1 when a call failed, EXIT_VERIFY when a
 * window showed the wrong pages.
 */
static int
merge_workers(const struct opts *o, const struct worker *w, uint64_t *all,
	      long *calls, uint64_t *t_begin, uint64_t *t_end)
{
	int ret = 0;

	*calls = 0;
	*t_begin = UINT64_MAX;
	*t_end = 0;
	for (long t = 0; t < o->threads; t++) {
		if (w[t].err > 0) {
			fprintf(stderr, "rfpbench: remap_file_pages(%p, %ld "
				"pages) in thread %ld: %s\n", (void *)w[t].addr,
				o->pages, t, strerror(w[t].err));
			ret = 1;
		} else if (w[t].err < 0 && !ret) {
			ret = EXIT_VERIFY;
		}
		if (w[t].t_begin < *t_begin)
			*t_begin = w[t].t_begin;
		if (w[t].t_end > *t_end)
			*t_end = w[t].t_end;
		memcpy(all + *calls, w[t].lat, (size_t)w[t].done * sizeof(*all));
		*calls += w[t].done;
	}
	if (!ret && (*calls == 0 || w[0].done == 0)) {
		fprintf(stderr, "rfpbench: no call finished in time\n");
		ret = 1;
	}
	qsort(all, (size_t)*calls, sizeof(*all), cmp_u64);
	return ret;
}

/**
 * make_hidden_call() - before the timed loop, one call that changes a VMA
 * flag PROCMAP_QUERY does not show (VM_LOCKED, VM_DONTDUMP), on a
 * mapping of its own that the loop never touches: a supervisor that must
 * then read smaps to judge this process pays for it on every later call,
 * in proportion to the mappings.  Returns 0 or -errno.
 */
static int
make_hidden_call(enum rfp_hidden how)
{
	size_t len = (size_t)rfp_page_size;
	void *p;

	if (how == RFP_HIDDEN_NONE)
		return 0;
	if (how == RFP_HIDDEN_MLOCKALL) {
		/* MCL_CURRENT only: MCL_FUTURE would lock the loop's maps */
		if (mlockall(MCL_CURRENT) || munlockall())
			return -errno;
		return 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (how == RFP_HIDDEN_MLOCK)
		return mlock(p, len) || munlock(p, len) ? -errno : 0;
	return madvise(p, len, MADV_DONTDUMP) ? -errno : 0;
}

static int
setup_remap(const struct opts *o, struct worker *w, long *vmas_total)
{
	int fd = -1, r;

	r = rfp_make_file(2 * o->pages * o->threads, &fd);
	if (r == 0)
		r = setup_workers(o, w, fd);
	/* Fillers after the windows: mmap goes top-down, so they sit
	 * below the windows and precede them in /proc/PID/maps. */
	if (r == 0)
		r = make_filler_vmas(o->vmas);
	if (r == 0)
		r = make_hidden_call(o->hidden);
	if (r == 0)
		r = rfp_count_vmas(vmas_total);
	if (r < 0)
		fprintf(stderr, "rfpbench: setup: %s\n", strerror(-r));
	return r;
}

/*
 * ns_per_call is thread 0's mean (loop time / its calls); calls_per_s is
 * every thread's calls over the span from the first start to the last end;
 * the percentiles cover every call of every thread.
 */
static int
run_remap(const struct opts *o)
{
	struct worker *w = calloc((size_t)o->threads, sizeof(*w));
	uint64_t *all = calloc((size_t)(o->iters * o->threads), sizeof(*all));
	uint64_t t_begin, t_end;
	struct rusage r0, r1;
	struct pstat s0, s1;
	long calls, vmas_total = 0;
	const char *src;
	pid_t sup;
	int r, sup_ok;

	if (!w || !all || setup_remap(o, w, &vmas_total) < 0)
		return 1;
	sup = supervisor_pid(o, &src);
	sup_ok = pstat_read(sup, &s0);
	getrusage(RUSAGE_SELF, &r0);
	if (run_workers(o, w) < 0)
		return 1;
	getrusage(RUSAGE_SELF, &r1);
	if (sup_ok == 0)
		sup_ok = pstat_read(sup, &s1);
	r = merge_workers(o, w, all, &calls, &t_begin, &t_end);
	if (r)
		return r;
	printf("rfpbench op=remap pages=%ld vmas=%ld vmas_total=%ld "
	       "hidden=%s threads=%ld iters=%ld calls=%ld ns_per_call=%.1f "
	       "calls_per_s=%.0f p50_ns=%" PRIu64 " p99_ns=%" PRIu64
	       " max_ns=%" PRIu64, o->pages, o->vmas, vmas_total,
	       hidden_names[o->hidden], o->threads, o->iters, calls,
	       (double)(w[0].t_end - w[0].t_begin) / (double)w[0].done,
	       (double)calls * 1e9 / (double)(t_end - t_begin),
	       percentile(all, (size_t)calls, 50),
	       percentile(all, (size_t)calls, 99), all[calls - 1]);
	print_switches(&r0, &r1, &s0, &s1, sup_ok, src, calls);
	return 0;
}

/*
 * getppid in batches of GETPPID_BATCH calls.  ns_per_call is the 10th
 * percentile of the batch means: a batch (about 2 ms) fits in one time
 * slice, so when other work shares the CPU or the host steals it, the
 * fastest decile of ~200 batches still measures the call itself (steady to
 * 1% on a 2-CPU VM at load 5, where the median batch moved by 20%).  The
 * median batch (ns_p50_batch) and the plain mean (ns_mean) are printed too.
 */
#define GETPPID_BATCH 10000

static int
run_getppid(const struct opts *o)
{
	long nb = (o->iters + GETPPID_BATCH - 1) / GETPPID_BATCH, left;
	uint64_t *batch = calloc((size_t)nb, sizeof(*batch)), t0, t1;
	struct rusage r0, r1;
	struct pstat s0, s1;
	const char *src;
	pid_t sup = supervisor_pid(o, &src);
	int sup_ok;

	if (!batch)
		return 1;
	for (long i = 0; i < o->warmup; i++)
		syscall(SYS_getppid);
	sup_ok = pstat_read(sup, &s0);
	getrusage(RUSAGE_SELF, &r0);
	t0 = rfp_now_ns();
	left = o->iters;
	for (long b = 0; b < nb; b++) {
		long n = left < GETPPID_BATCH ? left : GETPPID_BATCH;
		uint64_t tb = rfp_now_ns();

		/* syscall(2), not getppid(3): no libc may ever cache it. */
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		/* per-call ns, scaled by 1000 to keep the decimals */
		batch[b] = (rfp_now_ns() - tb) * 1000 / (uint64_t)n;
		left -= n;
	}
	t1 = rfp_now_ns();
	getrusage(RUSAGE_SELF, &r1);
	if (sup_ok == 0)
		sup_ok = pstat_read(sup, &s1);
	qsort(batch, (size_t)nb, sizeof(*batch), cmp_u64);
	printf("rfpbench op=getppid iters=%ld batches=%ld ns_per_call=%.2f "
	       "ns_p50_batch=%.2f ns_mean=%.2f calls_per_s=%.0f", o->iters,
	       nb, (double)percentile(batch, (size_t)nb, 10) / 1000.0,
	       (double)percentile(batch, (size_t)nb, 50) / 1000.0,
	       (double)(t1 - t0) / (double)o->iters,
	       (double)o->iters * 1e9 / (double)(t1 - t0));
	print_switches(&r0, &r1, &s0, &s1, sup_ok, src, o->iters);
	return 0;
}

/*
 * N open+mmap+close of one memfd page, each mapping its own open file.
 * Every mapping is checked to show the file's page.
 */
static int
run_mmaps(const struct opts *o)
{
	char path[64];
	uint64_t t0, t1;
	long i;
	int fd, r;

	r = rfp_make_file(1, &fd);
	if (r < 0) {
		fprintf(stderr, "rfpbench: memfd: %s\n", strerror(-r));
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	t0 = rfp_now_ns();
	for (i = 0; i < o->count; i++) {
		int f = open(path, O_RDONLY | O_CLOEXEC);
		void *m;

		if (f < 0)
			break;
		m = mmap(NULL, (size_t)rfp_page_size, PROT_READ, MAP_SHARED, f, 0);
		close(f);
		if (m == MAP_FAILED)
			break;
		if (*(volatile uint64_t *)m != 0) {
			fprintf(stderr, "rfpbench: mapping %ld shows the "
				"wrong page\n", i);
			return EXIT_VERIFY;
		}
		if (o->unmap)
			munmap(m, (size_t)rfp_page_size);
	}
	t1 = rfp_now_ns();
	if (i < o->count) {
		fprintf(stderr, "rfpbench: open or mmap %ld of %ld: %s\n", i,
			o->count, strerror(errno));
		return 1;
	}
	printf("rfpbench op=mmaps count=%ld unmap=%d wall_s=%.6f "
	       "ns_per_mmap=%.1f\n", o->count, o->unmap,
	       (double)(t1 - t0) / 1e9, (double)(t1 - t0) / (double)o->count);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: rfpbench [--bare-filter] remap --pages N --iters K "
		"[--vmas V] [--threads T] [--warmup W]\n"
		"                [--time-limit SECONDS] "
		"[--hidden mlock|madvise|mlockall]\n"
		"       rfpbench [--bare-filter] getppid --iters K "
		"[--warmup W]\n"
		"       rfpbench mmaps --count N [--unmap]\n"
		"       rfpbench db --procs P --pool-mib M --windows W "
		"--iters K [--pages N]\n"
		"                [--warmup W] [--time-limit SECONDS]\n"
		"       common: [--supervisor-pid PID]\n");
}

static int
parse_long(const char *s, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s || *out < 0 ? -EINVAL : 0;
}

static int
parse_hidden(const char *s, enum rfp_hidden *out)
{
	for (size_t i = 1; i < sizeof(hidden_names) / sizeof(*hidden_names);
	     i++)
		if (!strcmp(s, hidden_names[i])) {
			*out = (enum rfp_hidden)i;
			return 0;
		}
	return -EINVAL;
}

/* Returns 0, 1 for --help, or -EINVAL. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "iters", required_argument, NULL, 'i' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "vmas", required_argument, NULL, 'v' },
		{ "threads", required_argument, NULL, 't' },
		{ "time-limit", required_argument, NULL, 'T' },
		{ "bare-filter", no_argument, NULL, 'b' },
		{ "supervisor-pid", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "unmap", no_argument, NULL, 'u' },
		{ "hidden", required_argument, NULL, 'H' },
		{ "procs", required_argument, NULL, 'P' },
		{ "pool-mib", required_argument, NULL, 'M' },
		{ "windows", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long pid = 0;
	int c, r = 0;

	*o = (struct opts){ .pages = 1, .iters = 10000, .warmup = -1,
			    .vmas = 0, .threads = 1, .count = 1000,
			    .procs = 4, .pool_mib = 32, .windows = 2000 };
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': r = parse_long(optarg, 1, &o->pages); break;
		case 'i': r = parse_long(optarg, 1, &o->iters); break;
		case 'w': r = parse_long(optarg, 0, &o->warmup); break;
		case 'v': r = parse_long(optarg, 0, &o->vmas); break;
		case 't': r = parse_long(optarg, 1, &o->threads); break;
		case 's': r = parse_long(optarg, 1, &pid); break;
		case 'T': r = parse_seconds(optarg, &o->time_limit); break;
		case 'n': r = parse_long(optarg, 1, &o->count); break;
		case 'u': o->unmap = true; break;
		case 'H': r = parse_hidden(optarg, &o->hidden); break;
		case 'P': r = parse_long(optarg, 1, &o->procs); break;
		case 'M': r = parse_long(optarg, 1, &o->pool_mib); break;
		case 'W': r = parse_long(optarg, 1, &o->windows); break;
		case 'b': o->bare_filter = true; break;
		case 'h': return 1;
		default: return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind != argc - 1)
		return -EINVAL;
	o->op = argv[optind];
	o->sup_pid = (pid_t)pid;
	if (o->warmup < 0)
		o->warmup = o->iters / 10 < 1000 ? o->iters / 10 : 1000;
	if (strcmp(o->op, "remap") && strcmp(o->op, "getppid") &&
	    strcmp(o->op, "mmaps") && strcmp(o->op, "db"))
		return -EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int r;

	rfp_page_size = sysconf(_SC_PAGESIZE);
	r = parse_opts(argc, argv, &o);
	if (r) {
		usage(r > 0 ? stdout : stderr);
		return r > 0 ? 0 : EXIT_USAGE;
	}
	if (o.bare_filter) {
		r = bare_filter_load();
		if (r < 0) {
			fprintf(stderr, "rfpbench: loading the bare seccomp "
				"filter: %s (needs Linux 3.5 and "
				"CONFIG_SECCOMP_FILTER)\n", strerror(-r));
			return 1;
		}
	}
	r = !strcmp(o.op, "remap") ? run_remap(&o) :
	    !strcmp(o.op, "mmaps") ? run_mmaps(&o) :
	    !strcmp(o.op, "db") ? rfp_db_run(&o) : run_getppid(&o);
	fflush(stdout);
	return r;
}
