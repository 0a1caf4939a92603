# remaptrace - plain Makefile.  `make`, `make check`, `make demo`, `make bench`.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=
B          ?= build
CC         ?= cc

# Cross-compiling, as the kernel and busybox spell it:
# `make CROSS_COMPILE=aarch64-linux-gnu-` builds $(B)/remaptrace for arm64
# with aarch64-linux-gnu-gcc and -ar (unless CC or AR are given), and asks
# pkg-config about the target's libraries: $(CROSS_COMPILE)pkg-config if
# there is one, else pkg-config over the target's multiarch directory
# (Debian's libseccomp-dev:arm64 and libunwind-dev:arm64).
CROSS_COMPILE ?=
ifneq ($(CROSS_COMPILE),)
ifeq ($(origin CC),default)
CC         := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR         := $(CROSS_COMPILE)ar
endif
endif
# The target's architecture, as the compiler names it (x86_64-linux-gnu,
# aarch64-linux-gnu): it picks the arch files (include/rt_arch.h) and the
# agent's code, if the architecture has one.
TARGET     := $(shell $(CC) -dumpmachine 2>/dev/null)
ARCH       := $(firstword $(subst -, ,$(TARGET)))
ifneq ($(CROSS_COMPILE),)
ifeq ($(origin PKG_CONFIG),undefined)
ifneq ($(shell command -v $(CROSS_COMPILE)pkg-config),)
PKG_CONFIG := $(CROSS_COMPILE)pkg-config
else
PKG_CONFIG := env PKG_CONFIG_LIBDIR=/usr/lib/$(TARGET)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
endif
endif
PKG_CONFIG ?= pkg-config

# Dependencies, by the goals of this run (tools/deps.sh): building needs
# only the build dependencies and never installs anything; demo, bench and
# the test targets install what they need when run as root; make deb
# checks its own (and never installs); clean, uninstall and man need
# nothing.  A make started by one that checked (RT_DEPS_CHECKED) and a dry
# run (make -n) check nothing.
NODEP_GOALS := clean uninstall man deb check-unit-arm64
TEST_GOALS  := check check-integration check-asan conformance
GOALS       := $(or $(MAKECMDGOALS),all)
ifneq ($(filter $(TEST_GOALS),$(GOALS)),)
DEPS := test
else ifneq ($(filter bench,$(GOALS)),)
DEPS := bench
else ifneq ($(filter demo,$(GOALS)),)
DEPS := demo
else ifneq ($(filter-out $(NODEP_GOALS),$(GOALS)),)
DEPS := build
endif
ifneq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
DEPS :=
endif
ifneq ($(DEPS),)
ifeq ($(RT_DEPS_CHECKED),)
DEPS_OK := $(shell CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' \
	     CROSS_COMPILE='$(CROSS_COMPILE)' tools/deps.sh $(DEPS) >&2 && echo ok)
ifneq ($(DEPS_OK),ok)
$(error missing dependencies, see the message above)
endif
export RT_DEPS_CHECKED := $(DEPS)
endif
endif

# Asked once, and only by a recipe that needs them (make clean never does).
PKGS       := libseccomp libunwind-ptrace libunwind-generic libbpf
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell $(PKG_CONFIG) --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell $(PKG_CONFIG) --libs $(PKGS)))$(PKG_LIBS)

WARN      := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wshadow -Wundef \
	     -Werror
# CC, CPPFLAGS, CFLAGS and LDFLAGS are the user's (environment or command
# line) and come last, so they win: CFLAGS=-O0 overrides OPT.  The test
# programs take CC and CPPFLAGS but keep their own flags (PROG_CFLAGS).
OPT       ?= -O2 -g
SAN       ?=
CFLAGS    ?=
CPPFLAGS  ?=
LDFLAGS   ?=
ALL_CPPFLAGS = -Iinclude -DRT_VERSION='"$(VERSION)"' -D_GNU_SOURCE $(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 $(OPT) $(SAN) $(WARN) -MMD -MP $(CFLAGS)

# The arch files of each target (include/rt_arch.h), and the agent's code
# where the architecture has one.
ARCH_SRC_x86_64  := tracer/arch-x86_64.c tracer/arch-i386.c
ARCH_ASM_x86_64  := tracer/agent-x86_64.S
ARCH_SRC_aarch64 := tracer/arch-aarch64.c
ARCH_ASM_aarch64 :=
ifeq ($(ARCH_SRC_$(ARCH)),)
ifneq ($(filter-out $(NODEP_GOALS),$(GOALS)),)
$(error remaptrace has no architecture file for '$(or $(TARGET),?)' (what $(CC) -dumpmachine says): x86_64 and aarch64 only)
endif
endif

EMU_SRC    := $(sort $(wildcard emu/*.c))
TRACER_SRC := $(sort $(filter-out tracer/arch-%.c,$(wildcard tracer/*.c)) \
		$(ARCH_SRC_$(ARCH)))
TRACER_ASM := $(ARCH_ASM_$(ARCH))
UNIT_SRC   := $(sort $(wildcard tests/unit/*.c))
PROG_SRC   := $(sort $(wildcard tests/progs/*.c))
# rfpbench's other files (the db op, shared helpers) link into it
BENCH_MOD  := bench/rfpdb.c bench/rfputil.c
BENCH_SRC  := $(filter-out $(BENCH_MOD),$(sort $(wildcard bench/*.c)))

EMU_OBJ    := $(EMU_SRC:%.c=$(B)/%.o)
TRACER_OBJ := $(TRACER_SRC:%.c=$(B)/%.o) $(TRACER_ASM:%.S=$(B)/%.o)
UNIT_BIN   := $(UNIT_SRC:%.c=$(B)/%)
PROG_BIN   := $(PROG_SRC:%.c=$(B)/%)
BENCH_BIN  := $(BENCH_SRC:%.c=$(B)/%)
REMAPTRACE := $(B)/remaptrace

.PHONY: all bin progs unit check check-unit check-unit-arm64 arch-progs \
	check-integration check-asan check-layers progs32 \
	demo bench conformance install uninstall clean man deb
# The link at the top of the tree is the plain native build's only.
ifeq ($(B)$(CROSS_COMPILE),build)
all: $(REMAPTRACE) remaptrace progs $(UNIT_BIN)
else
all: $(REMAPTRACE) progs $(UNIT_BIN)
endif

# Objects remember the target they were built for: switching between a
# native and a cross build in one $(B) rebuilds everything.
TARGET_STAMP := $(B)/.target
$(TARGET_STAMP): FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(TARGET)" ] || echo "$(TARGET)" > $@
.PHONY: FORCE
FORCE:

progs: $(PROG_BIN) $(BENCH_BIN)

$(B)/emu/%.o: emu/%.c $(TARGET_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tracer/%.o: tracer/%.c $(TARGET_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(PKG_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The agent's code: data for the tracee, never run by remaptrace itself.
$(B)/tracer/%.o: tracer/%.S $(TARGET_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/libemu.a: $(EMU_OBJ)
	$(AR) rcs $@ $(filter %.o,$^)

$(REMAPTRACE): $(TRACER_OBJ) $(B)/libemu.a
	$(CC) $(OPT) $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $(TRACER_OBJ) $(B)/libemu.a \
		$(PKG_LIBS)

# The program alone, without the test programs (the Debian package).
bin: $(REMAPTRACE)

# Convenience link at the top of the tree for the plain build only.
remaptrace: $(REMAPTRACE)
	ln -sf $(REMAPTRACE) $@

# Cross-built unit tests are static, so that qemu-user runs them without
# the target's dynamic loader.
UNIT_LDFLAGS := $(if $(CROSS_COMPILE),-static)
$(B)/tests/unit/%: tests/unit/%.c $(B)/libemu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libemu.a \
		$(UNIT_LDFLAGS) $(LDFLAGS)

# The ABI table's test links the arch files of the target (no system call
# of theirs runs) and checks their numbers against libseccomp's.
ARCH_OBJ := $(patsubst %.c,$(B)/%.o,tracer/arch.c $(ARCH_SRC_$(ARCH)))
$(B)/tests/unit/test_arch: tests/unit/test_arch.c $(ARCH_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(PKG_CFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		$(ARCH_OBJ) $(UNIT_LDFLAGS) $(LDFLAGS) \
		$(shell $(PKG_CONFIG) --libs libseccomp)

# The tracer's pure parts, tested alone like emu/.
$(B)/tests/unit/test_describe: tests/unit/test_describe.c tracer/describe.c $(B)/libemu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		tracer/describe.c $(B)/libemu.a

# The job engine's test links the engine itself, with ptrace(2) and the
# architecture layer faked in the test (no tracee at all).
JOB_UNIT_SRC := tracer/job.c tracer/inject.c tracer/freeze.c
$(B)/tests/unit/test_job: tests/unit/test_job.c $(JOB_UNIT_SRC) $(B)/libemu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		$(JOB_UNIT_SRC) $(B)/libemu.a

# Test programs: frame pointers and debug info so stacks unwind by name;
# never sanitized (they are what the tracee runs, natively and traced).
PROG_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -fno-inline \
	       $(WARN) -pthread
$(B)/tests/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(PROG_CFLAGS) -o $@ $< -lpthread

$(B)/bench/%: bench/%.c $(BENCH_MOD) $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -std=gnu11 -O2 -g $(WARN) -pthread -o $@ $< $(BENCH_MOD) -lpthread $(shell $(PKG_CONFIG) --libs libseccomp)

# Calls go down the layers of tools/layers.txt, never in a cycle.
check-layers: $(REMAPTRACE)
	tools/layers.sh tools/layers.txt $(B)

# The arch layer against the kernel (tests/integration/15-arch.bats): a
# tracer made of the arch files alone injects mmap2 into a 32-bit program.
# Not part of all: gcc -m32 is a test dependency (tools/deps.sh test).
ARCH_PROGS := $(B)/tests/arch/t-inject-i386 $(B)/tests/arch/child32
arch-progs: $(ARCH_PROGS)
$(B)/tests/arch/t-inject-i386: tests/arch/t-inject-i386.c $(ARCH_OBJ) \
		$(B)/libemu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(ARCH_OBJ) $(B)/libemu.a
$(B)/tests/arch/child32: tests/arch/child32.c
	@mkdir -p $(@D)
	$(CC) -m32 $(ALL_CPPFLAGS) $(PROG_CFLAGS) -o $@ $<

# The test programs built for i386 (gcc -m32), for the differential
# checks of tests/integration/16-i386.bats; like arch-progs, not part of
# all: gcc -m32 is a test dependency (tools/deps.sh test).
PROG32_BIN := $(PROG_SRC:tests/progs/%.c=$(B)/tests/progs32/%)
progs32: $(PROG32_BIN)
$(B)/tests/progs32/%: tests/progs/%.c $(wildcard tests/progs/*.h)
	@mkdir -p $(@D)
	$(CC) -m32 $(ALL_CPPFLAGS) $(PROG_CFLAGS) -o $@ $< -lpthread

check-unit: $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN)

# The pure unit tests of emu/, cross-built for arm64 in their own tree and
# run under qemu-user (Debian's qemu-user-static): the rules and parsers
# on a 64-bit little-endian machine other than this one.  Only emu/ can
# run there: the tracer needs ptrace and seccomp, which qemu-user lacks.
ARM64_CROSS ?= aarch64-linux-gnu-
QEMU_ARM64  ?= qemu-aarch64-static
check-unit-arm64:
	@CROSS_COMPILE='$(ARM64_CROSS)' QEMU_ARM64='$(QEMU_ARM64)' \
		tools/deps.sh arm64-unit
	$(MAKE) --no-print-directory CROSS_COMPILE=$(ARM64_CROSS) \
		B=build-arm64 RT_DEPS_CHECKED=arm64-unit \
		$(UNIT_SRC:%.c=build-arm64/%)
	UNIT_RUNNER='$(QEMU_ARM64)' tests/run-unit.sh \
		$(UNIT_SRC:%.c=build-arm64/%)

check-integration: all
	REMAPTRACE=$(abspath $(REMAPTRACE)) PROGS=$(abspath $(B)/tests/progs) \
		tests/run-bats.sh tests/integration

# The sanitizer build lives in its own tree and runs the same tests, with
# the test programs of the plain build (never sanitized: see PROG_CFLAGS).
check-asan: $(PROG_BIN)
	$(MAKE) B=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		build-asan/remaptrace build-asan/libemu.a
	$(MAKE) B=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' check-unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=125 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	REMAPTRACE=$(abspath build-asan/remaptrace) PROGS=$(abspath $(B)/tests/progs) \
		tests/run-bats.sh tests/integration

check: all
	tests/check.sh

demo: all
	tests/demo.sh $(abspath $(REMAPTRACE)) $(abspath $(B)/tests/progs)

conformance: all
	tests/conformance.sh full --anon-merge

bench: all
	bench/run.sh

man: doc/remaptrace.1

# The Debian package (debian/), as dpkg-buildpackage makes it: the .deb
# and its .changes in the parent directory, then lintian's verdict.
DEB_CHANGES = ../remaptrace_$(VERSION)_$(shell dpkg --print-architecture).changes
deb:
	@CC='$(CC)' tools/deps.sh deb
	dpkg-buildpackage -b -uc -us
	@if command -v lintian >/dev/null; then \
		echo "lintian $(DEB_CHANGES)"; \
		lintian -I --fail-on error $(DEB_CHANGES); \
	fi

# The bash completion goes where bash-completion looks for it: under
# /usr/share for PREFIX=/usr, /usr/local/share (XDG_DATA_DIRS) by default.
install: $(REMAPTRACE)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(REMAPTRACE) $(DESTDIR)$(BINDIR)/remaptrace
	install -m 0644 doc/remaptrace.1 $(DESTDIR)$(MANDIR)/man1/remaptrace.1
	install -m 0644 completion/remaptrace.bash \
		$(DESTDIR)$(BASHCOMPDIR)/remaptrace

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/remaptrace \
		$(DESTDIR)$(MANDIR)/man1/remaptrace.1 \
		$(DESTDIR)$(BASHCOMPDIR)/remaptrace

clean:
	rm -rf build build-asan build-arm64 remaptrace

-include $(shell find $(B) -name '*.d' 2>/dev/null)
