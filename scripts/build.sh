#!/bin/sh
# Installs what is missing (scripts/setup.sh), then configures and builds
# the plugin, the qcd-secret tool and the unit tests in build/obj.
# Idempotent: a second run only rebuilds what changed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
tree=$(cat "$top/build/cache/strongswan-src")

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ m4/strongswan.m4 -nt configure ] ||
   [ Makefile.am -nt Makefile.in ]; then
	echo "build: autoreconf"
	autoreconf -fi >build/autoreconf.log 2>&1 ||
		{ echo "build: autoreconf failed, see build/autoreconf.log"; exit 1; }
fi
mkdir -p build/obj
cd build/obj
if [ ! -f Makefile ] || [ ../../configure -nt Makefile ]; then
	echo "build: configure --with-strongswan-src=$tree"
	../../configure --with-strongswan-src="$tree" --prefix=/usr \
		--sysconfdir=/etc --localstatedir=/var >configure.out 2>&1 ||
		{ tail -n 5 configure.out; echo "build: configure failed, see build/obj/config.log"; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { tail -n 30 make.out; echo "build: make failed"; exit 1; }
echo "build: ok, plugin in build/obj/.libs/libstrongswan-qcd.so"
