# Shared by scripts/vm-test.sh and testing/testbed/: a guest's root file
# system for Debian's kernel and packages, made by debootstrap, cached and
# keyed by its package list and the strongSwan version the host's apt
# offers (a Debian update, which our .deb then depends on, makes it anew).
# No loop device, nbd or libvirt: images are made from it with mke2fs -d.
#
# vm_root RELEASE ROOT "PACKAGES"   makes ROOT once (logs in ROOT-*.log)
vm_mirror=http://deb.debian.org/debian

vm_tools() {
	for vm_tool in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap \
			mke2fs:e2fsprogs debugfs:e2fsprogs; do
		command -v "${vm_tool%%:*}" >/dev/null ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "${vm_tool#*:}" >/dev/null
	done
}

vm_root() {
	vm_release=$1 vm_dir=$2 vm_packages=$(echo $3)
	vm_key=$(printf '%s\n' "$vm_release" $vm_packages \
		"$(apt-cache policy strongswan-charon 2>/dev/null | sed -n 's/ *Candidate: //p')" |
		sha256sum | cut -c1-16)
	[ "$(cat "$vm_dir/.qcd-ready" 2>/dev/null)" != "$vm_key" ] || return 0
	echo "debootstrap $vm_release with Debian's kernel and strongSwan into $vm_dir (a few minutes, once)"
	rm -rf "$vm_dir"
	mkdir -p "$vm_dir"
	debootstrap --variant=minbase "$vm_release" "$vm_dir" "$vm_mirror" \
		> "$vm_dir-debootstrap.log" 2>&1 ||
		{ echo "debootstrap failed, see $vm_dir-debootstrap.log"; return 1; }
	rm -f "$vm_dir/etc/apt/sources.list.d/"*
	cat > "$vm_dir/etc/apt/sources.list" <<SRC
deb $vm_mirror $vm_release main
deb $vm_mirror $vm_release-updates main
deb http://deb.debian.org/debian-security $vm_release-security main
SRC
	printf '#!/bin/sh\nexit 101\n' > "$vm_dir/usr/sbin/policy-rc.d"
	chmod +x "$vm_dir/usr/sbin/policy-rc.d"
	unshare -m sh -c 'mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys" &&
		mount --rbind /dev "$1/dev" && chroot "$1" sh -c "
		export DEBIAN_FRONTEND=noninteractive &&
		apt-get update -qq && apt-get dist-upgrade -y -qq &&
		apt-get install -y -qq --no-install-recommends $2 &&
		apt-get clean"' _ "$vm_dir" "$vm_packages" > "$vm_dir-apt.log" 2>&1 ||
		{ echo "apt failed in the guest's root, see $vm_dir-apt.log"; return 1; }
	echo "$vm_key" > "$vm_dir/.qcd-ready"
}
