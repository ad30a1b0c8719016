#!/bin/sh
# setup-release.sh [--root-only] RELEASE: makes a root file system of a
# Debian release (bookworm: strongSwan 5.9.8; trixie: 6.0.1; forky: 6.1.0)
# in build/cache/root-RELEASE, once: debootstrap from Debian's mirror, the
# release's own strongSwan packages (with its security updates), build and
# packaging tools and check, and the release's strongSwan source,
# configured with --enable-mediation as Debian configures it, in /usr/src
# inside the root.  Then, unless --root-only, builds the plugin, qcd-secret
# and the unit tests in build/obj-RELEASE with the release's compiler,
# against that tree.
#
# setup-release.sh --build-root RELEASE: makes build/cache/buildroot-RELEASE,
# a clean build environment of the release as Debian's build daemons have
# it: debootstrap's buildd variant (build-essential, apt) and an
# unprivileged user 'builder', nothing else.  scripts/package.sh builds the
# Debian package in a throwaway overlay of it, with only the package's
# Build-Depends added (scripts/in-root --build).
#
# Each root is keyed by its inputs (release, archive suites, packages): a
# change of them makes it anew.  A second run only checks.  Both live in
# QCD_CACHE (build/cache), so a second clone reuses them.  Packages never
# start daemons in the roots (policy-rc.d), and nothing here touches the
# machine's own services.
#
# scripts/in-root RELEASE runs a command in the root, with this repository
# at the same path.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kind=root
build_plugin=yes
case "${1:-}" in
	--root-only) build_plugin=no; shift ;;
	--build-root) kind=buildroot; build_plugin=no; shift ;;
esac
release=${1:?usage: setup-release.sh [--root-only|--build-root] bookworm|trixie|forky}
"$top/scripts/setup.sh" --cache-only
root=$top/build/cache/$kind-$release
log=$top/build/cache/$kind-$release
mirror=http://deb.debian.org/debian
say() { printf 'setup-%s: %s\n' "$release" "$*"; }
in_root() {
	if [ $kind = root ]; then
		"$top/scripts/in-root" "$release" "$@"
	else
		"$top/scripts/in-root" --build "$release" "$@"
	fi
}

script=
case "$release" in
	bookworm)
		suites="bookworm bookworm-updates"
		security="bookworm-security"
		sources="strongswan/bookworm-security strongswan/bookworm" ;;
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
	*) say "unknown release '$release' (bookworm, trixie, forky)"; exit 2 ;;
esac
packages="strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-standard-plugins build-essential autoconf automake libtool
	pkg-config check python3 libgmp-dev libssl-dev dpkg-dev iproute2
	iputils-ping procps openssl tcpdump debhelper lintian autopkgtest fakeroot"
variant=minbase
key=$(printf '%s\n' "$release" "$suites" "$security" "$packages" | sha256sum | cut -c1-16)
if [ $kind = buildroot ]; then
	# what sbuild starts from; the Build-Depends come per build
	packages=
	variant=buildd
	key=$(printf '%s\n' "$release" "$suites" "$security" "$variant" builder |
		sha256sum | cut -c1-16)
fi

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
# one maker at a time: a second caller waits, then finds the root made
exec 9>"$root.lock"
flock 9
if [ "$(cat "$root/.qcd-base" 2>/dev/null)" != "$key" ]; then
	command -v debootstrap >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	say "debootstrap $release ($variant) into $root (a few minutes, once)"
	rm -rf "$root"
	mkdir -p "$root"
	debootstrap --variant=$variant "$release" "$root" "$mirror" $script \
		> "$log-debootstrap.log" 2>&1 ||
		{ say "debootstrap failed, see $log-debootstrap.log"; exit 1; }
	{
		for s in $suites; do echo "deb $mirror $s main"; done
		[ -z "$security" ] || echo "deb http://deb.debian.org/debian-security $security main"
		if [ $kind = root ]; then
			for s in $suites; do echo "deb-src $mirror $s main"; done
			[ -z "$security" ] || echo "deb-src http://deb.debian.org/debian-security $security main"
		fi
	} > "$root/etc/apt/sources.list"
	# testing's Release files may be past their Valid-Until by this
	# machine's clock; the archive's signature is still checked
	[ -n "$security" ] ||
		echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99qcd-valid-until"
	# packages must not start daemons in the root
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	if [ $kind = buildroot ]; then
		say "updating the build root"
		in_root sh -c 'export DEBIAN_FRONTEND=noninteractive &&
			apt-get update -qq && apt-get dist-upgrade -y -qq &&
			apt-get clean &&
			useradd --create-home --shell /bin/sh builder' > "$log-apt.log" 2>&1 ||
			{ say "apt failed in the build root, see $log-apt.log"; exit 1; }
	else
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
	# the revisions of one upstream version share the orig tarball (and
	# its upstream signature, strongswan_X.orig.tar.bz2.asc)
	fetch=
	for s in $sources "strongswan=$version"; do
		fetch="$fetch apt-get source -qq $s || "
	done
	in_root sh -c "cd /usr/src && rm -rf strongswan[-_]* &&
		{ $fetch false; } &&
		ls -d strongswan-$upstream strongswan_$upstream.orig.tar.bz2.asc &&
		cd strongswan-$upstream && ./configure --enable-mediation --prefix=/usr \
			--sysconfdir=/etc --libexecdir=/usr/lib --with-ipsecdir=/usr/lib/ipsec" \
		> "$log-source.log" 2>&1 ||
		{ say "fetching or configuring the source failed, see $log-source.log"; exit 1; }
	echo "/usr/src/strongswan-$upstream" > "$root/.qcd-tree"
	fi
	echo "$key" > "$root/.qcd-base"
fi
flock -u 9
if [ $kind = buildroot ]; then
	say "ok: $release build root in $root"
	exit 0
fi
tree=$(cat "$root/.qcd-tree")
say "ok: $release root with strongSwan $(in_root dpkg-query -W -f='${Version}' libstrongswan), charon says '$(in_root /usr/lib/ipsec/charon --version 2>&1 | head -n 1)'"
[ $build_plugin = yes ] || exit 0

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
