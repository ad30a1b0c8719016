#!/bin/sh
# Makes a Debian trixie root file system in build/cache/trixie, once: debootstrap
# from Debian's mirror, trixie's own strongSwan packages (with the security
# updates), build tools and check, and trixie's strongSwan source, configured
# with --enable-mediation as Debian configures it, in /usr/src inside the root.
# A second run only checks.  Then builds the plugin and its unit tests in
# build/obj-trixie with trixie's compiler, against that tree.
#
# scripts/in-trixie runs a command in the root, with this repository at the
# same path.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
root=$top/build/cache/trixie
mirror=http://deb.debian.org/debian
say() { printf 'setup-trixie: %s\n' "$*"; }
in_root() { "$top/scripts/in-trixie" "$@"; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
if [ ! -f "$root/.qcd-base" ]; then
	command -v debootstrap >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	say "debootstrap trixie into $root (a few minutes, once)"
	rm -rf "$root"
	mkdir -p "$root"
	debootstrap --variant=minbase trixie "$root" "$mirror" \
		> "$top/build/cache/trixie-debootstrap.log" 2>&1 ||
		{ say "debootstrap failed, see build/cache/trixie-debootstrap.log"; exit 1; }
	cat > "$root/etc/apt/sources.list" <<SRC
deb $mirror trixie main
deb $mirror trixie-updates main
deb http://deb.debian.org/debian-security trixie-security main
deb-src $mirror trixie main
deb-src http://deb.debian.org/debian-security trixie-security main
SRC
	# packages must not start daemons in the root
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	say "installing trixie's strongSwan and build tools in the root"
	in_root sh -c 'export DEBIAN_FRONTEND=noninteractive &&
		apt-get update -qq && apt-get dist-upgrade -y -qq &&
		apt-get install -y -qq --no-install-recommends strongswan-charon \
			strongswan-swanctl libcharon-extra-plugins \
			libstrongswan-standard-plugins build-essential autoconf automake \
			libtool pkg-config check python3 libgmp-dev libssl-dev dpkg-dev \
			iproute2 iputils-ping procps openssl tcpdump' \
		> "$top/build/cache/trixie-apt.log" 2>&1 ||
		{ say "apt failed in the root, see build/cache/trixie-apt.log"; exit 1; }
	touch "$root/.qcd-base"
fi
if [ ! -f "$root/.qcd-ready" ]; then
	# 6.0 builds its openssl plugin by default
	in_root sh -c 'dpkg -s libssl-dev >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev' \
		>> "$top/build/cache/trixie-apt.log" 2>&1
	version=$(in_root dpkg-query -W -f='${Version}' libstrongswan)
	upstream=${version%%-*}
	say "fetching and configuring strongswan $version in the root"
	# the security upload's files are in the security archive's pool, which
	# strongswan/trixie-security selects; the revisions of one upstream
	# version share the orig tarball
	in_root sh -c "cd /usr/src && rm -rf strongswan[-_]* &&
		{ apt-get source -qq strongswan/trixie-security ||
		  apt-get source -qq strongswan=$version ||
		  apt-get source -qq strongswan/trixie; } &&
		ls -d strongswan-$upstream && cd strongswan-$upstream && ./configure --enable-mediation --prefix=/usr \
			--sysconfdir=/etc --libexecdir=/usr/lib --with-ipsecdir=/usr/lib/ipsec" \
		> "$top/build/cache/trixie-source.log" 2>&1 ||
		{ say "fetching or configuring the source failed, see build/cache/trixie-source.log"; exit 1; }
	echo "/usr/src/strongswan-$upstream" > "$root/.qcd-ready"
else
	say "ok: trixie root with strongSwan $(in_root dpkg-query -W -f='${Version}' libstrongswan)"
fi
tree=$(cat "$root/.qcd-ready")
# packaging tools, for scripts/package.sh --trixie
in_root sh -c 'for p in debhelper lintian autopkgtest fakeroot; do
		dpkg -s $p >/dev/null 2>&1 || missing="$missing $p"; done
	[ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing' >> "$top/build/cache/trixie-apt.log" 2>&1 ||
	{ say "installing packaging tools failed, see build/cache/trixie-apt.log"; exit 1; }

# the generated build system comes from the host, as for every other build
"$top/scripts/build.sh" >/dev/null
obj=$top/build/obj-trixie
mkdir -p "$obj"
in_root sh -c "cd '$obj' &&
	{ [ -f Makefile ] && [ Makefile -nt '$top/configure' ] ||
	  '$top/configure' --with-strongswan-src='$tree' --prefix=/usr \
		--sysconfdir=/etc --localstatedir=/var > configure.out 2>&1; } &&
	make -j$(nproc) > make.out 2>&1 && make -j$(nproc) qcd_tests >> make.out 2>&1" ||
	{ tail -n 20 "$obj/make.out" "$obj/config.log" 2>/dev/null | tail -n 30
	  say "building the plugin against $tree failed, see $obj"; exit 1; }
say "ok: plugin built against trixie's $tree in $obj"
