# QCD_STRONGSWAN_SRC
# ------------------
# Takes --with-strongswan-src=DIR, a configured strongSwan source tree of
# the same version as the installed libstrongswan/libcharon, and sets
# STRONGSWAN_CPPFLAGS, STRONGSWAN_LIBS and ipsecdir.
#
# The tree supplies the headers only (upstream has no stable API and Debian
# ships none), so it must match the binaries exactly: same version, and
# mediation (ME) enabled if the installed libcharon has it, because ME
# changes the layout of ike_sa_t, daemon_t and peer_cfg_t.
AC_DEFUN([QCD_STRONGSWAN_SRC],
[
AC_ARG_WITH([strongswan-src],
	[AS_HELP_STRING([--with-strongswan-src=DIR],
		[configured strongSwan source tree matching the installed version (required)])],
	[], [with_strongswan_src=no])
AC_ARG_WITH([ipsecdir],
	[AS_HELP_STRING([--with-ipsecdir=DIR],
		[directory of the installed libstrongswan, libcharon and charon @<:@/usr/lib/ipsec@:>@])],
	[ipsecdir="$withval"], [ipsecdir=/usr/lib/ipsec])

AS_IF([test "x$with_strongswan_src" = xno],
	[AC_MSG_ERROR([--with-strongswan-src=DIR is required; run scripts/setup.sh to fetch and configure Debian's strongSwan source, or pass a configured tree of the installed version])])
ss_src=`cd "$with_strongswan_src" 2>/dev/null && pwd`
AS_IF([test -z "$ss_src" || test ! -f "$ss_src/src/libcharon/daemon.h"],
	[AC_MSG_ERROR([$with_strongswan_src is not a strongSwan source tree (no src/libcharon/daemon.h)])])
AS_IF([test ! -f "$ss_src/config.h"],
	[AC_MSG_ERROR([$ss_src is not configured (no config.h); run ./configure --enable-mediation there, or scripts/setup.sh])])

AC_MSG_CHECKING([strongSwan version of $ss_src])
ss_src_version=`sed -n 's/^#define VERSION "\(.*\)"$/\1/p' "$ss_src/config.h"`
AC_MSG_RESULT([$ss_src_version])

# The plugin links libstrongswan and libcharon, so their version counts:
# the upstream version of the Debian package that ships libstrongswan in
# ipsecdir (a package build needs no charon), else what the charon there
# says (a strongSwan installed from source)
AC_MSG_CHECKING([version of the installed strongSwan in $ipsecdir])
ss_bin_version=
ss_bin_pkg=`dpkg-query -S "$ipsecdir/libstrongswan.so.0" 2>/dev/null | sed -n '1s/:.*//p'`
AS_IF([test -n "$ss_bin_pkg"],
	[ss_bin_version=`dpkg-query -W -f='${Version}' "$ss_bin_pkg" 2>/dev/null | sed 's/^[[0-9]]*://; s/-[[^-]]*$//'`
	 ss_bin_from="package $ss_bin_pkg"],
	[AS_IF([test -x "$ipsecdir/charon"],
		[ss_bin_version=`"$ipsecdir/charon" --version 2>/dev/null | sed -n 's/.*strongSwan //p'`])
	 ss_bin_from="$ipsecdir/charon"])
AC_MSG_RESULT([${ss_bin_version:-none}])
AS_IF([test -z "$ss_bin_version"],
	[AC_MSG_ERROR([no strongSwan in $ipsecdir: neither a package that ships libstrongswan.so.0 there nor a charon; install libstrongswan and strongswan-libcharon or pass --with-ipsecdir])])
AS_IF([test "x$ss_src_version" != "x$ss_bin_version"],
	[AC_MSG_ERROR([the source tree is strongSwan $ss_src_version but the installed one ($ss_bin_from) is $ss_bin_version; the plugin must be built against the exact installed version (scripts/setup.sh fetches it)])])

STRONGSWAN_CPPFLAGS="-include $ss_src/config.h -I$ss_src/src/libstrongswan -I$ss_src/src/libcharon"
STRONGSWAN_LIBS="-L$ipsecdir -Wl,-rpath,$ipsecdir -lcharon -lstrongswan"

save_LIBS="$LIBS"
LIBS="-L$ipsecdir -Wl,-rpath,$ipsecdir -lstrongswan $LIBS"
AC_CHECK_LIB([charon], [connect_manager_create], [ss_bin_me=yes], [ss_bin_me=no])
LIBS="$save_LIBS"
AC_MSG_CHECKING([whether $ss_src is configured with mediation (ME)])
AS_IF([grep -q '^#define ME ' "$ss_src/config.h"], [ss_src_me=yes], [ss_src_me=no])
AC_MSG_RESULT([$ss_src_me])
AS_IF([test "x$ss_bin_me" = xyes && test "x$ss_src_me" = xno],
	[AC_MSG_ERROR([the installed libcharon is built with mediation, but $ss_src/config.h lacks "@%:@define ME"; reconfigure that tree with --enable-mediation, or ike_sa_t methods would be called at the wrong offsets])])
AS_IF([test "x$ss_bin_me" = xno && test "x$ss_src_me" = xyes],
	[AC_MSG_ERROR([$ss_src is configured with mediation, but the installed libcharon is not; reconfigure that tree without --enable-mediation])])

# API differences, probed in the tree rather than read off its version:
# strongSwan 6.0 passes listener_t.ike_keys an array of key exchanges
# (RFC 9370), 5.9.x one key_exchange_t
AC_MSG_CHECKING([whether listener_t.ike_keys takes an array of key exchanges])
save_CPPFLAGS="$CPPFLAGS"
save_CFLAGS="$CFLAGS"
CPPFLAGS="$CPPFLAGS $STRONGSWAN_CPPFLAGS"
CFLAGS="$CFLAGS -Werror=incompatible-pointer-types"
AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
#include <bus/listeners/listener.h>
#include <collections/array.h>
static bool keys(listener_t *this, ike_sa_t *ike_sa, array_t *kes,
				 chunk_t dh_other, chunk_t nonce_i, chunk_t nonce_r,
				 ike_sa_t *rekey, shared_key_t *shared, auth_method_t method)
{
	return TRUE;
}
]], [[listener_t listener = { .ike_keys = keys }; (void)listener;]])],
	[ss_ike_keys_array=yes], [ss_ike_keys_array=no])
CPPFLAGS="$save_CPPFLAGS"
CFLAGS="$save_CFLAGS"
AC_MSG_RESULT([$ss_ike_keys_array])
AS_IF([test "x$ss_ike_keys_array" = xyes],
	[STRONGSWAN_CPPFLAGS="$STRONGSWAN_CPPFLAGS -DQCD_IKE_KEYS_ARRAY"])

# every release so far (5.9 to 6.1) initiates a re-established IKE_SA before
# it registers it with the IKE_SA manager, so a fast IKE_SA_INIT response
# finds no IKE_SA; the plugin works around it (qcd_init_race.c) unless
# reestablish() registers it first (patch 1 of upstream/)
AC_MSG_CHECKING([whether re-established IKE_SAs are registered before they are initiated])
AS_IF([awk '/^METHOD\(ike_sa_t, reestablish,/, /^}/' "$ss_src/src/libcharon/sa/ike_sa.c" |
	   grep -q checkout_new],
	[AC_MSG_RESULT([yes])],
	[AC_MSG_RESULT([no])
	 STRONGSWAN_CPPFLAGS="$STRONGSWAN_CPPFLAGS -DQCD_INIT_RACE"])

# strongSwan 6.0.3's plugin loader refuses a plugin without a
# <name>_plugin_version equal to its own VERSION; plugin.h has PLUGIN_DEFINE
# from then on
AC_MSG_CHECKING([whether plugin.h has PLUGIN_DEFINE])
AS_IF([grep -q '^#define PLUGIN_DEFINE' "$ss_src/src/libstrongswan/plugins/plugin.h"],
	[ss_plugin_define=yes
	 STRONGSWAN_CPPFLAGS="$STRONGSWAN_CPPFLAGS -DQCD_PLUGIN_DEFINE"],
	[ss_plugin_define=no])
AC_MSG_RESULT([$ss_plugin_define])
# 6.0.2 added library_init_register(), which 6.0.0 and 6.0.1 lack: the one
# exported difference between the 6.x releases whose loaders do and do not
# check the version field (none tells 6.0.2 from 6.0.3)
AC_MSG_CHECKING([whether library.h has library_init_register])
AS_IF([grep -q 'library_init_register' "$ss_src/src/libstrongswan/library.h"],
	[ss_init_register=yes
	 STRONGSWAN_CPPFLAGS="$STRONGSWAN_CPPFLAGS -DQCD_LIBRARY_INIT_REGISTER"],
	[ss_init_register=no])
AC_MSG_RESULT([$ss_init_register])

AC_SUBST([STRONGSWAN_CPPFLAGS])
AC_SUBST([STRONGSWAN_LIBS])
AC_SUBST([ipsecdir])
AC_SUBST([ss_src])
])
