#!/bin/sh
# Installs what is missing, builds, and runs every test: the unit tests
# (make check), the same under sanitizers and valgrind, the fuzz targets
# (QCD_FUZZ_SECONDS each, default 60), crash-injected secret writes, all
# namespace scenarios, the Debian package (built, lintian-checked,
# autopkgtested, purged), all of it again on Debian trixie's strongSwan 6.0.1
# (in a root file system made once; QCD_NO_TRIXIE=1 skips it), and smoke
# runs of the benchmarks.  Exits non-zero on any failure.
#
# usage: scripts/test.sh [scenario ...]   (default: all scenarios)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" || exit 1

status=0
echo "== unit tests"
if make -C "$top/build/obj" -j"$(nproc)" check >"$top/build/obj/check.out" 2>&1; then
	grep -h "Checks:" "$top/build/obj/qcd_tests.log"
else
	cat "$top/build/obj/qcd_tests.log" 2>/dev/null || tail -n 30 "$top/build/obj/check.out"
	status=1
fi

if [ $# -eq 0 ]; then
	echo "== sanitizers: unit tests under ASan+UBSan, TSan, valgrind"
	"$top/scripts/sanitizers.sh" || status=1
	echo "== fuzzing, ${QCD_FUZZ_SECONDS:-60}s per target"
	"$top/scripts/fuzz.sh" "${QCD_FUZZ_SECONDS:-60}" || status=1
	echo "== secret file writes killed at random moments"
	"$top/testing/crash-secret" || status=1
fi

if [ $# -eq 0 ]; then
	echo "== Debian package: build, lintian --pedantic, autopkgtest"
	"$top/scripts/package.sh" --autopkgtest || status=1
fi

echo "== scenarios (Debian's charon)"
"$top/testing/ns-do-tests" "$@" || status=1

if [ $# -eq 0 ]; then
	# upstream's default build has no mediation: replies take the other path
	echo "== headline scenario with upstream's default charon (no mediation)"
	if "$top/scripts/setup-upstream.sh"; then
		"$top/testing/ns-do-tests" --charon upstream ikev2/qcd-gateway-restart || status=1
	else
		status=1
	fi
fi

if [ $# -eq 0 ] && [ -z "${QCD_NO_TRIXIE:-}" ]; then
	# Debian trixie's strongSwan 6.0.1, in a root file system made once
	echo "== Debian trixie, strongSwan 6.0.1 (QCD_NO_TRIXIE=1 skips)"
	if "$top/scripts/setup-trixie.sh"; then
		if "$top/scripts/in-trixie" sh -c "cd '$top/build/obj-trixie' && ./qcd_tests" \
				> "$top/build/obj-trixie/check.out" 2>&1; then
			echo "unit tests: $(grep -h "Checks:" "$top/build/obj-trixie/check.out")"
		else
			tail -n 20 "$top/build/obj-trixie/check.out"
			status=1
		fi
		"$top/testing/ns-do-tests" --charon trixie || status=1
		"$top/testing/series-check" || status=1
		"$top/scripts/package.sh" --trixie --autopkgtest || status=1
	else
		status=1
	fi
fi

if [ $# -eq 0 ]; then
	# seconds each, so that the benchmarks do not rot; real runs: README
	echo "== benchmark smoke runs"
	short="--dpd-delay 2 --tries 1 --timeout 1 --base 1"
	for b in "recovery -n 1 $short" "mass-recovery -n 20 $short" \
			 "overhead -n 20 -r 1" "flood --seconds 2"; do
		if "$top/testing/bench/"$b > "$top/build/bench-smoke.out" 2>&1; then
			echo "ok    testing/bench/$b"
		else
			echo "FAIL  testing/bench/$b"
			tail -n 20 "$top/build/bench-smoke.out"
			status=1
		fi
	done
fi

[ $status = 0 ] && echo "== all tests passed" || echo "== TESTS FAILED"
exit $status
