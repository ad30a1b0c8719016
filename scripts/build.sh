#!/bin/sh
# Installs what is missing (scripts/setup.sh), then configures and builds
# the plugin, the qcd-secret tool and the unit tests in build/obj.
# Idempotent: a second run only rebuilds what changed.
#
# Environment:
#   QCD_OBJ   build folder instead of build/obj, e.g. for sanitizer builds
#   CFLAGS    passed to configure when the folder is first configured
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
tree=$(cat "$top/build/cache/strongswan-src")
obj=${QCD_OBJ:-$top/build/obj}

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ m4/strongswan.m4 -nt configure ] ||
   [ Makefile.am -nt Makefile.in ]; then
	echo "build: autoreconf"
	autoreconf -fi >build/autoreconf.log 2>&1 ||
		{ echo "build: autoreconf failed, see build/autoreconf.log"; exit 1; }
fi
mkdir -p "$obj"
cd "$obj"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	echo "build: configure --with-strongswan-src=$tree in $obj"
	"$top/configure" --with-strongswan-src="$tree" --prefix=/usr \
		--sysconfdir=/etc --localstatedir=/var >configure.out 2>&1 ||
		{ tail -n 5 configure.out; echo "build: configure failed, see $obj/config.log"; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { tail -n 30 make.out; echo "build: make failed"; exit 1; }
echo "build: ok, plugin in $obj/.libs/libstrongswan-qcd.so"
