#!/bin/sh
# Builds charon from the same strongSwan source, with upstream's default
# configuration (no mediation, unlike Debian), into build/cache/upstream,
# then the plugin against it in build/obj-upstream. Scenarios can then run
# with this charon: testing/ns-do-tests --charon upstream.
# Idempotent: the charon build is cached.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$(readlink -f "$top/build/cache")
say() { printf 'setup-upstream: %s\n' "$*"; }

"$top/scripts/build.sh"
for p in libssl-dev; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		say "installing $p"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
	fi
done

debtree=$(cat "$cache/strongswan-src")
tree=$cache/strongswan-upstream
prefix=$cache/upstream
flags="--disable-gmp --enable-openssl --enable-kernel-libipsec --with-systemdsystemunitdir=no"
# keyed by the source's version and the configuration
key="$(basename "$debtree") $flags"
if [ ! -x "$prefix/lib/ipsec/charon" ] || [ "$(cat "$prefix/.qcd-key" 2>/dev/null)" != "$key" ]; then
	say "building charon without mediation into $prefix (a few minutes, once)"
	rm -rf "$tree" && cp -a "$debtree" "$tree"
	(cd "$tree" && make distclean >/dev/null 2>&1 || true
	 rm -rf "$prefix" &&
	 ./configure --prefix="$prefix" --libexecdir="$prefix/lib" --sysconfdir=/etc \
		$flags >"$cache/upstream-configure.log" 2>&1 &&
	 make -j"$(nproc)" >"$cache/upstream-make.log" 2>&1 &&
	 make install >"$cache/upstream-install.log" 2>&1) ||
		{ say "failed, see $cache/upstream-*.log"; exit 1; }
	grep -q '^#define ME ' "$tree/config.h" && { say "unexpected ME in $tree"; exit 1; }
	echo "$key" > "$prefix/.qcd-key"
else
	say "ok: charon without mediation in $prefix"
fi

mkdir -p "$top/build/obj-upstream"
cd "$top/build/obj-upstream"
if [ ! -f Makefile ] || [ ../../configure -nt Makefile ]; then
	../../configure --with-strongswan-src="$tree" --with-ipsecdir="$prefix/lib/ipsec" \
		>configure.out 2>&1 || { tail -n 5 configure.out; exit 1; }
fi
make -j"$(nproc)" libstrongswan-qcd.la >make.out 2>&1 || { tail -n 30 make.out; exit 1; }
say "ok: plugin for it in build/obj-upstream/.libs/libstrongswan-qcd.so"
