/* scenario.h - shared by rfp.c and t-priv-map.c, the programs that build a
 * mapping, call remap_file_pages and print what they observed without
 * addresses (so that a native run and one under remaptrace compare line
 * by line): failing set-up, page tags, loads and stores that report the
 * signal they raised, and the VMA lines.  Each includes it once, after
 * defining TAG_LEN and a size_t pg (the page size).
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static sigjmp_buf peek_env;
static volatile sig_atomic_t fault_sig;	/* the signal load or store caught */

/* A set-up step failed: "<program>: setup: <what>: <errno>", exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "%s: setup: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static void
on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(peek_env, 1);
}

/* Catch SIGSEGV and SIGBUS for load() and store(). */
static void
catch_faults(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die("sigaction");
}

/* Write the tag "<c>nnnn" (TAG_LEN bytes, no NUL) at @dst. */
static void
tag_of(char *dst, char c, unsigned int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%c%04u", c, n % 10000);
	memcpy(dst, buf, TAG_LEN);
}

/* Copy TAG_LEN bytes from @p; returns 0 or the signal touching it raised. */
static int
load(const char *p, char *buf)
{
	if (sigsetjmp(peek_env, 1))
		return fault_sig;
	memcpy(buf, p, TAG_LEN);
	return 0;
}

/* Store TAG_LEN bytes at @p; returns 0 or the signal writing raised. */
static int
store(char *p, const char *buf)
{
	if (sigsetjmp(peek_env, 1))
		return fault_sig;
	memcpy(p, buf, TAG_LEN);
	return 0;
}

static char *
page(char *base, unsigned int n)
{
	return base + (size_t)n * pg;
}

/* The inode of the mapping that covers @addr (0: none, or anonymous). */
static ino_t
ino_at(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long s, e;
	unsigned long long ino;
	ino_t found = 0;
	char line[4400];

	if (!f)
		die("open maps");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %*s %*s %llu", &s, &e, &ino) ==
		    3 && s <= (uintptr_t)addr && (uintptr_t)addr < e)
			found = (ino_t)ino;
	fclose(f);
	return found;
}

/*
 * One line per VMA overlapping @npages pages at @at, from
 * /proc/self/smaps: "vma: +<page>p <pages>p <perms> <object> [VmFlags]",
 * the object being A@<page> or B@<page> (files of inode @a, @b), "other"
 * or "anon".
 */
static void
print_vmas(const char *at, unsigned int npages, ino_t a, ino_t b)
{
	uintptr_t lo = (uintptr_t)at, hi = lo + npages * pg;
	FILE *f = fopen("/proc/self/smaps", "re");
	char *line = NULL, perms[8] = "", label[32] = "";
	size_t cap = 0;
	bool in = false;

	if (!f)
		die("open smaps");
	while (getline(&line, &cap, f) > 0) {
		unsigned long s, e;
		unsigned long long off, ino;
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (sscanf(line, "%lx-%lx %7s %llx %*s %llu", &s, &e, perms,
			   &off, &ino) == 5) {
			in = s < hi && e > lo;
			if (!in)
				continue;
			if (ino && ino == a)
				snprintf(label, sizeof(label), "A@%llu",
					 off / pg);
			else if (ino && ino == b)
				snprintf(label, sizeof(label), "B@%llu",
					 off / pg);
			else
				snprintf(label, sizeof(label), "%s",
					 ino ? "other" : "anon");
			printf("vma: +%lup %lup %s %s", (s - lo) / pg,
			       (e - s) / pg, perms, label);
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			size_t n = strlen(line);

			while (n > 9 && line[n - 1] == ' ')
				line[--n] = '\0';
			printf(" [%s]\n", line + 9);
		}
	}
	free(line);
	fclose(f);
}

#endif
