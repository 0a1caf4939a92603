#!/usr/bin/env bash
# demo.sh - run the window demo natively and under remaptrace, and show
# that the program cannot tell the difference.
# Usage: tests/demo.sh REMAPTRACE PROGS_DIR   (make demo passes both)
set -u -o pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 REMAPTRACE PROGS_DIR" >&2
	exit 2
fi
rt=$1
demo=$2/demo-window
for f in "$rt" "$demo"; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is missing; run make first" >&2
		exit 1
	fi
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

cat <<'EOF'
remaptrace demo
===============
remap_file_pages(2) rearranges which pages of a file show through one
shared mapping; it has been deprecated since Linux 3.16 and may leave the
kernel one day.  remaptrace runs a program under a seccomp user-notification
filter, so each remap_file_pages call stops in the kernel and is handed to
remaptrace.  remaptrace checks the call with the kernel's own rules (and
answers EINVAL, naming the rule, where the kernel would), performs a valid
call by making the program run the equivalent
mmap(MAP_SHARED|MAP_FIXED|MAP_POPULATE), and answers 0.  The kernel's own
remap_file_pages never runs.  Below, the same demo program runs twice:
natively, then under remaptrace, whose log (one line per call) goes to
stderr.  If remaptrace is faithful, the program's outputs are identical.

EOF

echo "--- 1. natively: $demo"
"$demo" | tee "$tmp/native"
native_status=$?

echo
echo "--- 2. under remaptrace: $rt -- $demo"
echo "    (lines starting with [pid N] are remaptrace's log, on stderr; each"
echo "    comes just before the demo's own line about the same call)"
# stderr joins stdout in one pipe so the two keep the order they were
# written in; the log lines are then set apart for the comparison.
"$rt" -- "$demo" 2>&1 | tee "$tmp/traced.all"
traced_status=$?
grep -v '^\[pid [0-9]*\] ' "$tmp/traced.all" >"$tmp/traced"

echo
echo "--- 3. comparing the two runs"
echo "exit status: native $native_status, under remaptrace $traced_status"
if [ "$native_status" -eq 0 ] && [ "$traced_status" -eq 0 ] &&
   diff -u --label native --label remaptrace "$tmp/native" "$tmp/traced"; then
	echo "The two outputs are identical: the program saw the same"
	echo "remap_file_pages under remaptrace as from the kernel itself."
	exit 0
fi
echo "The runs differ (see above): remaptrace is not yet faithful." >&2
exit 1
