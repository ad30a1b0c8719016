#!/bin/sh
# setup-release.sh RELEASE: makes a root file system of a Debian release
# (trixie: strongSwan 6.0.1; forky: 6.1.0) in build/cache/root-RELEASE,
# once: debootstrap from Debian's mirror, the release's own strongSwan
# packages (with its security updates), build and packaging tools and
# check, and the release's strongSwan source, configured with
# --enable-mediation as Debian configures it, in /usr/src inside the root.
# The root is keyed by its inputs (release, archive suites, packages): a
# change of them makes it anew.  A second run only checks.  Then builds the
# plugin, qcd-secret and the unit tests in build/obj-RELEASE with the
# release's compiler, against that tree.
#
# scripts/in-root RELEASE runs a command in the root, with this repository
# at the same path.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
release=${1:?usage: setup-release.sh trixie|forky}
root=$top/build/cache/root-$release
log=$top/build/cache/root-$release
mirror=http://deb.debian.org/debian
say() { printf 'setup-%s: %s\n' "$release" "$*"; }
in_root() { "$top/scripts/in-root" "$release" "$@"; }

script=
case "$release" in
	trixie)
		# the current strongSwan is a security upload, in the security pool
		suites="trixie trixie-updates"
		security="trixie-security"
		sources="strongswan/trixie-security strongswan/trixie" ;;
	forky)
		# testing has no security suite of its own yet; bookworm's
		# debootstrap has no forky script, sid's is the same
		suites="forky"
		security=
		script=/usr/share/debootstrap/scripts/sid
		sources="strongswan/forky" ;;
	*) say "unknown release '$release' (trixie, forky)"; exit 2 ;;
esac
packages="strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-standard-plugins build-essential autoconf automake libtool
	pkg-config check python3 libgmp-dev libssl-dev dpkg-dev iproute2
	iputils-ping procps openssl tcpdump debhelper lintian autopkgtest fakeroot"
key=$(printf '%s\n' "$release" "$suites" "$security" "$packages" | sha256sum | cut -c1-16)

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
if [ "$(cat "$root/.qcd-base" 2>/dev/null)" != "$key" ]; then
	command -v debootstrap >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	say "debootstrap $release into $root (a few minutes, once)"
	rm -rf "$root"
	mkdir -p "$root"
	debootstrap --variant=minbase "$release" "$root" "$mirror" $script \
		> "$log-debootstrap.log" 2>&1 ||
		{ say "debootstrap failed, see $log-debootstrap.log"; exit 1; }
	{
		for s in $suites; do echo "deb $mirror $s main"; done
		[ -z "$security" ] || echo "deb http://deb.debian.org/debian-security $security main"
		for s in $suites; do echo "deb-src $mirror $s main"; done
		[ -z "$security" ] || echo "deb-src http://deb.debian.org/debian-security $security main"
	} > "$root/etc/apt/sources.list"
	# testing's Release files may be past their Valid-Until by this
	# machine's clock; the archive's signature is still checked
	[ -n "$security" ] ||
		echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99qcd-valid-until"
	# packages must not start daemons in the root
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	say "installing $release's strongSwan and build tools in the root"
	# shellcheck disable=SC2086
	in_root sh -c 'export DEBIAN_FRONTEND=noninteractive &&
		apt-get update -qq && apt-get dist-upgrade -y -qq &&
		apt-get install -y -qq --no-install-recommends '"$(echo $packages)"' &&
		apt-get clean' > "$log-apt.log" 2>&1 ||
		{ say "apt failed in the root, see $log-apt.log"; exit 1; }
	version=$(in_root dpkg-query -W -f='${Version}' libstrongswan)
	upstream=${version%%-*}
	say "fetching and configuring strongswan $version in the root"
	# the revisions of one upstream version share the orig tarball
	fetch=
	for s in $sources "strongswan=$version"; do
		fetch="$fetch apt-get source -qq $s || "
	done
	in_root sh -c "cd /usr/src && rm -rf strongswan[-_]* &&
		{ $fetch false; } &&
		ls -d strongswan-$upstream && cd strongswan-$upstream && ./configure --enable-mediation --prefix=/usr \
			--sysconfdir=/etc --libexecdir=/usr/lib --with-ipsecdir=/usr/lib/ipsec" \
		> "$log-source.log" 2>&1 ||
		{ say "fetching or configuring the source failed, see $log-source.log"; exit 1; }
	echo "/usr/src/strongswan-$upstream" > "$root/.qcd-tree"
	echo "$key" > "$root/.qcd-base"
fi
tree=$(cat "$root/.qcd-tree")
say "ok: $release root with strongSwan $(in_root dpkg-query -W -f='${Version}' libstrongswan), charon says '$(in_root /usr/lib/ipsec/charon --version 2>&1 | head -n 1)'"

# the generated build system comes from the host, as for every other build
"$top/scripts/build.sh" >/dev/null
obj=$top/build/obj-$release
mkdir -p "$obj"
in_root sh -c "cd '$obj' &&
	{ [ -f Makefile ] && [ Makefile -nt '$top/configure' ] ||
	  '$top/configure' --with-strongswan-src='$tree' --prefix=/usr \
		--sysconfdir=/etc --localstatedir=/var > configure.out 2>&1; } &&
	make -j$(nproc) > make.out 2>&1 && make -j$(nproc) qcd_tests >> make.out 2>&1" ||
	{ tail -n 20 "$obj/make.out" "$obj/config.log" 2>/dev/null | tail -n 30
	  say "building the plugin against $tree failed, see $obj"; exit 1; }
say "ok: plugin built against $release's $tree in $obj"
