#!/bin/bash
# run.sh - the remaptrace benchmark (`make bench` builds, then runs this).
# Every configuration runs side by side in one session, repetitions outermost
# so drift hits all of them alike; one table of medians [min-max] with ratios
# against the native kernel call, PASS/MISS per target, CSV and a plot.
#
# Environment: REMAPTRACE (default build/remaptrace), REMAPTRACE_OPTS
# (default "-q -o /dev/null", the same output sink strace gets), REPS (>= 5),
# BENCH_SCALE (iteration multiplier, default 1), B (build dir),
# BENCH_ROWS: which rows to run, words of: remap getppid vmas threads
# mmaps startup stress hidden db floor (default: all of them);
# BENCH_PERCALL: the per-call figure the targets and the plot use: p50_ns
# (default: each run's median single-call latency, which other work on the
# machine cannot inflate) or ns_per_call (each run's mean, loop time /
# calls); the table always shows both.
# Exit: 0 everything ran (a MISS is a finding, not a failure); 1 something
# could not run (missing binary, a run that failed); 64 bad environment.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1

B=${B:-build}
RFP=$B/bench/rfpbench
RT=${REMAPTRACE:-$B/remaptrace}
REPS=${REPS:-5}
SCALE=${BENCH_SCALE:-1}
PERCALL=${BENCH_PERCALL:-p50_ns}
OUT=bench/results
RAW=$OUT/raw.txt
CSV=$OUT/bench.csv
read -r -a RT_OPTS <<<"${REMAPTRACE_OPTS--q -o /dev/null}"
STRACE=(strace -f --seccomp-bpf -e trace=remap_file_pages -o /dev/null)
TLIMIT=3		# seconds per timed loop: a slow tracer cannot stall us
PAGES="1 16 64 256"
VMAS="10 1000 30000"
THREADS="1 2 8"
HIDDEN="mlock madvise mlockall"
ROWS=${BENCH_ROWS:-all}
status=0

say() { printf 'bench: %s\n' "$*" >&2; }
# want ROW: was ROW asked for (BENCH_ROWS)?
want() { [ "$ROWS" = all ] || [[ " ${ROWS//,/ } " == *" $1 "* ]]; }
iters() { awk -v n="$1" -v s="$SCALE" 'BEGIN { n = int(n * s); print n < 1 ? 1 : n }'; }

case $REPS in
''|*[!0-9]*|0) say "REPS must be a positive number"; exit 64 ;;
esac
case $PERCALL in
p50_ns) PC_NAME="median latency of one call"
	ALT=ns_per_call ALT_NAME="mean (loop time / calls: adds preemption and tails)" ;;
ns_per_call)
	PC_NAME="mean (loop time / calls)"
	ALT=p50_ns ALT_NAME="median latency of one call" ;;
*) say "BENCH_PERCALL must be p50_ns or ns_per_call"; exit 64 ;;
esac
case $SCALE in
''|*[!0-9.]*) say "BENCH_SCALE must be a positive number"; exit 64 ;;
esac
for r in ${ROWS//,/ }; do
	case $r in
	all|remap|getppid|vmas|threads|mmaps|startup|stress|hidden|db|floor) ;;
	*) say "BENCH_ROWS: no row '$r'"; exit 64 ;;
	esac
done
[ "$REPS" -ge 5 ] || say "warning: REPS=$REPS; the issue asks for at least 5"
if [ ! -x "$RFP" ]; then
	say "$RFP is missing: run 'make bench' (it builds first)"
	exit 1
fi
mkdir -p "$OUT/logs"
: >"$RAW"
T_START=$EPOCHREALTIME
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v l="${LOAD0%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' &&
	say "warning: load average ${LOAD0%% *} on $(nproc) CPUs: other work" \
	    "competes for the CPUs, expect noisy figures"

# --- which tools can run ---------------------------------------------------

# probe NAME CMD...: does CMD run a tiny remap loop and print its line?
probe() {
	local name=$1; shift
	if timeout 30 "$@" "$RFP" remap --pages 1 --iters 20 \
		>"$OUT/logs/probe-$name.out" 2>"$OUT/logs/probe-$name.err" &&
		grep -q '^rfpbench ' "$OUT/logs/probe-$name.out"; then
		return 0
	fi
	return 1
}

declare -A HAVE PREFIX
HAVE[native]=1; PREFIX[native]=""
HAVE[bare]=1; PREFIX[bare]=""
"$RFP" --bare-filter getppid --iters 10 >/dev/null 2>"$OUT/logs/probe-bare.err" ||
	{ HAVE[bare]=0; say "the bare seccomp filter cannot be loaded"; status=1; }
HAVE[emulate]=0; HAVE[check]=0; HAVE[strace]=0; HAVE[ptrace]=0
if [ ! -x "$RT" ]; then
	say "$RT not found: remaptrace columns are n/a (build it with make)"
	status=1
elif probe emulate "$RT" "${RT_OPTS[@]}" --; then
	HAVE[emulate]=1
	if probe ptrace "$RT" "${RT_OPTS[@]}" --no-agent --; then
		HAVE[ptrace]=1
	else
		say "remaptrace --no-agent unsupported: its column is n/a"
	fi
	if probe check "$RT" "${RT_OPTS[@]}" --mode=check --; then
		HAVE[check]=1
	else
		say "remaptrace --mode=check unsupported: its column is n/a"
	fi
else
	say "remaptrace cannot emulate a remap loop (see $OUT/logs/probe-emulate.err)"
	status=1
fi
if ! command -v strace >/dev/null; then
	say "strace not installed: its column is n/a (apt-get install strace)"
elif probe strace "${STRACE[@]}"; then
	HAVE[strace]=1
else
	say "strace --seccomp-bpf failed (strace >= 5.3 needed): column n/a"
fi

# cmd_for MODE: the command prefix of a mode, in the array CMD.
cmd_for() {
	case $1 in
	native|bare) CMD=() ;;
	emulate) CMD=("$RT" "${RT_OPTS[@]}" --) ;;
	ptrace) CMD=("$RT" "${RT_OPTS[@]}" --no-agent --) ;;
	check) CMD=("$RT" "${RT_OPTS[@]}" --mode=check --) ;;
	strace) CMD=("${STRACE[@]}") ;;
	esac
}

# run ID MODE REP ARGS...: one measured run, its line appended to RAW.
run() {
	local id=$1 mode=$2 rep=$3 line log rc; shift 3
	[ "${HAVE[$mode]}" = 1 ] || return 0
	cmd_for "$mode"
	log=$OUT/logs/$id.$mode.$rep
	local extra=()
	[ "$mode" = bare ] && extra=(--bare-filter)
	timeout 300 "${CMD[@]}" "$RFP" "${extra[@]}" "$@" \
		>"$log.out" 2>"$log.err"
	rc=$?
	line=$(grep -m1 '^rfpbench ' "$log.out")
	if [ $rc = 0 ] && [ -n "$line" ]; then
		echo "id=$id mode=$mode rep=$rep $line" >>"$RAW"
		rm -f "$log.out" "$log.err"
		return 0
	fi
	say "FAILED: $id $mode (rep $rep): ${CMD[*]} $RFP ${extra[*]} $*" \
	    "(exit $rc, see $log.err)"
	status=1
}

# startup REP: one hyperfine pass over `true` and `remaptrace -- true`
# (10 runs each, their medians recorded), so start-up too is measured once
# per repetition, side by side with everything else.  Without hyperfine,
# 10 runs of each timed from bash (which adds its fork+exec to both).
startup() {
	local rep=$1 f=$OUT/logs/startup.$1.csv tbin rc i t0 c v
	[ "${HAVE[emulate]}" = 1 ] || return 0
	tbin=$(type -P true)
	if [ "$HAVE_HYPERFINE" = 1 ]; then
		hyperfine -N --warmup 2 --runs 10 --style none --export-csv "$f" \
			"$tbin" "$RT ${RT_OPTS[*]} -- $tbin" >/dev/null 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			awk -F, -v rep="$rep" 'NR > 1 { printf "id=startup mode=%s rep=%s wall_s=%s\n", NR == 2 ? "native" : "emulate", rep, $4 }' "$f" >>"$RAW"
			rm -f "$f"
			return 0
		fi
		say "FAILED: start-up under hyperfine (exit $rc)"
		status=1
		return 0
	fi
	for c in native emulate; do
		for i in $(seq 10); do
			t0=$EPOCHREALTIME
			if [ $c = native ]; then "$tbin"
			else "$RT" "${RT_OPTS[@]}" -- "$tbin"; fi
			awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'
		done | sort -g | awk -v c=$c -v rep="$rep" '{ v[NR] = $1 } END {
			printf "id=startup mode=%s rep=%s wall_s=%s\n", c, rep,
			(v[5] + v[6]) / 2 }' >>"$RAW"
	done
}
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1

# stress MODE REP: stress-ng's remap stressor (per bogo op, 4 passes over
# 512 pages of shared anonymous memory, each page mlocked, remapped and
# munlocked, then checked) with --verify, bounded by ops and by time.  Its
# --metrics-brief row gives the bogo ops and their rate; a "fail:" line or
# an unsuccessful run is a failed verification.
HAVE_STRESS=0
command -v stress-ng >/dev/null && HAVE_STRESS=1
stress() {
	local mode=$1 rep=$2 log rc fails line
	[ "$HAVE_STRESS" = 1 ] && [ "${HAVE[$mode]}" = 1 ] || return 0
	cmd_for "$mode"
	log=$OUT/logs/stress.$mode.$rep
	timeout 300 "${CMD[@]}" stress-ng --remap 1 --remap-ops "$STRESS_OPS" \
		--timeout "$STRESS_T" --verify --metrics-brief >"$log.out" 2>&1
	rc=$?
	fails=$(grep -c -e ' fail: ' -e 'unsuccessful run' "$log.out")
	# stress-ng: metrc: [PID] remap OPS REAL USR SYS RATE RATE_CPU
	# stress-ng: metrc: [PID] remap NS nanosecs per page remap ...
	line=$(awk '$2 == "metrc:" && $4 == "remap" {
		if ($6 == "nanosecs") printf " ns_per_remap=%s", $5
		else if ($5 ~ /^[0-9]+$/)
			printf " bogo_ops=%s real_s=%s ops_per_s=%s", $5, $6, $9
	}' "$log.out")
	if [ $rc = 0 ] && [ "$fails" = 0 ] && [[ $line == *ops_per_s=* ]] &&
	   grep -q 'successful run completed' "$log.out"; then
		echo "id=stress.remap mode=$mode rep=$rep$line" >>"$RAW"
		rm -f "$log.out"
		return 0
	fi
	say "FAILED: stress-ng remap $mode (rep $rep): exit $rc, $fails" \
	    "verification failures (see $log.out)"
	status=1
}

# --- the measured runs, repetitions outermost -------------------------------

declare -A RFP_ITERS=([1]=$(iters 5000) [16]=$(iters 4000)
		      [64]=$(iters 2000) [256]=$(iters 1000))
PPID_ITERS=$(iters 2000000)
VMA_ITERS=$(iters 3000)
THR_CALLS=$(iters 8000)
MMAPS=$(iters 20000)
STRESS_OPS=$(iters 100)
STRESS_T=5s
DB_PROCS=4 DB_POOL_MIB=32 DB_WINDOWS=2000
DB_ARGS=(db --procs $DB_PROCS --pool-mib $DB_POOL_MIB --windows $DB_WINDOWS
	 --iters "$(iters 20000)" --warmup 10 --time-limit $TLIMIT)

say "$REPS repetitions; remaptrace: emulate=${HAVE[emulate]}" \
    "check=${HAVE[check]}; strace=${HAVE[strace]}"
# floor REP: the least a 1-page call can cost in remaptrace's design on
# this machine (bench/floor.c): the kernel's call, a notification
# answered at once, an agent's mmap, and the two checks remaptrace makes.
# And the floor of a followed shared mmap (4b, table 1c): seen, and its open file
# taken and kept, nothing else; 15,000 of them, as many copies as
# remaptrace's budget keeps at RLIMIT_NOFILE 20,000 (README), and
# remaptrace itself at that count, in the same repetition.
FLOOR=$B/bench/floor
FLOOR_MMAPS=15000
floor() {
	local rep=$1 m line
	[ -x "$FLOOR" ] || return 0
	for m in native notify agent checked; do
		line=$(timeout 120 "$FLOOR" "$m" --iters "$(iters 20000)" \
			2>>"$OUT/logs/floor.err") || continue
		echo "id=floor mode=$m rep=$rep $line" >>"$RAW"
	done
	for m in native notify copy; do
		line=$(timeout 120 "$FLOOR" "mmaps-$m" \
			--iters "$(iters $FLOOR_MMAPS)" \
			2>>"$OUT/logs/floor.err") || continue
		echo "id=mmfloor mode=$m rep=$rep $line" >>"$RAW"
	done
	run mmfloor emulate "$rep" mmaps --count "$(iters $FLOOR_MMAPS)"
}

for rep in $(seq 1 "$REPS"); do
	say "repetition $rep/$REPS"
	want remap && for p in $PAGES; do
		for m in native emulate ptrace check strace; do
			run "remap.$p" $m "$rep" remap --pages "$p" \
			    --iters "${RFP_ITERS[$p]}" --time-limit $TLIMIT
		done
	done
	want getppid && for m in native bare emulate strace; do
		run getppid $m "$rep" getppid --iters "$PPID_ITERS"
	done
	want vmas && for v in $VMAS; do
		for m in native emulate; do
			run "vmas.$v" $m "$rep" remap --pages 1 --vmas "$v" \
			    --iters "$VMA_ITERS" --time-limit $TLIMIT
		done
	done
	# few warm-up calls: each may read a whole smaps here
	want hidden && for h in $HIDDEN; do
		for v in $VMAS; do
			for m in native emulate; do
				run "hidden.$h.$v" $m "$rep" remap --pages 1 \
				    --vmas "$v" --hidden "$h" --warmup 20 \
				    --iters "$VMA_ITERS" --time-limit $TLIMIT
			done
		done
	done
	want threads && for t in $THREADS; do
		for m in native emulate; do
			run "threads.$t" $m "$rep" remap --pages 1 \
			    --threads "$t" --iters $(( (THR_CALLS + t - 1) / t )) \
			    --time-limit $TLIMIT
		done
	done
	want mmaps && for m in native emulate; do
		run mmaps $m "$rep" mmaps --count "$MMAPS"
	done
	want stress && for m in native emulate; do
		stress $m "$rep"
	done
	want db && for m in native emulate; do
		run db $m "$rep" "${DB_ARGS[@]}"
	done
	want startup && startup "$rep"
	want floor && floor "$rep"
done
want stress && [ "$HAVE_STRESS" = 0 ] &&
	say "stress-ng not installed: its row is n/a (apt-get install stress-ng)"

# smaps_reads H: the whole-smaps reads remaptrace's breakdown
# (REMAPTRACE_BREAKDOWN=1) reports for 200 calls after --hidden H at 1,000
# VMAs, or nothing when it reports none.
smaps_reads() {
	local f=$OUT/logs/smaps.$1
	[ "${HAVE[emulate]}" = 1 ] || return 0
	REMAPTRACE_BREAKDOWN=1 timeout 300 "$RT" -q -o "$f" -- "$RFP" remap \
		--pages 1 --vmas 1000 --hidden "$1" --iters 200 --warmup 0 \
		--time-limit $TLIMIT >/dev/null 2>>"$f" || return 0
	awk '$1 == "smaps" && $2 == "read" { print $3; exit }' "$f"
}
declare -A SMAPS
if want hidden; then
	for h in $HIDDEN; do SMAPS[$h]=$(smaps_reads "$h"); done
fi

# --- statistics ---------------------------------------------------------------

# stat ID MODE KEY: "median min max n" of KEY over the repetitions, or "".
stat() {
	awk -v id="id=$1" -v mode="mode=$2" -v key="$3" '
	$1 == id && $2 == mode {
		for (i = 4; i <= NF; i++)
			if (index($i, key "=") == 1)
				v[n++] = substr($i, length(key) + 2) + 0
	}
	END {
		if (!n) exit
		for (i = 1; i < n; i++)		# insertion sort: n is small
			for (j = i; j > 0 && v[j-1] > v[j]; j--) {
				t = v[j]; v[j] = v[j-1]; v[j-1] = t
			}
		med = n % 2 ? v[int(n/2)] : (v[n/2-1] + v[n/2]) / 2
		printf "%.6g %.6g %.6g %d\n", med, v[0], v[n-1], n
	}' "$RAW"
}

# A value with about 3 significant digits, scaled by DIV.
num() {
	awk -v x="$1" -v d="${2:-1}" 'BEGIN {
		x /= d; a = x < 0 ? -x : x
		if (a >= 100) printf "%.0f", x
		else if (a >= 10) printf "%.1f", x
		else printf "%.2f", x }'
}
# a / b to 2 decimals; below 0.1 to 2 significant digits (0.0021)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) {
	r = a / b; f = r < 0.1 && r > 0 ? "%.2g" : "%.2f"; printf f, r } }'; }

echo "section,param,mode,metric,unit,median,min,max,n,ratio,ratio_to" >"$CSV"
csv() { local IFS=,; echo "$*" >>"$CSV"; }

# cell ID MODE KEY DIV BASE_MEDIAN: "med [min-max] ratio" for the table;
# also records the CSV row.  Sets MED to the median (empty if none).
cell() {
	local s med mn mx n r
	s=$(stat "$1" "$2" "$3")
	MED=""
	if [ -z "$s" ]; then
		CELL="n/a"
		return
	fi
	read -r med mn mx n <<<"$s"
	MED=$med
	r=""
	[ -n "${5:-}" ] && r=$(ratio "$med" "$5")
	CELL="$(num "$med" "$4") [$(num "$mn" "$4")-$(num "$mx" "$4")]"
	[ -n "$r" ] && CELL="$CELL ${r}x"
	local param=""
	case $1 in *.*) param=${1#*.} ;; esac
	csv "${1%%.*}" "$param" "$2" "$3" "${UNIT:-}" "$med" "$mn" "$mx" "$n" \
	    "$r" "${RATIO_TO:-native}"
}

declare -A TARGET_VAL TARGET_LIM
# target NAME VALUE LIMIT OP(le|lt|ge): PASS/MISS/n/a line.
TARGETS=()
target() {
	local res="n/a"
	if [ -n "$2" ]; then
		res=$(awk -v v="$2" -v l="$3" -v op="$4" 'BEGIN {
			ok = op == "le" ? v <= l : op == "lt" ? v < l : v >= l
			print ok ? "PASS" : "MISS" }')
	fi
	TARGETS+=("$(printf '%-4s  %-58s %s' "$res" "$1" "${2:-n/a}")")
	echo "$1,$3,$4,${2:-},$res" >>"$OUT/targets.csv"
}
echo "target,limit,op,value,result" >"$OUT/targets.csv"

# --- machine ----------------------------------------------------------------

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
RTVER=$("$RT" --version 2>/dev/null | head -1)
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel: $(uname -r) $(uname -m)"
	echo "cpu: ${CPU:-unknown}, nproc: $(nproc)"
	echo "remaptrace: $RT ${RT_OPTS[*]} ${RTVER:+($RTVER)}"
	echo "strace: $(strace -V 2>/dev/null | head -1)"
	echo "repetitions: $REPS, scale: $SCALE"
	echo "load average before: $LOAD0"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

# --- peak RSS of a bare start-up --------------------------------------------

peak_rss() {
	[ "${HAVE[emulate]}" = 1 ] || return 0
	if [ ! -x /usr/bin/time ] && [ "$(id -u)" = 0 ] &&
	   command -v apt-get >/dev/null; then
		say "installing GNU time for the peak RSS"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time \
			>/dev/null 2>&1
	fi
	if [ ! -x /usr/bin/time ]; then
		say "/usr/bin/time missing: start-up peak RSS is n/a"
		return 0
	fi
	local i
	for i in $(seq 1 "$REPS"); do
		/usr/bin/time -f 'maxrss=%M' -o "$OUT/logs/rss.$i" \
			"$RT" "${RT_OPTS[@]}" -- true >/dev/null 2>&1 &&
		echo "id=rss.true mode=emulate rep=$i $(cat "$OUT/logs/rss.$i")" \
			>>"$RAW"
	done
}
want startup && peak_rss

# --- the table --------------------------------------------------------------

# Everything from here on also goes to table.txt (tee ends at the bottom).
exec 3>&1 > >(tee "$OUT/table.txt")
TEE=$!

W=28	# cell width
L=12	# label width
row() { local f="%-${L}s" c; for c in "${@:2}"; do f+="  %-${W}s"; done
	printf "$f\n" "$@"; }

echo
echo "remaptrace benchmark: $(head -1 "$OUT/machine.txt" | cut -d' ' -f2-)"
sed -n '2,$p' "$OUT/machine.txt" | sed 's/^/  /'
echo "  every cell: median [min-max] over $REPS runs of each run's figure, then"
echo "  the ratio of that median to the native median from this same run;"
echo "  targets use: $PC_NAME"

declare -A M
if want remap; then
	echo
	echo "1. remap_file_pages, time per call (us): $PC_NAME"
	row pages native "remaptrace (emulate)" "emulate --no-agent" \
	    "remaptrace --mode=check" "strace --seccomp-bpf"
	for p in $PAGES; do
		UNIT=ns RATIO_TO=native
		cell "remap.$p" native "$PERCALL" 1000; cells=("$CELL"); nat=$MED
		M[native.$p]=$nat
		for m in emulate ptrace check strace; do
			cell "remap.$p" $m "$PERCALL" 1000 "$nat"
			cells+=("$CELL"); M[$m.$p]=$MED
		done
		row "$p" "${cells[@]}"
	done
	echo "   the same, $ALT_NAME"
	for p in $PAGES; do
		UNIT=ns RATIO_TO=native
		cell "remap.$p" native $ALT 1000; cells=("$CELL"); nat=$MED
		for m in emulate ptrace check strace; do
			cell "remap.$p" $m $ALT 1000 "$nat"; cells+=("$CELL")
		done
		row "$p" "${cells[@]}"
	done
fi

if want getppid; then
	echo
	echo "2. getppid (not intercepted), time per call (ns): each run's fastest"
	echo "   decile of 2 ms batches (steady under load; median batch in the CSV)"
	row "" native "bare 1-rule filter" "remaptrace" "strace --seccomp-bpf"
	UNIT=ns RATIO_TO=native
	cell getppid native ns_per_call 1; cells=("$CELL"); nat=$MED
	for m in bare emulate strace; do
		cell getppid $m ns_per_call 1 "$nat"; cells+=("$CELL"); M[ppid.$m]=$MED
	done
	for m in native bare emulate strace; do
		cell getppid $m ns_p50_batch 1
	done
	row getppid "${cells[@]}"
	[ -n "${M[ppid.bare]}" ] && [ -n "${M[ppid.emulate]}" ] &&
		echo "   remaptrace / bare filter: $(ratio "${M[ppid.emulate]}" \
			"${M[ppid.bare]}")x"
fi

if want vmas; then
	echo
	echo "3. 1-page remap as the address space grows, time per call (us): $PC_NAME"
	row "VMAs" "(total in tracee)" native "remaptrace (emulate)" \
	    "emulate / emulate@10"
	for v in $VMAS; do
		tot=$(stat "vmas.$v" native vmas_total | cut -d' ' -f1)
		UNIT=ns RATIO_TO=native
		cell "vmas.$v" native "$PERCALL" 1000; n=$CELL; nat=$MED
		cell "vmas.$v" emulate "$PERCALL" 1000 "$nat"; e=$CELL
		M[vmas.$v]=$MED
		r="n/a"
		[ -n "${M[vmas.$v]}" ] && [ -n "${M[vmas.10]:-}" ] &&
			r="$(ratio "${M[vmas.$v]}" "${M[vmas.10]}")x"
		row "$v" "${tot:-?}" "$n" "$e" "$r"
	done
fi

if want hidden; then
	echo
	echo "3b. 1-page remap after one unrelated call that changes a VMA flag"
	echo "   PROCMAP_QUERY does not show (mlock+munlock of another page,"
	echo "   madvise(MADV_DONTDUMP) of another mapping, mlockall(MCL_CURRENT)"
	echo "   +munlockall), time per call (us): $PC_NAME"
	L=14
	row "call/VMAs" native "remaptrace (emulate)" "emulate / same call@10" \
	    "emulate / no call (3.)"
	for h in $HIDDEN; do
		for v in $VMAS; do
			UNIT=ns RATIO_TO=native
			cell "hidden.$h.$v" native "$PERCALL" 1000; n=$CELL
			nat=$MED
			cell "hidden.$h.$v" emulate "$PERCALL" 1000 "$nat"; e=$CELL
			M[hid.$h.$v]=$MED; M[hidnat.$h.$v]=$nat
			r="n/a" r2="n/a"
			[ -n "${M[hid.$h.$v]}" ] && [ -n "${M[hid.$h.10]:-}" ] &&
				r="$(ratio "${M[hid.$h.$v]}" "${M[hid.$h.10]}")x"
			[ -n "${M[hid.$h.$v]}" ] && [ -n "${M[vmas.$v]:-}" ] &&
				r2="$(ratio "${M[hid.$h.$v]}" "${M[vmas.$v]}")x"
			row "$h/$v" "$n" "$e" "$r" "$r2"
		done
	done
	L=12
	echo "   whole /proc/PID/smaps reads (REMAPTRACE_BREAKDOWN), in 200"
	echo "   calls after the call, at 1,000 VMAs:"
	for h in $HIDDEN; do
		printf '   %-10s %s\n' "$h:" \
			"${SMAPS[$h]:-n/a (not in the breakdown of this remaptrace)}"
		[ -n "${SMAPS[$h]}" ] &&
			csv smaps "$h" emulate smaps_reads /200calls \
			    "${SMAPS[$h]}" "" "" 1 "" ""
	done
fi

if want threads; then
	echo
	echo "4. threads remapping 1 page concurrently"
	row threads "native calls/s" "remaptrace calls/s" "native p99 (us)" \
	    "remaptrace p99 (us)" "supervisor switches/call"
	for t in $THREADS; do
		UNIT=1/s RATIO_TO=native
		cell "threads.$t" native calls_per_s 1; a=$CELL; nat=$MED
		cell "threads.$t" emulate calls_per_s 1 "$nat"; b=$CELL
		M[thr.$t]=$MED
		UNIT=ns
		cell "threads.$t" native p99_ns 1000; c=$CELL; nat=$MED
		cell "threads.$t" emulate p99_ns 1000 "$nat"; d=$CELL
		# below 1: calls of other threads judged while the agent runs one
		UNIT=1 RATIO_TO=""
		cell "threads.$t" emulate sup_vcsw_per_call 1; e=$CELL
		row "$t" "$a" "$b" "$c" "$d" "$e"
	done
fi

if want mmaps; then
	echo
	echo "4b. $MMAPS shared mmaps, each of an open file of its own (open, mmap,"
	echo "   close), the whole loop (s): following them keeps one copy each"
	row "" native "remaptrace (emulate)"
	UNIT=s RATIO_TO=native
	cell mmaps native wall_s 1; a=$CELL; nat=$MED
	cell mmaps emulate wall_s 1 "$nat"; b=$CELL; M[mmaps]=$MED
	M[mmaps.native]=$nat
	row mmaps "$a" "$b"
fi

if want stress; then
	echo
	echo "4c. stress-ng --remap 1 --verify --metrics-brief, $STRESS_OPS bogo ops or"
	echo "   $STRESS_T (whichever ends first; one op: 4 passes over 512 pages,"
	echo "   each mlocked, remapped, munlocked); a failed verification fails"
	echo "   the run (FAILED above) and leaves it out"
	row "" native "remaptrace (emulate)"
	UNIT=1/s RATIO_TO=native
	cell stress.remap native ops_per_s 1; a=$CELL; nat=$MED
	cell stress.remap emulate ops_per_s 1 "$nat"; b=$CELL
	M[stress]=$MED; M[stress.native]=$nat
	row "bogo ops/s" "$a" "$b"
	UNIT=ns
	cell stress.remap native ns_per_remap 1000; a=$CELL; nat=$MED
	cell stress.remap emulate ns_per_remap 1000 "$nat"; b=$CELL
	row "us/remap" "$a" "$b"
	[ "$HAVE_STRESS" = 1 ] ||
		echo "   n/a: stress-ng is not installed (apt-get install stress-ng)"
fi

if want db; then
	echo
	echo "4d. database: $DB_PROCS processes share one locked $DB_POOL_MIB MiB pool, each"
	echo "   remapping $DB_WINDOWS locked 1-page windows onto random pool pages;"
	echo "   remaps/s of all of them (every window checked at the end: a wrong"
	echo "   page fails the run)"
	tot=$(stat db native vmas_total | cut -d' ' -f1)
	row "" native "remaptrace (emulate)" "VMAs per process"
	UNIT=1/s RATIO_TO=native
	cell db native remaps_per_s 1; a=$CELL; nat=$MED
	cell db emulate remaps_per_s 1 "$nat"; b=$CELL
	M[db]=$MED; M[db.native]=$nat
	row remaps/s "$a" "$b" "${tot:-?}"
fi

if want floor; then
	echo
	echo "1b. the floor of the design: a 1-page call answered by a"
	echo "   supervisor through an agent, with nothing of remaptrace's own"
	echo "   (bench/floor.c, all on one CPU: the kernel's call; a notification"
	echo "   answered at once; + the agent's mmap; + PROCMAP_QUERY and"
	echo "   NOTIF_ID_VALID), time per call (us, mean)"
	if [ -x "$FLOOR" ]; then
		cell floor native ns_per_call 1000; nat=$MED
		row "kernel" "$CELL"
		cell floor notify ns_per_call 1000 "$nat"
		row "notify" "$CELL"
		cell floor agent ns_per_call 1000 "$nat"
		row "+agent" "$CELL"
		cell floor checked ns_per_call 1000 "$nat"
		row "+checks" "$CELL"
		M[floor]=$MED; M[floor.native]=$nat
		echo
		echo "1c. the floor of following shared mmaps (row 4b): the same loop,"
		echo "   $(iters $FLOOR_MMAPS) times (bench/floor.c, on one CPU: no filter; the"
		echo "   mmap sent to a supervisor that lets it go on at once; + its"
		echo "   open file taken with pidfd_getfd and kept), time per mmap (us)"
		UNIT=ns RATIO_TO=native
		cell mmfloor native ns_per_mmap 1000; nat=$MED
		row "kernel" "$CELL"
		cell mmfloor notify ns_per_mmap 1000 "$nat"
		row "notify" "$CELL"
		cell mmfloor copy ns_per_mmap 1000 "$nat"
		row "+copy" "$CELL"
		cell mmfloor emulate ns_per_mmap 1000 "$nat"
		row "remaptrace" "$CELL"
	else
		echo "   n/a ($FLOOR is missing)"
	fi
fi

if want startup; then
	echo
	echo "5. start-up and supervisor memory"
	UNIT=s RATIO_TO=native
	cell startup native wall_s 0.001; nat=$MED
	printf '   %-34s %s\n' "true (ms)" "$CELL"
	cell startup emulate wall_s 0.001 "$nat"
	d=""
	[ -n "$MED" ] && d=", +$(num "$(awk -v a="$MED" -v b="$nat" 'BEGIN { print a - b }')" 0.001) ms"
	printf '   %-34s %s%s\n' "remaptrace -- true (ms)" "$CELL" "$d"
	UNIT=KiB RATIO_TO=""
	cell rss.true emulate maxrss 1
	printf '   %-34s %s KiB\n' "peak RSS, remaptrace -- true" "$CELL"
	for id in vmas.30000 threads.8 remap.256; do
		cell "$id" emulate sup_hwm_kb 1
		comm=$(awk -v id="id=$id" '$1 == id && $2 == "mode=emulate" {
			for (i = 4; i <= NF; i++) if ($i ~ /^sup_comm=/)
				{ print substr($i, 10); exit } }' "$RAW")
		printf '   %-34s %s KiB (VmHWM of %s)\n' "peak RSS, $id" "$CELL" \
			"${comm:-?}"
	done
	cell remap.1 strace sup_hwm_kb 1
	printf '   %-34s %s KiB\n' "peak RSS of strace, remap.1" "$CELL"
fi

if want remap; then
	echo
	echo "6. context switches per call (tracee: getrusage; supervisor: every"
	echo "   thread's /proc status), and ptrace stops per call: the tracee's"
	echo "   voluntary switches minus the notification wait (an upper bound)"
	row "" "tracee vol/invol" "supervisor vol/invol" "~ptrace stops"
	UNIT=/call RATIO_TO=""
	for m in emulate check strace; do
		for p in 1 256; do
			s1=$(stat "remap.$p" $m self_vcsw_per_call | cut -d' ' -f1)
			[ -n "$s1" ] || continue
			s2=$(stat "remap.$p" $m self_ivcsw_per_call | cut -d' ' -f1)
			s3=$(stat "remap.$p" $m sup_vcsw_per_call | cut -d' ' -f1)
			s4=$(stat "remap.$p" $m sup_ivcsw_per_call | cut -d' ' -f1)
			# strace stops the caller without a notification to wait on.
			wait=1; [ $m = strace ] && wait=0
			st=$(awk -v v="$s1" -v w=$wait 'BEGIN {
				s = v - w; printf "%.2f", s < 0 ? 0 : s }')
			row "$m.$p" "$(num "$s1")/$(num "$s2")" "$(num "$s3")/$(num "$s4")" "$st"
			for k in self_vcsw self_ivcsw sup_vcsw sup_ivcsw; do
				cell "remap.$p" $m ${k}_per_call 1 >/dev/null
			done
			csv csw "$p" $m ptrace_stops_est /call "$st" "" "" "" "" ""
		done
	done
fi

breakdown() {
	local f=$OUT/breakdown.txt how=""
	[ "${HAVE[emulate]}" = 1 ] || { echo "   n/a (no remaptrace)"; return; }
	if timeout 30 "$RT" --stats-breakdown -- true >/dev/null 2>&1; then
		how=flag
	fi
	local args=(remap --pages 1 --iters "${RFP_ITERS[1]}")
	if [ "$how" = flag ]; then
		timeout 120 "$RT" --stats-breakdown -o "$f.o" -- "$RFP" \
			"${args[@]}" >/dev/null 2>"$f.e"
	else
		REMAPTRACE_BREAKDOWN=1 timeout 120 "$RT" -o "$f.o" -- "$RFP" \
			"${args[@]}" >/dev/null 2>"$f.e"
	fi
	# The breakdown: from the first line naming it, wherever it went.
	cat "$f.e" "$f.o" 2>/dev/null |
		awk 'tolower($0) ~ /breakdown/ { on = 1 } on && n++ < 40' >"$f"
	rm -f "$f.e" "$f.o"
	if [ -s "$f" ]; then
		sed 's/^/   /' "$f"
	else
		echo "   per-phase breakdown: not exposed by this remaptrace (neither"
		echo "   --stats-breakdown nor REMAPTRACE_BREAKDOWN=1 printed one)"
	fi
	# remaptrace's own latency summary (-c), next to what the caller saw:
	# the gap is notification delivery and wake-ups outside its clock.
	if timeout 120 "$RT" -q -c -o "$f.c" -- "$RFP" "${args[@]}" \
		>"$f.t" 2>>"$f.c"; then
		echo "   the caller saw: $(awk '{ for (i = 1; i <= NF; i++)
			if ($i ~ /^(ns_per_call|p50_ns|p99_ns)=/) printf "%s ", $i }' "$f.t")"
		echo "   remaptrace -c (its own clock):"
		sed 's/^/     /' "$f.c"
		{ echo "--- remaptrace -c"; cat "$f.c"; echo "--- caller"
		  cat "$f.t"; } >>"$f"
	fi
	rm -f "$f.c" "$f.t"
}
if want remap; then
	echo
	echo "7. where the time of one emulated call goes"
	breakdown
fi

# supsys MODE OPTS...: the supervisor's system calls per emulated call:
# strace -c on remaptrace alone (no -f, so the tracee stays free for it),
# the difference of a 1200- and a 200-call run, so start-up cancels out.
supsys() {
	local mode=$1 n; shift
	for n in 200 1200; do
		timeout 120 strace -c -U calls,name -o "$OUT/logs/supsys.$mode.$n" \
			"$RT" -q "$@" -- "$RFP" remap --pages 1 --iters $n \
			--warmup 0 >/dev/null 2>&1 || return 1
	done
	awk -v mode="$mode" -v csv="$CSV" '
	$2 == "total" { next }
	NR == FNR && $1 ~ /^[0-9]+$/ { a[$2] = $1; next }
	$1 ~ /^[0-9]+$/ { d = ($1 - a[$2]) / 1000; if (d >= 0.05) {
		v[$2] = d; nv++; tot += d } }
	END {
		line = ""
		for (; nv > 0; nv--) {	# largest first
			m = ""; for (k in v) if (m == "" || v[k] > v[m]) m = k
			line = line sprintf("%s %.1f, ", m, v[m])
			printf "supsys,,%s,%s,/call,%.2f,,,,,\n", mode, m, v[m] >>csv
			delete v[m]
		}
		printf "   %-8s %s(total %.1f)\n", mode ":", line, tot
	}' "$OUT/logs/supsys.$mode.200" "$OUT/logs/supsys.$mode.1200"
}
if want remap && [ "${HAVE[emulate]}" = 1 ] && [ "${HAVE[strace]}" = 1 ]; then
	echo "   the supervisor's system calls per 1-page call (strace -c on"
	echo "   remaptrace alone; 1200-call run minus 200-call run):"
	supsys emulate || echo "   emulate: n/a (remaptrace under strace -c failed)"
	if [ "${HAVE[check]}" = 1 ]; then
		supsys check --mode=check || echo "   check: n/a"
	fi
fi

echo
echo "8. targets (ratios from this run)"
if want remap; then
	target "1-page emulated call <= 5x native" \
		"$([ -n "${M[emulate.1]}" ] && ratio "${M[emulate.1]}" "${M[native.1]}")" 5 le
	target "64-page emulated call <= 2x native" \
		"$([ -n "${M[emulate.64]}" ] && ratio "${M[emulate.64]}" "${M[native.64]}")" 2 le
	target "256-page emulated call <= 1.3x native" \
		"$([ -n "${M[emulate.256]}" ] && ratio "${M[emulate.256]}" "${M[native.256]}")" 1.3 le
	for p in $PAGES; do
		v=""
		[ -n "${M[emulate.$p]}" ] && [ -n "${M[strace.$p]}" ] &&
			v=$(ratio "${M[emulate.$p]}" "${M[strace.$p]}")
		target "$p-page emulated call cheaper than strace (emulate/strace < 1)" "$v" 1 lt
	done
fi
want getppid &&
	target "getppid under remaptrace <= 1.05x the bare filter" \
		"$([ -n "${M[ppid.emulate]}" ] && [ -n "${M[ppid.bare]}" ] &&
		   ratio "${M[ppid.emulate]}" "${M[ppid.bare]}")" 1.05 le
want vmas &&
	target "emulated call at 30,000 VMAs <= 1.3x at 10 VMAs" \
		"$([ -n "${M[vmas.30000]}" ] && [ -n "${M[vmas.10]}" ] &&
		   ratio "${M[vmas.30000]}" "${M[vmas.10]}")" 1.3 le
want threads &&
	target "8 threads' calls/s >= 1 thread's (8/1 >= 1)" \
		"$([ -n "${M[thr.8]}" ] && [ -n "${M[thr.1]}" ] &&
		   ratio "${M[thr.8]}" "${M[thr.1]}")" 1 ge
want mmaps &&
	target "$MMAPS distinct shared mmaps <= 2x native" \
		"$([ -n "${M[mmaps]}" ] && [ -n "${M[mmaps.native]}" ] &&
		   ratio "${M[mmaps]}" "${M[mmaps.native]}")" 2 le
want stress &&
	target "stress-ng remap bogo ops/s under remaptrace >= 1/5 native" \
		"$([ -n "${M[stress]}" ] && [ -n "${M[stress.native]}" ] &&
		   ratio "${M[stress]}" "${M[stress.native]}")" 0.2 ge
if want hidden; then
	for h in $HIDDEN; do
		v=""
		[ -n "${M[hid.$h.30000]}" ] && [ -n "${M[hid.$h.10]}" ] &&
			v=$(ratio "${M[hid.$h.30000]}" "${M[hid.$h.10]}")
		target "after $h: emulated call at 30,000 VMAs <= 1.3x at 10" \
			"$v" 1.3 le
		v=""
		[ -n "${M[hid.$h.30000]}" ] && [ -n "${M[hidnat.$h.30000]}" ] &&
			v=$(ratio "${M[hid.$h.30000]}" "${M[hidnat.$h.30000]}")
		target "after $h: 1-page call at 30,000 VMAs <= 5x native" \
			"$v" 5 le
	done
fi
want db &&
	target "db: remaps/s under remaptrace >= 1/5 native" \
		"$([ -n "${M[db]}" ] && [ -n "${M[db.native]}" ] &&
		   ratio "${M[db]}" "${M[db.native]}")" 0.2 ge
printf '   %s\n' "${TARGETS[@]}"

# --- plot -------------------------------------------------------------------

plot() {
	local m p v s t
	if ! command -v gnuplot >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			say "installing gnuplot-nox for the plot"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				gnuplot-nox >/dev/null 2>&1
		fi
		command -v gnuplot >/dev/null || {
			echo "plot: skipped (gnuplot missing; apt-get install gnuplot-nox)"
			return 0; }
	fi
	# One file per series: x median min max (ns); series without data
	# are left out of the plot.
	local dir=$OUT/plot left="" right="" f
	mkdir -p "$dir"
	rm -f "$dir"/*.dat
	for m in native emulate ptrace check strace; do
		f=$dir/remap.$m.dat
		for p in $PAGES; do
			s=$(stat "remap.$p" $m "$PERCALL")
			[ -n "$s" ] && echo "$p $s" >>"$f"
		done
		[ -s "$f" ] && left+="${left:+, }'$f' using 1:(s(2)):(s(3)):(s(4)) with yerrorlines title '$m'"
	done
	for m in native emulate; do
		f=$dir/vmas.$m.dat
		for v in $VMAS; do
			s=$(stat "vmas.$v" $m "$PERCALL")
			t=$(stat "vmas.$v" native vmas_total | cut -d' ' -f1)
			[ -n "$s" ] && echo "${t:-$v} $s" >>"$f"
		done
		[ -s "$f" ] && right+="${right:+, }'$f' using 1:(s(2)):(s(3)):(s(4)) with yerrorlines title '$m'"
	done
	[ -n "$left" ] || { echo "plot: skipped (no data)"; return 0; }
	gnuplot <<-EOF 2>"$OUT/logs/gnuplot.err" || {
	set terminal svg size 1000,420 dynamic font 'sans,11' background rgb 'white'
	set output '$OUT/bench.svg'
	set termoption noenhanced
	set multiplot layout 1,2 title "remap_file_pages, $PC_NAME (median, bars: min-max of $REPS runs) - Linux $(uname -r), ${CPU:-?}, $(nproc) CPUs"
	set logscale xy
	set grid
	set key top left
	s(c) = column(c) / 1000.0
	set ylabel 'time per call (us)'
	set xlabel 'range size (pages)'
	set xtics (1, 4, 16, 64, 256)
	set xrange [0.7:360]
	plot $left
	set xlabel 'VMAs in the tracee (1-page range)'
	set xtics auto
	set xrange [*:*]
	plot ${right:-1/0 notitle}
	unset multiplot
	EOF
		echo "plot: gnuplot failed, see $OUT/logs/gnuplot.err"
		return 0
	}
	echo "plot: $OUT/bench.svg"
}
if want remap; then
	echo
	plot
fi
echo "results: $CSV, $OUT/targets.csv, $OUT/table.txt, $OUT/machine.txt,"
echo "         raw runs $RAW"
echo "bench took $(awk -v a="$T_START" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%.0f", b - a }') s"
exec >&3 3>&-
wait $TEE
[ $status = 0 ] || say "some configurations could not run (see above)"
exit $status
