# Test hosts in network namespaces, shared by ns-do-tests, the demo and the
# benchmarks.  Source it from bash, as root.
#
# Each host is a network namespace, plus a mount namespace kept by an anchor
# process, in which these are mounted:
#   /run                  tmpfs (pid file, vici socket)
#   /etc/strongswan.conf  logging, then the host's own strongswan.conf
#   /etc/swanctl          the host's swanctl configuration
#   /var/lib/strongswan   host state (the qcd secret), kept across restarts
#   /var/log              host logs (charon.log)
#   <ipsecdir>/plugins    charon's plugins plus the freshly built qcd plugin
# Hosts are linked by veth pairs to a bridge in a switch namespace; nothing
# is linked to the machine's network, all addresses are RFC 5737 ones.

ns_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ns_bin=$ns_top/testing/ns/bin

# outer addresses on one LAN, inner ones (on lo) behind the hosts
declare -A ns_outer=( [moon]=192.0.2.1 [sun]=192.0.2.2 [venus]=192.0.2.3
					  [carol]=192.0.2.100 [dave]=192.0.2.200 [alice]=192.0.2.150
					  [winnetou]=192.0.2.66 )
declare -A ns_inner=( [moon]=198.51.100.1/24 [sun]=203.0.113.1/32
					  [venus]=203.0.113.3/32 [carol]=203.0.113.100/32
					  [dave]=203.0.113.200/32 [alice]=203.0.113.150/32 )
declare -A ns_anchor ns_hostdir
ns_namespaces=()
ns_anchors=()
ns_prefix=qcd$$
# kernel interface of the hosts: libipsec (ESP in charon, for kernels
# without ESP, as this machine's) or netlink (ESP in the kernel, in the VM
# of scripts/vm-test.sh)
ns_kernel=${ns_kernel:-libipsec}

# ns_init RUNDIR [debian|upstream|series|installed|trixie|forky]: choose the
# charon and the plugin, prepare its plugins: Debian's charon or upstream's
# with the freshly built plugin, Debian's charon with the plugin as
# installed (the strongswan-plugin-qcd package), or a Debian release's
# charon in the root file system of scripts/setup-release.sh, which the
# hosts then chroot into, with the plugin built there; and the matching
# qcd-secret tool.
# QCD_PLUGIN, if set, is the plugin to use instead; QCD_OBJ, if set, the
# build folder for Debian's charon instead of build/obj; QCD_RELEASE_OBJ,
# if set, the folder built in the release's root (plugin and qcd-secret)
# instead of build/obj-RELEASE.
ns_init() {
	local obj=${QCD_OBJ:-$ns_top/build/obj}
	ns_rundir=$1
	ns_root=
	ns_ipsecdir=/usr/lib/ipsec
	ns_plugin=$obj/.libs/libstrongswan-qcd.so
	ns_secret_tool=$obj/qcd-secret
	case "${2:-debian}" in
		debian) ;;
		upstream)
			ns_ipsecdir=$ns_top/build/cache/upstream/lib/ipsec
			ns_plugin=$ns_top/build/obj-upstream/.libs/libstrongswan-qcd.so ;;
		series)	# pristine 6.1.0 with the upstream series, plugin in the tree;
			# the hosts' /etc/strongswan.conf, not the prefix's, and no leak
			# detective in charon (the tree has it for make check)
			ns_ipsecdir=$ns_top/build/cache/series/prefix/lib/ipsec
			ns_plugin=$ns_ipsecdir/plugins/libstrongswan-qcd.so
			export STRONGSWAN_CONF=/etc/strongswan.conf LEAK_DETECTIVE_DISABLE=1 ;;
		installed)
			ns_plugin=$ns_ipsecdir/plugins/libstrongswan-qcd.so
			ns_secret_tool=/usr/sbin/qcd-secret ;;
		trixie|forky)
			obj=${QCD_RELEASE_OBJ:-$ns_top/build/obj-$2}
			ns_root=$(readlink -f "$ns_top/build/cache/root-$2")
			ns_plugin=$obj/.libs/libstrongswan-qcd.so
			ns_secret_tool=$obj/qcd-secret ;;
		*) echo "unknown charon '$2'" >&2; return 1 ;;
	esac
	ns_plugin=${QCD_PLUGIN:-$ns_plugin}
	[ -x "$ns_root$ns_ipsecdir/charon" ] || { echo "no charon in $ns_root$ns_ipsecdir" >&2; return 1; }
	[ -f "$ns_plugin" ] || { echo "plugin $ns_plugin not built (scripts/build.sh) or installed" >&2; return 1; }
	mkdir -p "$ns_rundir/plugins"
	cp -a "$ns_root$ns_ipsecdir/plugins/." "$ns_rundir/plugins/"
	cp "$ns_plugin" "$ns_rundir/plugins/libstrongswan-qcd.so"
}

# ns_charon_version: what the chosen charon says of its version
ns_charon_version() {
	if [ -n "$ns_root" ]; then
		chroot "$ns_root" "$ns_ipsecdir/charon" --version 2>&1
	else
		"$ns_ipsecdir/charon" --version 2>&1
	fi | head -n 1
}

# ns_cleanup: kill what runs in our namespaces, by PID, and delete them
ns_cleanup() {
	local ns pid
	for ns in "${ns_namespaces[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for pid in "${ns_anchors[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	for ns in "${ns_namespaces[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	ns_namespaces=()
	ns_anchors=()
}

# ns_switch: the LAN all hosts are linked to
ns_switch() {
	ip netns add "$ns_prefix-switch" || return 1
	ns_namespaces+=("$ns_prefix-switch")
	ip -n "$ns_prefix-switch" link add br0 type bridge
	ip -n "$ns_prefix-switch" link set br0 up
}

# ns_host NAME HOSTDIR CONFDIR: a host whose strongswan.conf and swanctl/
# come from CONFDIR/etc; logs and state go to HOSTDIR
ns_host() {
	local h=$1 hdir=$2 conf=$3 ns=$ns_prefix-$1 pid
	[ -n "${ns_outer[$h]:-}" ] || { echo "unknown host $h" >&2; return 1; }
	mkdir -p "$hdir/log" "$hdir/state"
	# the folders swanctl --load-all reads, so that it does not complain
	(cd "$hdir" && mkdir -p etc/swanctl/x509 etc/swanctl/x509ca etc/swanctl/x509ocsp \
		etc/swanctl/x509aa etc/swanctl/x509ac etc/swanctl/x509crl etc/swanctl/pubkey \
		etc/swanctl/private etc/swanctl/rsa etc/swanctl/ecdsa etc/swanctl/bliss \
		etc/swanctl/pkcs8 etc/swanctl/pkcs12)
	chmod 700 "$hdir/state"
	ip netns add "$ns" || return 1
	ns_namespaces+=("$ns")
	# IPv4 only: IPv6 link-local addresses appearing late would trigger
	# MOBIKE updates at random moments
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip link add "$h" netns "$ns_prefix-switch" type veth peer name eth0 netns "$ns"
	ip -n "$ns_prefix-switch" link set "$h" master br0 up
	ip -n "$ns" addr add "${ns_outer[$h]}/24" dev eth0
	ip -n "$ns" link set eth0 up
	# eth0's MAC, for helpers that steer a peer's packets to a host at the
	# link layer (cluster-steer)
	ip -n "$ns" -br link show eth0 | awk '{ print $3 }' > "$hdir/eth0.mac"
	# this kernel has no dummy links: inner networks live on lo
	[ -n "${ns_inner[$h]:-}" ] && ip -n "$ns" addr add "${ns_inner[$h]}" dev lo
	cp "$conf/etc/strongswan.conf" "$hdir/etc/strongswan.host.conf" 2>/dev/null ||
		: > "$hdir/etc/strongswan.host.conf"
	[ "$ns_kernel" = netlink ] && sed -i 's/ kernel-libipsec//' "$hdir/etc/strongswan.host.conf"
	[ -d "$conf/etc/swanctl" ] && cp -a "$conf/etc/swanctl/." "$hdir/etc/swanctl/"
	cat > "$hdir/etc/strongswan.conf" <<CONF
charon {
	filelog {
		charon-log {
			path = /var/log/charon.log
			time_format = %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			default = 1
			ike = 2
			net = 2
			flush_line = yes
		}
	}
}
swanctl {
	load = pem pkcs1 x509 revocation constraints pubkey openssl random
}
include $hdir/etc/strongswan.host.conf
CONF
	# the anchor keeps the mount namespace (and, for a release root, the root it
	# chroots into); everything else nsenters it
	[ -z "$ns_root" ] || mkdir -p "$ns_root/var/lib/strongswan" "$ns_root$ns_top"
	ip netns exec "$ns" unshare -m --propagation private sh -c '
		r=$4
		mount -t tmpfs tmpfs "$r/run" &&
		mount --bind "$1/etc/strongswan.conf" "$r/etc/strongswan.conf" &&
		mount --bind "$1/etc/swanctl" "$r/etc/swanctl" &&
		mount --bind "$1/state" "$r/var/lib/strongswan" &&
		mount --bind "$1/log" "$r/var/log" &&
		mount --bind "$2" "$r$3/plugins" || exit 1
		[ -n "$r" ] || exec sleep infinity
		mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" &&
		mount --rbind /sys "$r/sys" && mount --bind "$5" "$r$5" &&
		exec chroot "$r" sleep infinity' _ "$hdir" "$ns_rundir/plugins" \
		"$ns_ipsecdir" "$ns_root" "$ns_top" &
	pid=$!
	disown "$pid"
	ns_anchors+=("$pid")
	ns_anchor[$h]=$pid
	ns_hostdir[$h]=$hdir
	touch "$hdir/log/.mounted"
	for _ in $(seq 200); do
		if nsenter -t "$pid" -m -r test -e /var/log/.mounted 2>/dev/null; then
			# QCD_NS_SECRET=create: the secret made as the package's postinst
			# makes it, for charons that may not create it (AppArmor)
			[ "${QCD_NS_SECRET:-}" != create ] ||
				ns_cmd "$h" "qcd-secret --create >/dev/null 2>&1" || return 1
			return 0
		fi
		sleep 0.05
	done
	echo "host $h: mounts not ready" >&2
	return 1
}

# ns_cmd HOST COMMAND: run a shell command in the host, with the helpers of
# testing/ns/bin on PATH
ns_cmd() {
	local h=$1
	shift
	nsenter -t "${ns_anchor[$h]}" -m -n -r -w env PATH="$ns_bin:$PATH" \
		QCD_HOST="$h" QCD_HOSTDIR="${ns_hostdir[$h]}" QCD_RUNDIR="$ns_rundir" \
		QCD_IPSECDIR="$ns_ipsecdir" QCD_SECRET_TOOL="$ns_secret_tool" \
		QCD_KERNEL="$ns_kernel" sh -c "$*"
}
