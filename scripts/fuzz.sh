#!/bin/sh
# Builds the libFuzzer targets in fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60),
# starting from the seed corpus in fuzz/corpus/<target>.  The corpus a run
# grows is kept in build/fuzz/corpus-<target> for the next run; a crash is
# written to build/fuzz/ and fails the run.  Prints executions per second.
#
# usage: scripts/fuzz.sh [SECONDS] [reply|secret|journal ...]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- reply secret journal
"$top/scripts/setup.sh" >/dev/null || exit 1
tree=$(cat "$top/build/cache/strongswan-src")
out=$top/build/fuzz
mkdir -p "$out"
qcd=$top/src/libcharon/plugins/qcd
status=0

for target in "$@"; do
	case "$target" in
		reply) sources="$qcd/qcd_reply.c" ;;
		secret) sources="$qcd/qcd_secret.c $qcd/qcd_file.c" ;;
		journal) sources="$qcd/qcd_journal.c $qcd/qcd_file.c $qcd/qcd_limiter.c" ;;
		*) echo "fuzz: unknown target $target"; exit 1 ;;
	esac
	bin=$out/fuzz_$target
	if [ ! -x "$bin" ] || [ -n "$(find "$top/fuzz/fuzz_$target.c" $sources \
			"$qcd"/*.h -newer "$bin" 2>/dev/null)" ]; then
		# shellcheck disable=SC2086
		clang -g -O1 -fsanitize=fuzzer,address,undefined \
			-fno-sanitize-recover=undefined -Wno-format -Wno-pointer-sign \
			-include "$tree/config.h" -I"$tree/src/libstrongswan" \
			-I"$tree/src/libcharon" -I"$qcd" \
			"$top/fuzz/fuzz_$target.c" $sources -o "$bin" \
			-L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -lcharon -lstrongswan \
			2>"$out/build-$target.log" ||
			{ echo "FAIL  fuzz_$target: build, see $out/build-$target.log"; status=1; continue; }
	fi
	corpus=$out/corpus-$target
	mkdir -p "$corpus"
	cp -n "$top/fuzz/corpus/$target/"* "$corpus/" 2>/dev/null
	log=$out/fuzz-$target.log
	if (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" \
			-print_final_stats=1 -artifact_prefix="$out/crash-$target-" \
			"$corpus") >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		echo "ok    fuzz_$target: $execs executions in ${seconds}s, $rate/s, corpus $(ls "$corpus" | wc -l) inputs"
	else
		echo "FAIL  fuzz_$target, see $log"
		grep -E -A 15 "ERROR|runtime error|deadly signal" "$log" | head -n 30
		status=1
	fi
done
exit $status
