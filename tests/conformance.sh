#!/usr/bin/env bash
# conformance.sh - run the seeded conformance program (tests/progs/conformance.c)
# natively and under remaptrace, seed by seed, and compare the two traces
# byte for byte: the kernel is the oracle.  Prints every divergence with its
# seed and first differing lines, then the outcome table summed over all
# runs, so that the coverage is visible, not assumed.
#
#   tests/conformance.sh quick|full [options]
#     quick   5 seeds x 300 operations, 2 threads x 150, a forked child
#             over 400 (about half a minute; the bats suite runs it)
#     full    50 seeds x 2,000 operations, 3 threads x 400 for 5 seeds,
#             a forked child over 2,000 for 10 seeds (make conformance)
#   options:
#     --only seeds|threads|fork   one of the three configurations
#     --seeds N --ops M           override the seed count and operations
#     --first S                   first seed (default 1)
#     --no-identity               pass --no-identity to the program: leave out
#                                 what depends on the open file (struct file)
#                                 behind a VMA, which /proc does not show
#     --anon-merge                pass --anon-merge: show the VMAs of shared
#                                 anonymous memory merged (remaptrace maps a
#                                 new open file of the same pages there, as
#                                 its README documents), and nothing else
#     --native-only               run each seed natively twice and compare
#                                 (checks the program, needs no remaptrace)
#     --keep DIR                  keep the traces of divergent runs in DIR
#     -- ARGS...                  more arguments for the program (--kinds ...)
#
# Environment: REMAPTRACE (default build/remaptrace), PROGS (default
# build/tests/progs).  RT_ALLOW_SYSCTL=1 lets the script, as root, raise
# vm.nr_hugepages to 8 for the run (restored afterwards) so that the
# hugetlbfs kind is exercised; otherwise the trace says why it is skipped.
#
# Exit status: 0 no divergence; 1 some divergence; 2 bad usage;
# 99 the harness broke (a native run failed or was not reproducible, or
# the huge page pool, which other processes share, changed under three
# attempts).
set -u -o pipefail

repo=$(cd "$(dirname "$0")/.." && pwd) || exit 99
REMAPTRACE=${REMAPTRACE:-$repo/build/remaptrace}
PROGS=${PROGS:-$repo/build/tests/progs}
prog=$PROGS/conformance

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
quick)	seeds=5 ops=300 tseeds=1 tthreads=2 tops=150 fseeds=1 fops=400 ;;
full)	seeds=50 ops=2000 tseeds=5 tthreads=3 tops=400 fseeds=10 fops=2000 ;;
*)	usage ;;
esac
only="" first=1 extra=() native_only=0 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--only)		only=${2:?}; shift ;;
	--seeds)	seeds=${2:?} tseeds=${2:?} fseeds=${2:?}; shift ;;
	--ops)		ops=${2:?} fops=${2:?}; shift ;;
	--first)	first=${2:?}; shift ;;
	--no-identity)	extra+=(--no-identity) ;;
	--anon-merge)	extra+=(--anon-merge) ;;
	--native-only)	native_only=1 ;;
	--keep)		keep=${2:?}; shift ;;
	--)		shift; extra+=("$@"); break ;;
	*)		usage ;;
	esac
	shift
done
case $only in
""|seeds|threads|fork) ;;
*) usage ;;
esac

if [ ! -x "$prog" ]; then
	echo "conformance: $prog is not built (make build/tests/progs/conformance)" >&2
	exit 99
fi
if [ "$native_only" = 0 ] && [ ! -x "$REMAPTRACE" ]; then
	echo "conformance: $REMAPTRACE is not built (make)" >&2
	exit 99
fi

tmp=$(mktemp -d) || exit 99
shm=""
[ -d /dev/shm ] && shm=$(mktemp -d -p /dev/shm rtconf.XXXXXX 2>/dev/null)
old_huge=""
cleanup() {
	rm -rf "$tmp"
	[ -n "$shm" ] && rm -rf "$shm"
	if [ -n "$old_huge" ]; then
		echo "$old_huge" >/proc/sys/vm/nr_hugepages 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

huge_total() {
	awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo
}
if [ "${RT_ALLOW_SYSCTL:-0}" = 1 ] && [ "$(id -u)" = 0 ] &&
   [ "$(huge_total)" -lt 8 ]; then
	old_huge=$(cat /proc/sys/vm/nr_hugepages)
	echo 8 >/proc/sys/vm/nr_hugepages 2>/dev/null ||
		echo "conformance: cannot raise vm.nr_hugepages" >&2
fi
echo "conformance: $mode; program $prog; remaptrace $REMAPTRACE"
echo "conformance: HugePages_Total $(huge_total)" \
     "(RT_ALLOW_SYSCTL=1 as root raises it to 8)"

runs=0 nops=0 divergences=0 broken=0
: >"$tmp/counts"

# first_diff A B: the first differing line of B against A, with the
# operation that produced it (the last "op" line of A above it).
first_diff() {
	local n
	n=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
	if [ -z "$n" ]; then
		# one is a prefix of the other
		n=$(($(wc -l <"$1") < $(wc -l <"$2") ? $(wc -l <"$1") + 1 : $(wc -l <"$2") + 1))
	fi
	echo "    after: $(head -n "$((n - 1))" "$1" | grep '^op \|^== ' | tail -n 1)"
	echo "    first differing line: $n"
	diff -u --label native --label remaptrace "$1" "$2" | sed -n '3,22p' |
		sed 's/^/    /'
}

# huge_race A B: only one of the two traces got its huge pages.  The pool
# is the machine's: another run of this program (make check, say) may
# hold it while one of the two sets up.
huge_race() {
	! cmp -s <(grep '^skip huge' "$1") <(grep '^skip huge' "$2")
}

# attempt NAME ARGS...: run the program natively (twice when $recheck)
# and under remaptrace with ARGS and compare.  Returns 3, recording
# nothing, when only the huge page pool made the runs differ.
attempt() {
	local name=$1 n=$tmp/native t=$tmp/traced ns=0 ts=0 sh=()
	shift
	rm -rf "$tmp/n" "$tmp/t" "$tmp/r"
	mkdir -p "$tmp/n" "$tmp/t" "$tmp/r"
	[ -n "$shm" ] && sh=(--shm-dir "$shm")
	"$prog" "$@" "${extra[@]}" --dir "$tmp/n" "${sh[@]}" >"$n" \
		2>"$n.err" || ns=$?
	if [ "$ns" != 0 ]; then
		echo "BROKEN $name: the native run exited with $ns: $prog $*"
		sed 's/^/    /' "$n.err" | head -n 5
		broken=$((broken + 1))
		return 0
	fi
	if [ "$recheck" = 1 ] || [ "$native_only" = 1 ]; then
		"$prog" "$@" "${extra[@]}" --dir "$tmp/r" "${sh[@]}" \
			>"$tmp/again" 2>/dev/null
		huge_race "$n" "$tmp/again" && return 3
		if ! cmp -s "$n" "$tmp/again"; then
			echo "BROKEN $name: two native runs differ: $prog $*"
			first_diff "$n" "$tmp/again"
			broken=$((broken + 1))
			return 0
		fi
	fi
	if [ "$native_only" = 0 ]; then
		"$REMAPTRACE" -q -- "$prog" "$@" "${extra[@]}" --dir "$tmp/t" \
			"${sh[@]}" >"$t" 2>"$t.err" || ts=$?
		huge_race "$n" "$t" && return 3
	fi
	nops=$((nops + $(grep -c '^op ' "$n")))
	grep '^count ' "$n" >>"$tmp/counts"
	if [ "$native_only" = 1 ] || { cmp -s "$n" "$t" && [ "$ns" = "$ts" ]; }
	then
		return 0
	fi
	divergences=$((divergences + 1))
	echo "DIVERGENCE $name: $prog $* ${extra[*]}"
	echo "    exit status: native $ns, remaptrace $ts;" \
	     "$(diff "$n" "$t" | grep -c '^[<>] op ') operation lines differ"
	first_diff "$n" "$t"
	if [ -s "$t.err" ]; then
		echo "    remaptrace stderr:"
		tail -n 5 "$t.err" | cat -v | sed 's/^/    /'
	fi
	if [ -n "$keep" ]; then
		mkdir -p "$keep"
		cp "$n" "$keep/$name.native"
		cp "$t" "$keep/$name.traced"
		cp "$t.err" "$keep/$name.traced.err"
	fi
	return 0
}

# one NAME ARGS...: one seed, run again (up to three times) while only
# the huge page pool makes the runs differ.
one() {
	local try
	runs=$((runs + 1))
	for try in 1 2 3; do
		attempt "$@" && return
		echo "conformance: $1: only one of two runs got its huge pages" \
		     "(another process holds the pool); attempt $try of 3"
	done
	echo "BROKEN $1: the huge page pool never held still"
	broken=$((broken + 1))
}

# config NAME COUNT ARGS...: COUNT seeds from $first; the first one is also
# run natively twice, to prove the trace is reproducible.
config() {
	local cname=$1 count=$2 s start=$SECONDS r0=$runs d0=$divergences
	shift 2
	[ -n "$only" ] && [ "$only" != "$cname" ] && return
	for ((s = first; s < first + count; s++)); do
		recheck=$((s == first))
		one "$cname-seed$s" --seed "$s" "$@"
	done
	echo "conformance: $cname: $((runs - r0)) runs ($*)," \
	     "$((divergences - d0)) divergences, $((SECONDS - start)) s"
}

start=$SECONDS
config seeds "$seeds" --ops "$ops"
config threads "$tseeds" --ops "$tops" --threads "$tthreads"
config fork "$fseeds" --ops "$fops" --fork

echo "outcome table (native runs, summed):"
awk '{ n = $NF; $1 = ""; $NF = ""; sub(/^ /, ""); sub(/ $/, "");
       sum[$0] += n }
     END { for (k in sum) printf "  %-52s %9d\n", k, sum[k] }' \
	"$tmp/counts" | LC_ALL=C sort
what="divergences"
[ "$native_only" = 1 ] && what="divergences (native only: not compared)"
echo "conformance: $mode: $runs runs, $nops operations, $divergences" \
     "$what, $broken broken, $((SECONDS - start)) s"
[ "$broken" -eq 0 ] || exit 99
[ "$divergences" -eq 0 ] || exit 1
exit 0
