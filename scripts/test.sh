#!/bin/sh
# Installs what is missing, builds, and runs every test: the unit tests
# (make check), the same under sanitizers and valgrind, the fuzz targets
# (QCD_FUZZ_SECONDS each, default 60), crash-injected secret writes, all
# namespace scenarios, the Debian package (built, lintian-checked,
# autopkgtested, purged), the export for strongSwan's KVM testbed, scenarios
# with the kernel's IPsec in a VM (an image made once; QCD_NO_VM=1 skips
# it), all of it again on Debian trixie's strongSwan 6.0.1 and on Debian
# forky's 6.1.0 (in root file systems made once; QCD_NO_RELEASES=1 skips
# them), and smoke runs of the benchmarks.  Exits non-zero on any failure.
#
# What is slow to make and needs the network more than the CPU (the release
# roots, the VM image) is made in the background while the first groups run;
# the groups that need it wait for it.
#
# usage: scripts/test.sh [scenario ...]   (default: all scenarios)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" || exit 1

passed=0 failed=0
# step NAME COMMAND...: one group of tests, counted in the closing line
step() {
	name=$1 start=$(date +%s)
	shift
	echo "== $name"
	if "$@"; then
		echo "      ($(($(date +%s) - start)) s)"
		passed=$((passed + 1))
	else
		echo "FAIL  $name ($(($(date +%s) - start)) s)"
		failed=$((failed + 1))
		return 1
	fi
}

unit_tests() {
	if make -C "$top/build/obj" -j"$(nproc)" check >"$top/build/obj/check.out" 2>&1; then
		grep -h "Checks:" "$top/build/obj/qcd_tests.log"
	else
		cat "$top/build/obj/qcd_tests.log" 2>/dev/null || tail -n 30 "$top/build/obj/check.out"
		return 1
	fi
}

# release_unit_tests RELEASE: the unit tests built in that release's root
release_unit_tests() {
	if "$top/scripts/in-root" "$1" sh -c "cd '$top/build/obj-$1' && ./qcd_tests" \
			> "$top/build/obj-$1/check.out" 2>&1; then
		grep -h "Checks:" "$top/build/obj-$1/check.out"
	else
		tail -n 20 "$top/build/obj-$1/check.out"
		return 1
	fi
}

# prepare: the release roots and the VM image, in the background
releases="trixie forky"
[ -z "${QCD_NO_RELEASES:-}" ] || releases=
prepare() {
	# the bookworm package's roots first: its group comes first (it waits
	# on their locks meanwhile)
	for r in bookworm $releases; do
		"$top/scripts/setup-release.sh" --root-only "$r" >/dev/null 2>&1
		"$top/scripts/setup-release.sh" --build-root "$r" >/dev/null 2>&1
	done
	for r in $releases; do
		"$top/scripts/setup-release.sh" "$r" > "$top/build/prepare-$r.log" 2>&1 &&
			echo ok > "$top/build/prepare-$r.log.rc" ||
			echo failed > "$top/build/prepare-$r.log.rc"
	done
	if [ -z "${QCD_NO_VM:-}" ]; then
		"$top/scripts/vm-test.sh" --prepare > "$top/build/prepare-vm.log" 2>&1
		[ -z "$releases" ] || "$top/scripts/vm-test.sh" --release trixie --prepare \
			> "$top/build/prepare-vm-trixie.log" 2>&1
	fi
}
rm -f "$top"/build/prepare-*.log*
# prepared NAME: wait for the background preparation of NAME, show its log
prepared() {
	while [ ! -f "$top/build/prepare-$1.log.rc" ] && kill -0 "$prepare_pid" 2>/dev/null; do
		sleep 2
	done
	cat "$top/build/prepare-$1.log" 2>/dev/null
	[ "$(cat "$top/build/prepare-$1.log.rc" 2>/dev/null)" = ok ]
}

# fuzzed: wait for the fuzzers started in the background, show their output
fuzzed() {
	wait "$fuzz_pid"
	rc=$?
	cat "$top/build/fuzz.log"
	return $rc
}

# seconds each, so that the benchmarks do not rot; real runs: README
bench_smoke() {
	short="--dpd-delay 2 --tries 1 --timeout 1 --base 1"
	ok=0
	for b in "recovery -n 1 $short" "mass-recovery -n 20 $short" \
			 "mass-recovery -n 300 --distinct --clients 2 --modes push $short" \
			 "overhead -n 20 -r 1" "flood --seconds 2" "journal -n 1000 -s 2" \
			 "push -n 1000"; do
		if "$top/testing/bench/"$b > "$top/build/bench-smoke.out" 2>&1; then
			echo "ok    testing/bench/$b"
		else
			echo "FAIL  testing/bench/$b"
			tail -n 20 "$top/build/bench-smoke.out"
			ok=1
		fi
	done
	return $ok
}

step "unit tests" unit_tests
if [ $# -eq 0 ]; then
	prepare &
	prepare_pid=$!
fi
if [ $# -gt 0 ]; then
	step "scenarios (Debian's charon)" "$top/testing/ns-do-tests" "$@"
else
	step "sanitizers: unit tests under ASan+UBSan, TSan, valgrind" \
		"$top/scripts/sanitizers.sh"
	step "secret file writes killed at random moments" "$top/testing/crash-secret"
	step "Debian package: build, lintian --pedantic, autopkgtest" \
		"$top/scripts/package.sh" --autopkgtest
	# the fuzzers run beside the scenarios, at nice 19: the scenarios mostly
	# wait (for DPD, retransmissions, the network), and a fuzzer at nice 19
	# gives way to their charons whenever they want the CPU
	nice -n 19 "$top/scripts/fuzz.sh" "${QCD_FUZZ_SECONDS:-60}" \
		> "$top/build/fuzz.log" 2>&1 &
	fuzz_pid=$!
	step "scenarios (Debian's charon)" "$top/testing/ns-do-tests"
	step "fuzzing, ${QCD_FUZZ_SECONDS:-60}s per target, beside the scenarios" fuzzed
	# upstream's default build has no mediation: replies take the other path
	step "headline and push scenarios with upstream's default charon (no mediation)" \
		sh -c '"$1/scripts/setup-upstream.sh" &&
			"$1/testing/ns-do-tests" --charon upstream ikev2/qcd-gateway-restart \
				ikev2/qcd-push' _ "$top"
	# issue #22: the series on pristine 6.1.0 (upstream/README.md); the
	# build and make check are cached per series, so a warm run only runs
	# the scenarios
	step "upstream series on pristine 6.1.0: git am, build, make check with leak detective, 3 scenarios" \
		"$top/scripts/upstream-series.sh" --scenarios \
			"ikev2/qcd-gateway-restart ikev2/qcd-push ikev2/qcd-maker-no-leak"
	step "scenarios exported for strongSwan's KVM testbed, checked against its hosts" \
		"$top/testing/export-kvm" --check "$(cat "$top/build/cache/strongswan-src")"
	# Debian trixie's strongSwan 6.0.1 and forky's 6.1.0, each in a root
	# file system made once
	ready=yes
	for r in $releases; do
		if step "Debian $r root and the plugin built there (QCD_NO_RELEASES=1 skips)" \
				prepared "$r"; then
			step "$r: unit tests" release_unit_tests "$r"
			step "$r: scenarios" "$top/testing/ns-do-tests" --charon "$r"
			step "$r: Debian package, lintian, autopkgtest" \
				"$top/scripts/package.sh" --release "$r" --autopkgtest
		else
			ready=no
		fi
	done
	if [ -n "$releases" ] && [ $ready = yes ]; then
		step "each release's build refused by the other releases' charons" \
			"$top/testing/series-check"
	fi
	wait "$prepare_pid"
	if [ -z "${QCD_NO_VM:-}" ]; then
		step "VM bookworm: the .deb under AppArmor, Debian's services, scenarios with the kernel's IPsec (QCD_NO_VM=1 skips)" \
			"$top/scripts/vm-test.sh"
		[ -z "$releases" ] ||
			step "VM trixie: the .deb under AppArmor, Debian's services, the headline, push and charon.user scenarios" \
				"$top/scripts/vm-test.sh" --release trixie ikev2/qcd-gateway-restart \
					ikev2/qcd-push ikev2/qcd-charon-user
		# strongSwan 6.0.1's do-tests, unchanged, on bookworm guests
		[ -n "${QCD_NO_TESTBED:-}" ] ||
			step "strongSwan's KVM testbed harness (do-tests) on qemu guests, the exported scenarios (QCD_NO_TESTBED=1 skips)" \
				"$top/scripts/testbed.sh"
	fi
	step "benchmark smoke runs" bench_smoke
fi

echo "groups: $passed passed, $failed failed"
[ $failed = 0 ]
