#!/usr/bin/env bash
# layers.sh - fail when a source file calls upward, or files call each
# other in a cycle.  The calls are read from the objects the build made
# (nm: what each one uses and what each one defines), so a call is a call
# however it is spelled; the layers are tools/layers.txt.
#
#   tools/layers.sh [LAYERS-FILE [BUILD-DIR [SOURCE-DIR]]]
#
# Exit 0 when every call goes down or sideways and there is no cycle; 1
# with one line per offence; 2 when the build or the layers file is wrong.
set -u -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
layers=$(realpath "${1:-$top/tools/layers.txt}") || exit 2
build=$(realpath "${2:-$top/build}") || exit 2
cd "${3:-$top}" || exit 2

declare -A rank name
while read -r n lname files; do
	case $n in ''|\#*) continue ;; esac
	for f in $files; do
		rank[$f]=$n
		name[$f]=$lname
	done
done < "$layers"

shopt -s nullglob
objs=$(echo "$build"/tracer/*.o "$build"/emu/*.o)
if [ -z "$objs" ]; then
	echo "layers: no objects under $build: run make first" >&2
	exit 2
fi
bad=0
for o in $objs; do
	src=${o#"$build"/}
	src=${src%.o}
	if [ -e "$src.c" ]; then src=$src.c; else src=$src.S; fi
	if [ -z "${rank[$src]:-}" ]; then
		echo "layers: $src is in no layer of $layers"
		bad=1
	fi
done
[ "$bad" -eq 0 ] || exit 1

# symbol -> defining source file
declare -A def
for o in $objs; do
	src=${o#"$build"/}; src=${src%.o}
	if [ -e "$src.c" ]; then src=$src.c; else src=$src.S; fi
	while read -r sym; do
		def[$sym]=$src
	done < <(nm --defined-only -g "$o" | awk '$2 ~ /[TDBRC]/ {print $3}')
done

edges=$(mktemp) || exit 2
trap 'rm -f "$edges"' EXIT
for o in $objs; do
	src=${o#"$build"/}; src=${src%.o}
	if [ -e "$src.c" ]; then src=$src.c; else src=$src.S; fi
	while read -r sym; do
		to=${def[$sym]:-}
		[ -n "$to" ] && [ "$to" != "$src" ] || continue
		echo "$src $to" >> "$edges"
		if [ "${rank[$to]}" -gt "${rank[$src]}" ]; then
			echo "layers: $src (${name[$src]}) calls up into $to" \
			     "(${name[$to]}): $sym"
			bad=1
		fi
	done < <(nm -u "$o" | awk '{print $2}')
done
# tsort names the files of a cycle on stderr.
if ! sort -u "$edges" | tsort > /dev/null 2> "$edges.cycle"; then
	echo "layers: the calls between files form a cycle:"
	sed 's/^tsort: /  /' "$edges.cycle"
	bad=1
fi
rm -f "$edges.cycle"
[ "$bad" -eq 0 ] && echo "layers: $(echo "$objs" | wc -w) files," \
	"$(sort -u "$edges" | wc -l) links between them: all down or" \
	"sideways, no cycle"
exit "$bad"
