#!/bin/sh
# Installs what strongswan-qcd needs to build and test, and prepares a
# configured strongSwan source tree of the installed version.
#
# Idempotent: a second run only checks and prints "ok" lines.
#
# It installs packages with apt as any administrator would, and never
# stops, starts or restarts the machine's own strongSwan: the tests run
# their own charons, each in network and mount namespaces of its own (own
# sockets, XFRM state, tun device, /run with pid file and vici socket,
# strongswan.conf, swanctl.conf, /var/lib/strongswan and log), so a
# running system charon neither disturbs them nor is disturbed by them.
# The Debian package is built, checked and tested in release roots
# (scripts/setup-release.sh, scripts/package.sh), never on this machine.
#
# --cache-only: only link build/cache to QCD_CACHE (for the release roots).
#
# What is slow to make (strongSwan's configured source trees, its upstream
# build, the release roots, the VM image) is cached outside the clone, in
# QCD_CACHE (default /var/cache/strongswan-qcd), which build/cache links
# to: a second clone on the same machine reuses it.  Each item there is
# keyed by its inputs and made anew when they change.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${QCD_CACHE:-/var/cache/strongswan-qcd}
mkdir -p "$cache" "$top/build"
if [ "$(readlink -f "$top/build/cache")" != "$(readlink -f "$cache")" ]; then
	[ ! -d "$top/build/cache" ] || [ -L "$top/build/cache" ] ||
		mv "$top/build/cache" "$top/build/cache.old.$$"
	ln -sfn "$cache" "$top/build/cache"
fi
cache=$(readlink -f "$top/build/cache")
[ "${1:-}" != --cache-only ] || exit 0

say() { printf 'setup: %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { say "must run as root (installs packages, creates namespaces)"; exit 1; }

# (debhelper, lintian and autopkgtest are not needed here: the package is
# built and tested in the release roots)
build_pkgs="build-essential autoconf automake libtool pkg-config check dpkg-dev \
clang libclang-rt-14-dev valgrind libgmp-dev libssl-dev"
runtime_pkgs="strongswan-charon strongswan-swanctl libcharon-extra-plugins \
libstrongswan-standard-plugins iproute2 iputils-ping tcpdump gnuplot-nox procps \
python3 openssl debootstrap qemu-system-x86 e2fsprogs"

missing=""
for p in $build_pkgs $runtime_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# apt may have started strongSwan's service, as Debian does on a first
	# install; it is the machine's, and the tests do not need it stopped
else
	say "ok: packages installed"
fi

# the exact version of the installed libstrongswan
version=$(dpkg-query -W -f='${Version}' libstrongswan)
upstream=${version%%-*}
tree="$cache/strongswan-$upstream"

codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
if [ ! -f "$tree/config.h" ] || ! grep -q '^#define ME ' "$tree/config.h"; then
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		say "adding a deb-src entry: /etc/apt/sources.list.d/qcd-deb-src.sources"
		cat > /etc/apt/sources.list.d/qcd-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt-get update -qq
	fi
	src="$cache/src"
	rm -rf "$src" && mkdir -p "$src"
	# The exact .dsc may be gone from the archive; the revisions of one
	# upstream version share the orig tarball and differ in fixes only.
	# A security upload's files are in the security archive's pool, which
	# strongswan/<codename>-security selects.
	for v in "/$codename-security" "=$version" $(apt-cache showsrc strongswan 2>/dev/null |
			sed -n 's/^Version: /=/p' | grep "^=$upstream-"); do
		say "fetching strongswan$v source into $src"
		if (cd "$src" && apt-get source -qq --download-only "strongswan$v") >/dev/null 2>&1 &&
		   ls "$src"/strongswan_"$upstream"-*.dsc >/dev/null 2>&1; then
			break
		fi
		rm -f "$src"/*
	done
	dsc=$(ls "$src"/strongswan_"$upstream"-*.dsc 2>/dev/null | head -n 1)
	[ -n "$dsc" ] || { say "could not fetch strongswan $upstream source; check apt's deb-src entries"; exit 1; }
	# Debian's patched tree: same headers as the installed binaries.
	rm -rf "$tree"
	dpkg-source -x "$dsc" "$tree" >"$cache/dpkg-source.log" 2>&1 ||
		{ say "dpkg-source failed, see $cache/dpkg-source.log"; exit 1; }
	say "configuring $tree with --enable-mediation (Debian's charon is built with ME)"
	(cd "$tree" && ./configure --enable-mediation --prefix=/usr \
		--sysconfdir=/etc --libexecdir=/usr/lib --with-ipsecdir=/usr/lib/ipsec \
		> "$cache/configure.log" 2>&1) ||
		{ say "configure failed, see $cache/configure.log"; exit 1; }
else
	say "ok: configured strongSwan $upstream tree in $tree"
fi
echo "$tree" > "$cache/strongswan-src"
