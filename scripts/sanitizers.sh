#!/bin/sh
# Runs the unit tests built with AddressSanitizer and UndefinedBehavior-
# Sanitizer, with ThreadSanitizer (the stress suite runs store, token,
# limiter and reload in several threads at once), and once under valgrind's
# memcheck.  Any report fails the run.  Sanitizer builds live in
# build/asan and build/tsan; what each run printed in build/<kind>/run.log.
#
# usage: scripts/sanitizers.sh [asan] [tsan] [valgrind]   (default: all)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- asan tsan valgrind
status=0

# check KIND CFLAGS ENV...: build qcd_tests in build/KIND and run it
check() {
	kind=$1 flags=$2
	shift 2
	obj=$top/build/$kind
	if ! QCD_OBJ=$obj CFLAGS="-g -O1 -fno-omit-frame-pointer $flags" \
			"$top/scripts/build.sh" >/dev/null ||
	   ! make -C "$obj" -j"$(nproc)" qcd_tests >"$obj/make-check.out" 2>&1; then
		echo "FAIL  $kind: build failed, see $obj"
		status=1
		return
	fi
	if (cd "$obj" && env "$@" ./qcd_tests) >"$obj/run.log" 2>&1 &&
	   ! grep -qE "ERROR: (Address|Thread|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$obj/run.log"; then
		echo "ok    $kind: $(grep -h "Checks:" "$obj/run.log")"
	else
		echo "FAIL  $kind, see $obj/run.log"
		grep -E -A 12 "Sanitizer|runtime error:|Failures: [1-9]|Errors: [1-9]" "$obj/run.log" | head -n 40
		status=1
	fi
}

for what in "$@"; do
	case "$what" in
		asan)
			# Debian's libraries are not instrumented; leaks are valgrind's
			check asan "-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
				ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
				UBSAN_OPTIONS=print_stacktrace=1 ;;
		tsan)
			check tsan "-fsanitize=thread" TSAN_OPTIONS=halt_on_error=0 ;;
		valgrind)
			obj=$top/build/obj
			"$top/scripts/build.sh" >/dev/null &&
				make -C "$obj" -j"$(nproc)" qcd_tests >/dev/null 2>&1 || { echo "FAIL  valgrind: build"; status=1; continue; }
			# definite leaks and invalid accesses whose stack passes through
			# our code; libstrongswan's own one-time allocations are not ours
			(cd "$obj" && valgrind --leak-check=full --errors-for-leak-kinds=definite \
				--show-leak-kinds=definite --num-callers=30 \
				./qcd_tests 2>&1 || true) > "$obj/valgrind.log"
			# ours: an invalid access or use of uninitialised memory whose
			# top frame is in our code, a definite leak allocated through it
			if awk '
				/Invalid (read|write|free)|uninitialised|Conditional jump/ { k = "err"; top = 1; next }
				/are definitely lost/ { k = "leak"; next }
				/^==[0-9]+== *$/ { k = ""; next }
				k == "err" && top && /   at / { if ($0 ~ /\((qcd_[a-z_]+|test_[a-z_]+)\.c:/) f = 1; top = 0 }
				k == "leak" && /\(qcd_[a-z_]+\.c:/ && !/qcd_tests\.c/ { f = 1 }
				END { exit !f }' "$obj/valgrind.log" ||
			   ! grep -q "Failures: 0, Errors: 0" "$obj/valgrind.log"; then
				echo "FAIL  valgrind, see $obj/valgrind.log"
				status=1
			else
				echo "ok    valgrind: $(grep -h "Checks:" "$obj/valgrind.log"), no definite leak or invalid access in qcd code"
			fi ;;
		*) echo "usage: scripts/sanitizers.sh [asan] [tsan] [valgrind]"; exit 1 ;;
	esac
done
exit $status
