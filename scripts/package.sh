#!/bin/sh
# Builds the Debian source and binary packages of strongswan-qcd for one
# Debian release and its strongSwan, checks them with lintian, and leaves
# them in build/deb/ (bookworm) or build/deb-RELEASE/ (trixie, forky): the
# source package (our tarball from 'git archive' of HEAD; strongSwan's
# release tarball and its upstream signature as the orig-strongswan
# component; debian/), the .deb and its -dbgsym, the .changes and
# .buildinfo, build.log, lintian.log.
#
# Nothing is built, installed or run on this machine itself; everything
# happens in the roots of scripts/setup-release.sh (made once, cached):
#   - the build, in a throwaway overlay of the release's clean build root
#     (debootstrap's buildd variant): apt-get build-dep installs exactly
#     the package's Build-Depends, and dpkg-buildpackage runs as the
#     unprivileged user 'builder', as on Debian's build daemons;
#   - lintian --pedantic, in the release root (the release's lintian);
#   - with --autopkgtest, the package's autopkgtests, in a throwaway
#     overlay of the release root, which has the release's strongSwan:
#     autopkgtest installs the package there (its postinst creates the
#     secret) and runs the tests against it ('autopkgtest ... -- null');
#     the overlay goes afterwards, with the package.
#
# Versions: ours is <AC_INIT>+git<YYYYMMDD>.<hash> from HEAD's commit
# (UTC date, 7-digit hash), so every commit makes a tarball of its own
# name; the package's is <ours>+ss<strongSwan's>-1, one per strongSwan
# release, e.g. 0.1.0+git20261201.1c33713+ss6.1.0-1 (short enough for
# lintian's 80-character limit on file names).  The parts of debian/ that name the release are set
# here, for the release built for: the changelog's version and
# distribution, the strongSwan version bounds of Build-Depends (and
# libssl-dev, which only strongSwan 6 needs) and the Standards-Version in
# debian/control, debian/watch's version suffix, and
# debian/copyright (debian/copyright as in git covers strongSwan 6.1.0,
# debian/copyright.strongswan-<version> the others; debian/rules checks that
# they agree with the embedded tarball).  Uncommitted changes are not in
# the package.
#
# usage: scripts/package.sh [--release bookworm|trixie|forky] [--autopkgtest]
#   DEB_BUILD_OPTIONS is passed to the build; with nocheck in it, the
#   nocheck build profile is used too (no libstrongswan-standard-plugins)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'package: %s\n' "$*"; }
release=bookworm
if [ "${1:-}" = "--release" ]; then
	release=${2:?--release needs bookworm, trixie or forky}
	shift 2
fi
case "$release" in
	bookworm) out=$top/build/deb dist=bookworm policy=4.6.2 ;;
	trixie) out=$top/build/deb-trixie dist=trixie policy=4.7.2 ;;
	forky) out=$top/build/deb-forky dist=unstable policy=4.7.2 ;;
	*) say "unknown release '$release' (bookworm, trixie, forky)"; exit 2 ;;
esac
autopkgtest=no
[ "${1:-}" != "--autopkgtest" ] || autopkgtest=yes
# one run per release at a time: a second one waits for the first, which
# would otherwise find its files gone from under it
mkdir -p "$top/build"
exec 8>"$out.lock"
flock 8

"$top/scripts/setup-release.sh" --root-only "$release" >/dev/null
"$top/scripts/setup-release.sh" --build-root "$release" >/dev/null
root=$(readlink -f "$top/build/cache/root-$release")
in_root() { "$top/scripts/in-root" --scratch "$release" "$@"; }
say "for $release, in its roots"

# strongSwan's release tarball as Debian's source package has it, with
# upstream's signature
ssv=$("$top/scripts/in-root" "$release" dpkg-query -W -f='${Version}' libstrongswan)
ss=${ssv%%-*}
ss_orig=$root/usr/src/strongswan_$ss.orig.tar.bz2
for f in "$ss_orig" "$ss_orig.asc"; do
	[ -f "$f" ] || { say "no $f; scripts/setup-release.sh $release fetches it"; exit 1; }
done
ss_next=$(echo "$ss" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }')~
# dpkg-source checks the signature too, but rejects strongSwan's key, whose
# self-signatures (2009) use SHA-1, and goes on with a warning; gpgv
# accepts them: the signature itself must be good
gnupg=$(mktemp -d)
gpg --homedir "$gnupg" --dearmor < "$top/debian/upstream/signing-key.asc" > "$gnupg/key.gpg" 2>/dev/null &&
gpgv --keyring "$gnupg/key.gpg" "$ss_orig.asc" "$ss_orig" > "$gnupg/gpgv.out" 2>&1 ||
	{ cat "$gnupg/gpgv.out"; rm -rf "$gnupg"; say "bad upstream signature on $ss_orig"; exit 1; }
say "$(grep -o 'Good signature from.*' "$gnupg/gpgv.out") on strongSwan $ss"
rm -rf "$gnupg"

ours=$(sed -n 's/^AC_INIT(\[strongswan-qcd\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
snapshot=$(TZ=UTC0 git -C "$top" log -1 --abbrev=7 \
	--date=format-local:%Y%m%d --format=git%cd.%h HEAD)
upver=$ours+$snapshot+ss$ss
version=$upver-1
tree=$out/strongswan-qcd-$upver
orig=strongswan-qcd_$upver.orig.tar.xz
component=strongswan-qcd_$upver.orig-strongswan.tar.bz2
mkdir -p "$out"
# what an earlier run left, but this version's tarball of ours
find "$out" -mindepth 1 -maxdepth 1 ! -name "$orig" -exec rm -rf {} +

if [ ! -f "$out/$orig" ]; then
	say "our tarball from git archive of $(git -C "$top" rev-parse HEAD)"
	git -C "$top" archive --format=tar --prefix="strongswan-qcd-$upver/" HEAD \
		-- . ':!debian' ':!.ci' | xz -6 > "$out/$orig.part"
	mv "$out/$orig.part" "$out/$orig"
fi
[ -z "$(git -C "$top" status --porcelain -- . ':!build')" ] ||
	say "note: uncommitted changes are not in the package"
cp -p "$ss_orig" "$out/$component"
cp -p "$ss_orig.asc" "$out/$component.asc"

tar -C "$out" -xJf "$out/$orig"
mkdir "$tree/strongswan"
tar -C "$tree/strongswan" --strip-components=1 -xjf "$out/$component"
git -C "$top" archive --format=tar HEAD debian | tar -C "$tree" -xf -
d=$tree/debian
sed -i "1s/(.*) [a-z-]*;/($version) $dist;/" "$d/changelog"
sed -i -e "s/^\(Standards-Version:\).*/\1 $policy/" \
	-e "s/\(libstrongswan\|strongswan-libcharon\) (>= [^)]*)/\1 (>= $ss)/" \
	-e "s/\(libstrongswan\|strongswan-libcharon\) (<< [^)]*)/\1 (<< $ss_next)/" "$d/control"
# strongSwan 5.9's configure does not look for OpenSSL, 6's does
case "$ss" in 5.*) sed -i '/^ *libssl-dev,$/d' "$d/control" ;; esac
sed -i "s/+ss[0-9.]*\//+ss$ss\//" "$d/watch"
if [ -f "$d/copyright.strongswan-$ss" ]; then
	mv "$d/copyright.strongswan-$ss" "$d/copyright"
fi
rm -f "$d"/copyright.strongswan-*
grep -qF "strongSwan $ss release tarball" "$d/copyright" ||
	{ say "debian/copyright has no stanzas for strongSwan $ss (debian/copyright.strongswan-$ss)"; exit 1; }

say "building $version as 'builder' in the $release build root, log in $out/build.log"
"$top/scripts/in-root" --build --scratch "$release" sh -c '
	set -e
	out=$1 tree=$2 opts=$3
	export DEBIAN_FRONTEND=noninteractive
	mkdir /build
	cp -a "$out"/strongswan-qcd_* "$tree" /build/
	chown -R builder: /build
	cd "/build/${tree##*/}"
	profiles=
	case " $opts " in *" nocheck "*) profiles="-P nocheck" ;; esac
	echo "--- apt-get build-dep"
	apt-get update -qq
	apt-get build-dep -y -q -o APT::Install-Recommends=false $profiles ./
	echo "--- dpkg-buildpackage"
	runuser -u builder -- env HOME=/home/builder DEB_BUILD_OPTIONS="$opts" \
		DEB_BUILD_PROFILES="${profiles#-P }" dpkg-buildpackage -us -uc
	cd /build
	cp *.deb *.changes *.buildinfo *.dsc *.debian.tar.* "$out"/
	' _ "$out" "$tree" "${DEB_BUILD_OPTIONS:-}" > "$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log"; say "build failed, see $out/build.log"; exit 1; }
rm -rf "$tree"

changes=$out/strongswan-qcd_${version}_$(dpkg --print-architecture).changes
in_root lintian --pedantic --info --display-info "$changes" > "$out/lintian.log" 2>&1 || true
# errors and warnings fail, but for the one every first upload has
if grep -E '^(E|W): ' "$out/lintian.log" | grep -v 'initial-upload-closes-no-bugs'; then
	say "lintian found the above, see $out/lintian.log"
	exit 1
fi
say "ok: $(cd "$out" && ls ./*.deb | tr '\n' ' ')lintian --pedantic clean ($(grep -c '^[IPX]: ' "$out/lintian.log") info/pedantic notes in lintian.log)"

[ $autopkgtest = yes ] || exit 0
say "autopkgtest against the package installed in the $release root, log in $out/autopkgtest.log"
# the tests need a machine of their own (isolation-machine: network
# namespaces, mounts, the tun device), which the root has: bookworm's null
# runner declares that capability, later ones do not (and trixie's fails an
# assertion when told with --fake-capability), so the restriction is waived
status=0
in_root autopkgtest --ignore-restrictions=isolation-machine \
	--output-dir "$out/autopkgtest" "$changes" -- null \
	> "$out/autopkgtest.log" 2>&1 || status=$?
sed 's/^/      /' "$out/autopkgtest/summary" 2>/dev/null
# autopkgtest exits 2 when a test was skipped, which none may be here; on
# failure the failing evaltest lines, since CI shows only this output
[ $status = 0 ] || {
	grep -E '^ *FAIL ' "$out/autopkgtest.log" | head -20 | sed 's/^/      /'
	say "autopkgtest failed ($status), artifacts in $out/autopkgtest"
	exit 1
}
say "ok: autopkgtest passed (artifacts in $out/autopkgtest); the $release root is as it was"
