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

# bench_conf DIR N QCD(yes|no) [GATEWAY-SETTINGS] [CLIENT-SETTINGS]
# [ADDRESSES]: a gateway moon and a client carol with N connections to it,
# each with its own identity and a CHILD_SA (dpd_delay 10s, dpd_action
# restart), all from carol's 192.0.2.100, or with ADDRESSES = distinct each
# from its own address (bench_addresses)
bench_conf() {
	local dir=$1 n=$2 qcd=$3 gw=${4:-} cl=${5:-} addrs=${6:-one} load=$bench_load i
	local -a local_addrs
	[ "$qcd" = yes ] && load="$load qcd"
	mkdir -p "$dir/moon/etc/swanctl" "$dir/carol/etc/swanctl" "$dir/winnetou/etc"
	# vici initiations block a worker thread each until they complete; all
	# clients come from one address, which must not look like an attack
	# (cookies also hit a race in charon's retry: a response is ignored as
	# "already processing" and the exchange waits for a retransmission)
	# and charon logs at its default level, as in production: the debug
	# lines of the test hosts would cost more than what they describe
	local common="load = $load
  threads = 64
  filelog { charon-log { ike = 1
    net = 1 } }"
	printf 'charon {\n  %s\n  cookie_threshold = 1000000\n  cookie_threshold_ip = 1000000\n  block_threshold = 1000000\n  %s\n}\n' \
		"$common" "$gw" > "$dir/moon/etc/strongswan.conf"
	printf 'charon {\n  %s\n  %s\n}\n' "$common" "$cl" > "$dir/carol/etc/strongswan.conf"
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
		bench_addresses "$n" > "$dir/carol/addresses"
	fi
	{
		echo "connections {"
		for i in $(seq "$n"); do
			cat <<CONF
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
		echo "}"
		printf 'secrets {\n   ike {\n      secret = 0sFpZAZqEN6Ti9sqt4ZP5EWcqx\n   }\n}\n'
	} > "$dir/carol/etc/swanctl/swanctl.conf"
}

# bench_hosts DIR HOSTS...: the hosts of a bench_conf directory, charon
# started where there is a configuration; carol gets the distinct client
# addresses if any, and moon on-link routes to them
bench_hosts() {
	local dir=$1 h
	shift
	ns_switch || return 1
	for h in "$@"; do
		ns_host "$h" "$ns_rundir/$h" "$dir/$h" || return 1
		if [ "$h" = carol ] && [ -s "$dir/carol/addresses" ]; then
			sed 's:.*:addr add &/32 dev eth0:' "$dir/carol/addresses" |
				ip -n "$ns_prefix-carol" -batch - || return 1
			# behind a router, as road warriors are: one neighbour entry on
			# moon, not one per client (the kernel's table holds 1024)
			ip -n "$ns_prefix-moon" route replace 198.18.0.0/15 via 192.0.2.100 || return 1
		fi
		# one malloc arena: RSS then grows with what is allocated, not with
		# how allocations spread over per-thread arenas
		[ -s "$dir/$h/etc/strongswan.conf" ] &&
			{ ns_cmd "$h" "MALLOC_ARENA_MAX=1 systemctl start strongswan >/dev/null" || return 1; }
	done
	return 0
}

# bench_initiate N [PARALLEL]: initiate c1..cN on carol, print the seconds
# it took until all are up
bench_initiate() {
	ns_cmd carol "start=\$(date +%s.%N)
		seq $1 | xargs -P ${2:-16} -I@ swanctl --initiate --child c@ --timeout 60 >/dev/null 2>&1
		up=\$(swanctl --list-sas --raw 2>/dev/null | grep -o 'state=ESTABLISHED' | wc -l)
		end=\$(date +%s.%N)
		[ \"\$up\" -ge $1 ] || { echo \"only \$up of $1 IKE_SAs up\" >&2; exit 1; }
		awk -v s=\$start -v e=\$end 'BEGIN { printf \"%.3f\\n\", e - s }'"
}
