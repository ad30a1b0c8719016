# Shared by the benchmarks: results, statistics, host configurations.
# Source after testing/ns/lib.sh.

bench_results=$ns_top/build/bench
mkdir -p "$bench_results"

# bench_record NAME key=value...: append one CSV record to
# build/bench/NAME.csv (the header is written with the first record)
bench_record() {
	local name=$1 file=$bench_results/$1.csv kv keys= vals=
	shift
	for kv in "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "host=$(uname -n)" \
			  "cpus=$(nproc)" "$@"; do
		keys="$keys${keys:+,}${kv%%=*}"
		vals="$vals${vals:+,}${kv#*=}"
	done
	if [ -f "$file" ] && [ "$(head -n 1 "$file")" != "$keys" ]; then
		# other columns: keep the old records beside the new file
		local old=$file.$(date +%Y%m%d-%H%M%S)
		mv "$file" "$old"
		echo "note: $file had other columns, moved to $old"
	fi
	[ -f "$file" ] || echo "$keys" > "$file"
	echo "$vals" >> "$file"
}

# bench_stats: "median max" of the numbers on stdin, "- -" if none
bench_stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f %.3f\n", m, v[NR] }'
}

# bench_ratio A B: B / A, or "-"
bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "-") printf "%.1f", b / a; else print "-" }'
}

# bench_charon_usage HOST: "peak-RSS-kB cpu-seconds" of the host's charon
bench_charon_usage() {
	ns_cmd "$1" 'pid=$(cat $QCD_HOSTDIR/charon.pid) &&
		awk "/VmHWM/ { print \$2 }" /proc/$pid/status | tr "\n" " " &&
		awk -v hz=$(getconf CLK_TCK) "{ printf \"%.2f\n\", (\$14 + \$15) / hz }" /proc/$pid/stat'
}

# bench_udp_drops HOST: UDP datagrams the host's kernel dropped for a full
# receive buffer (a charon that does not read its sockets fast enough)
bench_udp_drops() {
	ip netns exec "$ns_prefix-$1" awk '/^Udp:/ && ++n == 2 { print $6 }' /proc/net/snmp
}

bench_load="random nonce openssl pem pkcs1 x509 pubkey kdf hmac sha1 sha2 aes gcm kernel-libipsec kernel-netlink socket-default vici updown"

# bench_addresses N: N distinct client addresses from 198.18.0.0/15, the
# block RFC 2544 reserves for benchmarks (RFC 5737 has room for only 759
# clients beside the test hosts), inside the benchmark's namespaces only
bench_addresses() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n && i < 130048; i++)
		printf "198.%d.%d.%d\n", 18 + int(i / 65024), int(i % 65024 / 254), i % 254 + 1 }'
}

# the hosts that play the road warriors: carol, and with more clients
# (bench_conf's CLIENTS) dave, alice and venus
bench_clients=(carol)

# bench_conf DIR N QCD(yes|no) [GATEWAY-SETTINGS] [CLIENT-SETTINGS]
# [ADDRESSES] [CLIENTS]: a gateway moon and N connections to it, each with
# its own identity and a CHILD_SA (dpd_delay 10s, dpd_action restart), from
# a client carol, all from carol's 192.0.2.100, or with ADDRESSES =
# distinct each from its own address (bench_addresses), played by CLIENTS
# client charons (1 to 4, default 1: bench_clients)
bench_conf() {
	local dir=$1 n=$2 qcd=$3 gw=${4:-} cl=${5:-} addrs=${6:-one} k=${7:-1} load=$bench_load i h
	local -a local_addrs
	[ "$qcd" = yes ] && load="$load qcd"
	[ "$k" -ge 1 ] && [ "$k" -le 4 ] && { [ "$k" = 1 ] || [ "$addrs" = distinct ]; } &&
		[ "$n" -gt $((254 * (k - 1))) ] ||
		{ echo "1 to 4 clients, more than one only with distinct addresses and more than 254 IKE_SAs per client but the last" >&2; return 1; }
	bench_clients=(carol dave alice venus)
	bench_clients=("${bench_clients[@]:0:$k}")
	mkdir -p "$dir/moon/etc/swanctl" "$dir/winnetou/etc"
	# vici initiations block a worker thread each until they complete; all
	# clients come from one address, which must not look like an attack
	# (cookies also hit a race in charon's retry: a response is ignored as
	# "already processing" and the exchange waits for a retransmission)
	# and charon logs at its default level, as in production: the debug
	# lines of the test hosts would cost more than what they describe.
	# The IKE_SA table is sized as for a large gateway: charon's default is
	# a single bucket, a list that every lookup walks (at 3,000 peers that
	# cost the gateway 40% more CPU in a recovery)
	local common="load = $load
  threads = 64
  ikesa_table_size = 8192
  ikesa_table_segments = 16
  filelog { charon-log { ike = 1
    net = 1 } }"
	printf 'charon {\n  %s\n  cookie_threshold = 1000000\n  cookie_threshold_ip = 1000000\n  block_threshold = 1000000\n  %s\n}\n' \
		"$common" "$gw" > "$dir/moon/etc/strongswan.conf"
	cat > "$dir/moon/etc/swanctl/swanctl.conf" <<CONF
connections {
   rw {
      local_addrs = 192.0.2.1
      local {
         auth = psk
         id = moon.strongswan.org
      }
      remote {
         auth = psk
      }
      children {
         net {
            local_ts = 198.51.100.0/24
            remote_ts = 203.0.113.100/32
         }
      }
      version = 2
      proposals = aes128-sha256-ecp256
   }
}
secrets {
   ike {
      secret = 0sFpZAZqEN6Ti9sqt4ZP5EWcqx
   }
}
CONF
	if [ "$addrs" = distinct ]; then
		mapfile -t local_addrs < <(bench_addresses "$n")
		[ "${#local_addrs[@]}" = "$n" ] ||
			{ echo "only ${#local_addrs[@]} addresses for $n clients" >&2; return 1; }
	fi
	for h in "${bench_clients[@]}"; do
		mkdir -p "$dir/$h/etc/swanctl"
		printf 'charon {\n  %s\n  %s\n}\n' "$common" "$cl" > "$dir/$h/etc/strongswan.conf"
		echo "connections {" > "$dir/$h/etc/swanctl/swanctl.conf"
		: > "$dir/$h/connections"
	done
	for i in $(seq "$n"); do
		# whole /24s of bench_addresses each, so that moon routes to each
		# client by prefix
		h=${bench_clients[$(((i - 1) / 254 % k))]}
		echo "$i" >> "$dir/$h/connections"
		[ "$addrs" = distinct ] && echo "${local_addrs[$((i - 1))]}" >> "$dir/$h/addresses"
		cat >> "$dir/$h/etc/swanctl/swanctl.conf" <<CONF
   c$i {
      local_addrs = ${local_addrs[$((i - 1))]:-192.0.2.100}
      remote_addrs = 192.0.2.1
      local {
         auth = psk
         id = c$i.carol.strongswan.org
      }
      remote {
         auth = psk
         id = moon.strongswan.org
      }
      children {
         c$i {
            local_ts = 203.0.113.100/32
            remote_ts = 198.51.100.0/24
            dpd_action = restart
         }
      }
      version = 2
      proposals = aes128-sha256-ecp256
      dpd_delay = 10s
   }
CONF
	done
	for h in "${bench_clients[@]}"; do
		{
			echo "}"
			printf 'secrets {\n   ike {\n      secret = 0sFpZAZqEN6Ti9sqt4ZP5EWcqx\n   }\n}\n'
		} >> "$dir/$h/etc/swanctl/swanctl.conf"
	done
}

# bench_hosts DIR HOSTS...: the hosts of a bench_conf directory, charon
# started where there is a configuration; a client gets its distinct
# addresses if any, and moon routes to them via that client
bench_hosts() {
	local dir=$1 h
	shift
	ns_switch || return 1
	for h in "$@"; do
		ns_host "$h" "$ns_rundir/$h" "$dir/$h" || return 1
		# every client's CHILD_SAs have carol's inner address, which
		# kernel-libipsec wants on the host for the route it installs
		[ -f "$dir/$h/connections" ] &&
			{ ip -n "$ns_prefix-$h" addr replace 203.0.113.100/32 dev lo || return 1; }
		if [ -s "$dir/$h/addresses" ]; then
			sed 's:.*:addr add &/32 dev eth0:' "$dir/$h/addresses" |
				ip -n "$ns_prefix-$h" -batch - || return 1
			# behind a router, as road warriors are: one neighbour entry on
			# moon per client, not one per address (the kernel's table holds
			# 1024)
			awk -F. -v via="${ns_outer[$h]}" '!seen[$1 "." $2 "." $3]++ {
				printf "route replace %s.%s.%s.0/24 via %s\n", $1, $2, $3, via }' \
				"$dir/$h/addresses" | ip -n "$ns_prefix-moon" -batch - || return 1
		fi
		# one malloc arena: RSS then grows with what is allocated, not with
		# how allocations spread over per-thread arenas
		[ -s "$dir/$h/etc/strongswan.conf" ] &&
			{ ns_cmd "$h" "MALLOC_ARENA_MAX=1 systemctl start strongswan >/dev/null" || return 1; }
	done
	return 0
}

# bench_initiate DIR [PARALLEL]: initiate the connections of bench_conf
# DIR's clients, PARALLEL (16) at a time on each, all clients at once;
# print the seconds it took until all are up
bench_initiate() {
	local dir=$1 h start rc=0
	local -a pids
	start=$(date +%s.%N)
	for h in "${bench_clients[@]}"; do
		ns_cmd "$h" "xargs -P ${2:-16} -I@ swanctl --initiate --child c@ --timeout 60 \
				< $dir/$h/connections >/dev/null 2>&1
			up=\$(swanctl --list-sas --raw 2>/dev/null | grep -o 'state=ESTABLISHED' | wc -l)
			want=\$(wc -l < $dir/$h/connections)
			[ \"\$up\" -ge \"\$want\" ] || { echo \"$h: only \$up of \$want IKE_SAs up\" >&2; exit 1; }" &
		pids+=($!)
	done
	for h in "${pids[@]}"; do
		wait "$h" || rc=1
	done
	[ $rc = 0 ] && awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }'
}

# bench_clients_usage: "cpu-seconds udp-drops" of all clients' charons
bench_clients_usage() {
	local h cpu=0 drops=0
	for h in "${bench_clients[@]}"; do
		cpu=$(awk -v a="$cpu" -v b="$(bench_charon_usage "$h" | cut -d' ' -f2)" 'BEGIN { print a + b }')
		drops=$((drops + $(bench_udp_drops "$h")))
	done
	echo "$cpu $drops"
}
