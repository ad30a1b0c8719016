#!/bin/sh
# Runs scenarios with the kernel's IPsec (kernel-netlink, ESP in the kernel)
# in a virtual machine with Debian's kernel (bookworm's or trixie's), since this machine's
# kernel has no ESP, on the system as users have it: the package installed
# from its .deb (build/deb, made by scripts/package.sh if missing), Debian's
# AppArmor profiles loaded in enforce mode, charon started by
# strongswan-starter's 'ipsec start' and by charon-systemd; any AppArmor
# denial for charon fails the run (testing/vm/apparmor).
#
# usage: scripts/vm-test.sh [--release bookworm|trixie] [--prepare | SCENARIO...]
#   default: bookworm, the scenarios listed in testing/vm/scenarios
#   --release trixie: trixie's kernel, strongSwan and profiles, with the
#            package of build/deb-trixie (scripts/package.sh --release trixie)
#   --prepare: only make the cached root and image, boot nothing
#
# Makes once, and caches in build/cache/vm-RELEASE/ (a root file system
# made by debootstrap, with Debian's cloud kernel and strongSwan packages,
# keyed by that package list: a change of it makes the root anew)
# and build/cache/vm-RELEASE.ext4 (an ext4 image of it, made with
# mke2fs -d, no loop device needed); a second run finds them.  Each run puts
# the freshly built plugin (scripts/build.sh) and testing/ on a second
# disk, mounted in the guest at this repository's path, boots the guest
# with qemu (KVM if /dev/kvm works, else TCG emulation; the root image is
# used read-only through -snapshot), runs testing/ns-do-tests --kernel
# netlink in it, and copies the logs back into build/vm/<time>/.  The guest
# has no network device at all.  Fails if a scenario fails or the guest does
# not finish within QCD_VM_DEADLINE seconds (1800).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
release=bookworm
if [ "${1:-}" = --release ]; then
	release=${2:?}
	shift 2
fi
case "$release" in
	bookworm) debdir=$top/build/deb ;;
	trixie) debdir=$top/build/deb-trixie ;;
	*) echo "vm-test: release bookworm or trixie" >&2; exit 1 ;;
esac
cache=$top/build/cache
root=$cache/vm-$release
image=$cache/vm-$release.ext4
deadline=${QCD_VM_DEADLINE:-1800}
say() { printf 'vm-test: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }

. "$top/scripts/vm-lib.sh"
vm_tools

packages="linux-image-cloud-amd64 initramfs-tools kmod strongswan-charon
	strongswan-swanctl strongswan-starter apparmor
	libcharon-extra-plugins libstrongswan-standard-plugins
	iproute2 iputils-ping tcpdump procps python3 openssl util-linux"
# since trixie, charon-systemd conflicts with strongswan-charon, whose
# charon the scenarios run
[ "$release" != bookworm ] || packages="$packages charon-systemd"
# the guest's root, once (scripts/vm-lib.sh)
# (a new root is newer than the image, which is then made anew)
vm_root "$release" "$root" "$packages" | sed 's/^/vm-test: /'
[ -f "$root/.qcd-ready" ] || exit 1
if [ ! -f "$image" ] || [ "$root/.qcd-ready" -nt "$image" ] ||
   ! cmp -s "$top/testing/vm/init" "$root/sbin/qcd-vm-init"; then
	install -m 755 "$top/testing/vm/init" "$root/sbin/qcd-vm-init"
	say "making the root image $image"
	rm -f "$image"
	mke2fs -q -F -t ext4 -d "$root" -L qcd-root "$image" 2G >/dev/null ||
		{ say "mke2fs failed"; exit 1; }
fi
kernel=$(ls "$root"/boot/vmlinuz-* | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -n 1)
say "ok: guest with $(basename "$kernel"), strongSwan $(chroot "$root" dpkg-query -W -f='${Version}' libstrongswan)"
[ "${1:-}" != "--prepare" ] || exit 0

# this run's disk: the package and testing/, at $top
deb=$(ls "$debdir"/strongswan-plugin-qcd_*_amd64.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ] || [ -n "$(find "$top/src" "$top/debian" "$top/conf" -newer "$deb" -print -quit)" ]; then
	say "building the package (scripts/package.sh for $release)"
	if [ "$release" = bookworm ]; then
		"$top/scripts/package.sh" >/dev/null
	else
		"$top/scripts/package.sh" --release "$release" >/dev/null
	fi || { say "package build failed"; exit 1; }
	deb=$(ls "$debdir"/strongswan-plugin-qcd_*_amd64.deb | head -n 1)
fi
say "package $(basename "$deb")"
run=$top/build/vm/$(date +%Y%m%d-%H%M%S)
stage=$run/disk
mkdir -p "$stage/deb" "$stage/scripts"
cp -a "$top/testing" "$stage/"
cp "$deb" "$stage/deb/"
if [ $# -gt 0 ]; then
	printf '%s\n' "$@" > "$stage/testing/vm/scenarios"
fi
mke2fs -q -F -t ext4 -d "$stage" -L qcd-repo "$run/repo.ext4" 1G >/dev/null ||
	{ say "mke2fs failed"; exit 1; }
rm -rf "$stage"

# KVM where it works: a guest that stalls there is retried with TCG
boot() {
	timeout "$2" qemu-system-x86_64 -accel "$1" -m 2048 -smp 2 -nographic \
		-no-reboot -nic none -serial "file:$run/console-$1.log" -monitor none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "root=LABEL=qcd-root ro console=ttyS0 panic=-1 init=/sbin/qcd-vm-init qcd.repo=$top qcd.mode=$3" \
		-drive "file=$image,format=raw,if=virtio,snapshot=on" \
		-drive "file=$run/repo.ext4,format=raw,if=virtio"
}
# Decided once per machine and kernel (where /dev/kvm opens but guests
# stall in early boot, each probe would wait out its 120 s)
probe=$cache/vm-accel-$(uname -r)-$([ -w /dev/kvm ] && echo kvm || echo nokvm)
accel=$(cat "$probe" 2>/dev/null || true)
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && boot kvm 120 probe >/dev/null 2>&1 &&
	   grep -q "qcd-vm: probe ok" "$run/console-kvm.log"; then
		accel=kvm
	fi
	echo "$accel" > "$probe"
fi
say "booting the guest with $accel (deadline ${deadline}s), console in $run/console-$accel.log"
start=$(date +%s)
boot "$accel" "$deadline" test >/dev/null 2>&1 || true
say "guest ran $(( $(date +%s) - start ))s"
# the results, out of the second disk
debugfs -R "rdump /build/vm-results $run" "$run/repo.ext4" >/dev/null 2>&1 || true
rm -f "$run/repo.ext4"
if [ ! -f "$run/vm-results/rc" ]; then
	say "FAIL: the guest did not finish (see $run/console-$accel.log)"
	tail -n 20 "$run/console-$accel.log"
	exit 1
fi
cat "$run/vm-results/summary"
[ "$(cat "$run/vm-results/rc")" = 0 ]
