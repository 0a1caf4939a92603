# remaptrace - plain Makefile.  `make`, `make check`, `make demo`, `make bench`.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=
B          ?= build
CC         ?= cc
PKG_CONFIG ?= pkg-config

# Dependencies, by the goals of this run (tools/deps.sh): building needs
# only the build dependencies and never installs anything; demo, bench and
# the test targets install what they need when run as root; make deb
# checks its own (and never installs); clean, uninstall and man need
# nothing.  A make started by one that checked (RT_DEPS_CHECKED) and a dry
# run (make -n) check nothing.
NODEP_GOALS := clean uninstall man deb
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
DEPS_OK := $(shell CC='$(CC)' tools/deps.sh $(DEPS) >&2 && echo ok)
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

EMU_SRC    := $(sort $(wildcard emu/*.c))
TRACER_SRC := $(sort $(wildcard tracer/*.c))
TRACER_ASM := $(sort $(wildcard tracer/*.S))
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

.PHONY: all bin progs unit check check-unit check-integration check-asan \
	check-layers \
	demo bench conformance install uninstall clean man deb
all: $(REMAPTRACE) remaptrace progs $(UNIT_BIN)

progs: $(PROG_BIN) $(BENCH_BIN)

$(B)/emu/%.o: emu/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tracer/%.o: tracer/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(PKG_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The agent's code: data for the tracee, never run by remaptrace itself.
$(B)/tracer/%.o: tracer/%.S
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/libemu.a: $(EMU_OBJ)
	$(AR) rcs $@ $^

$(REMAPTRACE): $(TRACER_OBJ) $(B)/libemu.a
	$(CC) $(OPT) $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $(TRACER_OBJ) $(B)/libemu.a \
		$(PKG_LIBS)

# The program alone, without the test programs (the Debian package).
bin: $(REMAPTRACE)

# Convenience link at the top of the tree for the plain build only.
remaptrace: $(REMAPTRACE)
	ln -sf $(REMAPTRACE) $@

$(B)/tests/unit/%: tests/unit/%.c $(B)/libemu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libemu.a

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

check-unit: $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN)

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
	rm -rf build build-asan remaptrace

-include $(shell find $(B) -name '*.d' 2>/dev/null)
