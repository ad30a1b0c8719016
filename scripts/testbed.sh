#!/bin/sh
# strongSwan's own KVM testbed harness, unchanged, runs our scenarios
# (testing/kvm/scenarios, exported by testing/export-kvm) against qemu
# guests: moon, carol, sun and dave, as the scenarios need them.
#
# usage: scripts/testbed.sh [--selftest-broken] [TEST...]
#   TEST: ikev2/qcd-push ... (default: all of testing/kvm/scenarios)
#   --selftest-broken: first breaks the first test on purpose (an evaltest
#            line that cannot match); the run must then fail
#
# The harness is strongSwan 6.0.1's testing/ (do-tests, scripts/,
# hosts/, testing.conf, ssh_config, config/kvm/), from the trixie root's
# source (scripts/setup-release.sh trixie): it targets bookworm guests,
# its guests' sshd_config has the sftp Subsystem that bookworm's scp needs,
# and its systemctl wrapper runs other commands only once.  The guests are
# bookworm with Debian's cloud kernel, Debian's strongSwan 5.9.8 and our
# .deb (build/deb, scripts/package.sh if missing), not a kernel and a
# strongSwan built from source.  What replaces make-testing and
# start/stop-testing here is in testing/testbed/ (README.md there).
#
# Made once and cached in build/cache/ (the root in testbed-bookworm/,
# keyed by its packages; the image testbed.ext4, keyed by the root, the
# .deb, the harness's hosts/ and testing/testbed/).  Each run boots the
# guests in a network namespace of its own (no link to this machine's
# network), runs do-tests there, checks its summary (do-tests exits 0
# whatever happens), and keeps its results page in build/testbed/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'testbed: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
broken=
if [ "${1:-}" = --selftest-broken ]; then
	broken=yes
	shift
fi
cache=$top/build/cache
swan=$cache/root-trixie/usr/src/strongswan-6.0.1/testing
[ -x "$swan/do-tests" ] || "$top/scripts/setup-release.sh" --root-only trixie >/dev/null ||
	{ say "strongSwan 6.0.1's testing/ not found in $swan"; exit 1; }
for tool in ssh:openssh-client python3:python3; do
	command -v "${tool%%:*}" >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${tool#*:}" >/dev/null
done

# our package, as vm-test.sh makes it
deb=$(ls "$top"/build/deb/strongswan-plugin-qcd_*_amd64.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ] || [ -n "$(find "$top/src" "$top/debian" "$top/conf" -newer "$deb" -print -quit)" ]; then
	say "building the package (scripts/package.sh)"
	"$top/scripts/package.sh" >/dev/null || { say "package build failed"; exit 1; }
	deb=$(ls "$top"/build/deb/strongswan-plugin-qcd_*_amd64.deb | head -n 1)
fi

# the image, once per inputs
t0=$(date +%s)
root=$cache/testbed-bookworm
image=$cache/testbed.ext4
key=$( { cat "$root/.qcd-ready" 2>/dev/null; sha256sum "$deb" | cut -d' ' -f1
	cat "$top/testing/testbed/image" "$top/testing/testbed/qcd-testbed-host" "$top/scripts/vm-lib.sh"
	tar -C "$swan" -cf - --sort=name --mtime=@0 --owner=0 --group=0 hosts | sha256sum; } |
	sha256sum | cut -c1-16)
if [ "$(cat "$image.key" 2>/dev/null)" != "$key" ] || [ ! -f "$image" ]; then
	say "making the guests' image (root, our .deb, hosts/) into $image"
	rm -f "$image.key"
	"$top/testing/testbed/image" "$swan" "$deb" "$image" || exit 1
	# the key of what it was made from (the root may have been made anew)
	key=$( { cat "$root/.qcd-ready"; sha256sum "$deb" | cut -d' ' -f1
		cat "$top/testing/testbed/image" "$top/testing/testbed/qcd-testbed-host" "$top/scripts/vm-lib.sh"
		tar -C "$swan" -cf - --sort=name --mtime=@0 --owner=0 --group=0 hosts | sha256sum; } |
		sha256sum | cut -c1-16)
	echo "$key" > "$image.key"
fi
kernel=$(ls "$root"/boot/vmlinuz-* | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -n 1)
say "image ready ($(( $(date +%s) - t0 ))s): $(basename "$kernel"), strongSwan $(chroot "$root" dpkg-query -W -f='${Version}' libstrongswan), $(basename "$deb")"

# the harness: strongSwan's files, unchanged, and the exported scenarios
tb=$top/build/testbed
stamp=$(date +%Y%m%d-%H%M%S)
rm -rf "$tb/src" "$tb/run"
mkdir -p "$tb/src/testing/scripts" "$tb/run/build" "$tb/run/guests" "$tb/bin"
for f in do-tests testing.conf ssh_config hosts config css images \
		scripts/load-testconfig scripts/restore-defaults scripts/function.sh; do
	cp -a "$swan/$f" "$tb/src/testing/$f"
done
"$top/testing/export-kvm" --check "$tb/src" > "$tb/export.log" 2>&1 ||
	{ sed 's/^/testbed: /' "$tb/export.log"; say "FAIL: export-kvm --check"; exit 1; }
"$top/testing/export-kvm" --selftest "$tb/src" >> "$tb/export.log" 2>&1 ||
	{ sed 's/^/testbed: /' "$tb/export.log"; say "FAIL: export-kvm --selftest"; exit 1; }
"$top/testing/export-kvm" "$tb/src" >/dev/null
sed 's/^/testbed: /' "$tb/export.log"
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(grep -v '^#' "$top/testing/kvm/scenarios" | grep . | sed 's|^|ikev2/|')
fi
hosts=
for t in $tests; do
	[ -f "$tb/src/testing/tests/$t/test.conf" ] || { say "no exported scenario $t"; exit 1; }
	hosts="$hosts $(sed -n 's/^VIRTHOSTS="\(.*\)"/\1/p' "$tb/src/testing/tests/$t/test.conf")"
done
hosts=$(printf '%s\n' $hosts | sort -u | tr '\n' ' ' | sed 's/ $//')
if [ -n "$broken" ]; then
	first=$(printf '%s\n' $tests | head -n 1)
	h=$(printf '%s\n' $hosts | head -n 1)
	echo "$h::cat /etc/hostname::a line broken on purpose::YES" >> "$tb/src/testing/tests/$first/evaltest.dat"
	say "broken on purpose: $first (its evaltest expects 'a line broken on purpose' on $h)"
fi
cat > "$tb/src/testing/testing.conf.local" <<CONF
# written by scripts/testbed.sh: what a local config may set
TESTDIR=$tb/run
STRONGSWANHOSTS="$hosts"
SWANVERSION="Debian $(chroot "$root" dpkg-query -W -f='${Version}' libstrongswan), $(basename "$deb" .deb)"
CONF
ln -sf "$top/testing/testbed/virsh" "$tb/bin/virsh"

# the guests, in a network namespace of ours
ns=qcd-testbed-$$
accel=$(cat "$cache/vm-accel-$(uname -r)-$([ -w /dev/kvm ] && echo kvm || echo nokvm)" 2>/dev/null || echo tcg)
cleanup() {
	"$top/testing/testbed/guests" stop "$ns" "$tb/run/guests" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say "booting $hosts with $accel in network namespace $ns"
t0=$(date +%s)
"$top/testing/testbed/guests" start "$ns" "$tb/run/guests" "$image" "$kernel" "$initrd" \
	"$accel" "$swan" $hosts
for h in $hosts; do
	ip=$(sed -n "s/^\([0-9.]*\)[[:space:]].*\b$h\b.*/\1/p" "$swan/hosts/default/etc/hosts" | head -n 1)
	until ip netns exec "$ns" ssh -F "$swan/ssh_config" -o ControlMaster=no \
			-o ConnectTimeout=2 "root@$ip" true 2>/dev/null; do
		if [ $(( $(date +%s) - t0 )) -gt 300 ]; then
			say "FAIL: $h not reachable by ssh after 300s (console: $tb/run/guests/console-$h.log)"
			tail -n 20 "$tb/run/guests/console-$h.log"
			exit 1
		fi
		sleep 2
	done
done
boot=$(( $(date +%s) - t0 ))
say "guests up in ${boot}s"

# do-tests, unchanged, in the namespace, in an empty directory (it
# evaluates lines unquoted, and globs would see the files here)
t0=$(date +%s)
mkdir -p "$tb/run/cwd"
(cd "$tb/run/cwd" && ip netns exec "$ns" env PATH="$tb/bin:$PATH" QCD_TESTBED_RUN="$tb/run/guests" \
	"$tb/src/testing/do-tests" $tests) 2>&1 | tee "$tb/do-tests-$stamp.log"
run=$(( $(date +%s) - t0 ))
results=$(ls -d "$tb"/run/testresults/*/ 2>/dev/null | tail -n 1)
[ -n "$results" ] || { say "FAIL: do-tests wrote no results"; exit 1; }
rm -rf "$tb/results-$stamp"
cp -a "$results" "$tb/results-$stamp"
ln -sfn "results-$stamp" "$tb/results"
say "results page: build/testbed/results-$stamp/index.html (all.html: each test and its time)"
python3 - "$tb/results/all.html" <<'PY'
import re, sys
rows = re.findall(r'<td>\d+</td>\s*<td><a href="[^"]*">([^<]*)</a></td>\s*'
                  r'<td align="right">(\d+)</td>\s*<td><a [^>]*><font color="\w+">(\w+)</font>',
                  open(sys.argv[1]).read())
for name, secs, status in rows:
    print("testbed:   %-36s %4ss  %s" % (name, secs, status))
PY
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$tb/do-tests-$stamp.log")
passed=$(printf '%s\n' "$summary" | sed -n 's/^Passed : *\([0-9]*\).*/\1/p')
failed=$(printf '%s\n' "$summary" | sed -n 's/^Failed : *\([0-9]*\).*/\1/p')
count=$(printf '%s\n' $tests | wc -l)
say "boot ${boot}s, do-tests ${run}s for $count test(s): Passed ${passed:-?}, Failed ${failed:-?}"
[ "${failed:-1}" = 0 ] && [ "${passed:-0}" = "$count" ] || {
	say "FAIL: do-tests' summary is not $count passed, 0 failed"
	exit 1
}
