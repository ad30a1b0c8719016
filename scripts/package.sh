#!/bin/sh
# Builds the Debian package strongswan-plugin-qcd for the installed
# strongSwan, checks it with lintian, and leaves the results in build/deb/:
# the source package (our tarball from 'git archive' of HEAD, strongSwan's
# orig tarball as the orig-strongswan component, debian/), the .deb, the
# .changes, lintian.log.
#
# The version is <ours>+strongswan<strongSwan's>-1, so one source builds a
# package per strongSwan release.  A second run reuses our tarball while
# HEAD is the same.
#
# With --autopkgtest it then runs the package's autopkgtests against the
# installed package, here ('autopkgtest ... -- null'), and purges it again:
# the machine's charon is left as it was found, and a secret file that
# existed before is put back.
#
# With --release RELEASE all of it happens in the Debian release root of
# scripts/setup-release.sh (trixie: strongSwan 6.0.1, forky: 6.1.0), in
# build/deb-RELEASE/.
#
# usage: scripts/package.sh [--release trixie|forky] [--autopkgtest]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'package: %s\n' "$*"; }
run() { "$@"; }
root=
out=$top/build/deb
if [ "${1:-}" = "--release" ]; then
	release=${2:?--release needs trixie or forky}
	shift 2
	"$top/scripts/setup-release.sh" "$release" >/dev/null
	root=$(readlink -f "$top/build/cache/root-$release")
	out=$top/build/deb-$release
	run() { "$top/scripts/in-root" "$release" "$@"; }
	say "in the $release root"
else
	# packaging tools too
	"$top/scripts/setup.sh" >/dev/null
fi

ss=$(run dpkg-query -W -f='${Version}' libstrongswan)
ss=${ss%%-*}
ours=$(sed -n 's/^AC_INIT(\[strongswan-qcd\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
upver=$ours+strongswan$ss
version=$upver-1
tree=$out/strongswan-qcd-$upver
orig=$out/strongswan-qcd_$upver.orig.tar.xz
component=$out/strongswan-qcd_$upver.orig-strongswan.tar.bz2
ss_orig=$top/build/cache/src/strongswan_$ss.orig.tar.bz2
[ -z "$root" ] || ss_orig=$root/usr/src/strongswan_$ss.orig.tar.bz2
mkdir -p "$out"

# Debian's orig tarball, pristine: the patches Debian applies change no
# header the plugin uses, and pristine sources can be checked against
# upstream's signature (strongswan_*.orig.tar.bz2.asc)
[ -f "$ss_orig" ] || { say "no $ss_orig; run scripts/setup.sh"; exit 1; }
cp -p "$ss_orig" "$component"

head=$(git -C "$top" rev-parse HEAD)
if [ ! -f "$orig" ] || [ "$(cat "$out/orig.commit" 2>/dev/null)" != "$head" ]; then
	say "our tarball from git archive of $head"
	git -C "$top" archive --format=tar --prefix="strongswan-qcd-$upver/" HEAD \
		-- . ':!debian' ':!.ci' | xz -6 > "$orig"
	echo "$head" > "$out/orig.commit"
fi
[ -z "$(git -C "$top" status --porcelain -- . ':!build')" ] ||
	say "note: uncommitted changes are not in the package"

rm -rf "$tree" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out"/*.dsc \
	"$out"/*.debian.tar.*
tar -C "$out" -xJf "$orig"
mkdir "$tree/strongswan"
tar -C "$tree/strongswan" --strip-components=1 -xjf "$component"
git -C "$top" archive --format=tar HEAD debian | tar -C "$tree" -xf -
# the changelog's version names the strongSwan release built against
sed -i "1s/(.*)/($version)/" "$tree/debian/changelog"

say "dpkg-buildpackage of $version, log in $out/build.log"
run sh -c "cd '$tree' && dpkg-buildpackage -us -uc" > "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log"; say "build failed, see $out/build.log"; exit 1; }
rm -rf "$tree"

changes=$out/strongswan-qcd_${version}_$(dpkg --print-architecture).changes
run lintian --pedantic --info --display-info "$changes" > "$out/lintian.log" 2>&1 || true
# errors and warnings fail, but for the one every first upload has
if grep -E '^(E|W): ' "$out/lintian.log" | grep -v 'initial-upload-closes-no-bugs'; then
	say "lintian found the above, see $out/lintian.log"
	exit 1
fi
say "ok: $(cd "$out" && ls ./*.deb), lintian --pedantic clean ($(grep -c '^[IPX]: ' "$out/lintian.log") info/pedantic notes in lintian.log)"

[ "${1:-}" = "--autopkgtest" ] || exit 0
secret=$root/var/lib/strongswan/qcd.secret
keep=""
if [ -e "$secret" ]; then
	keep=$(mktemp)
	cp -p "$secret" "$keep"
fi
say "autopkgtest against the installed package, log in $out/autopkgtest.log"
status=0
run autopkgtest "$changes" -- null > "$out/autopkgtest.log" 2>&1 || status=$?
sed -n '/@@@@ summary/,$p' "$out/autopkgtest.log" | grep -E ' (PASS|FAIL|SKIP)' | sed 's/^/      /'
run apt-get purge -y -qq strongswan-plugin-qcd >/dev/null 2>&1 || true
if [ -n "$keep" ]; then
	cp -p "$keep" "$secret"
	rm -f "$keep"
fi
# autopkgtest exits 2 when a test was skipped, which none may be
# the failing evaltest lines, since CI
# shows only this output
[ $status = 0 ] || {
	grep -E '^ *FAIL ' "$out/autopkgtest.log" | head -20 | sed 's/^/      /'
	say "autopkgtest failed ($status)"
	exit 1
}
say "ok: autopkgtest passed, package purged again"
