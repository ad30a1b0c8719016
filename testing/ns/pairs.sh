# Independent gateway/roadwarrior pairs in namespaces, set up the same
# way: pair A with the qcd plugin (moon, carol), pair B without it (sun,
# dave), pair C with it too (venus, alice), for a second qcd configuration.
# Used by scripts/demo.sh and testing/bench/recovery.  Source after lib.sh;
# set pairs=(A B C) before pairs_start for all three.

declare -A pair_gw=( [A]=moon [B]=sun [C]=venus )
declare -A pair_rw=( [A]=carol [B]=dave [C]=alice )
declare -A pair_ping=( [A]="-I 203.0.113.100 198.51.100.1"
					   [B]="-I 203.0.113.200 203.0.113.1"
					   [C]="-I 203.0.113.150 203.0.113.3" )
pairs=(A B)

# pairs_start CONFDIR: the hosts of all pairs up, the tunnels up, pings
# running
pairs_start() {
	local conf=$1 h p
	ns_switch || return 1
	for p in "${pairs[@]}"; do
		for h in "${pair_gw[$p]}" "${pair_rw[$p]}"; do
			ns_host "$h" "$ns_rundir/$h" "$conf/$h" || return 1
		done
	done
	for p in "${pairs[@]}"; do
		ns_cmd "${pair_gw[$p]}" "systemctl start strongswan >/dev/null" || return 1
	done
	for p in "${pairs[@]}"; do
		ns_cmd "${pair_rw[$p]}" "systemctl start strongswan >/dev/null" || return 1
	done
	for p in "${pairs[@]}"; do
		ns_cmd "${pair_gw[$p]}" "expect-connection rw" >/dev/null &&
		ns_cmd "${pair_rw[$p]}" "swanctl --initiate --child home >/dev/null 2>&1" &&
		ns_cmd "${pair_rw[$p]}" "ping -c 1 -W 2 ${pair_ping[$p]} >/dev/null" ||
			{ echo "pair $p: tunnel not up" >&2; return 1; }
		# -O reports each lost ping, -D timestamps each line
		ns_cmd "${pair_rw[$p]}" "ping -D -O -i 0.2 -W 1 ${pair_ping[$p]} \
			> \$QCD_HOSTDIR/ping.log 2>&1 &"
	done
	# until all pings flow
	for _ in $(seq 100); do
		pairs_flowing && return 0
		sleep 0.1
	done
	echo "pings do not flow" >&2
	return 1
}

# pairs_flowing: whether each pair's ping got 5 replies
pairs_flowing() {
	local p
	for p in "${pairs[@]}"; do
		[ "$(grep -c 'bytes from' "$ns_rundir/${pair_rw[$p]}/ping.log")" -ge 5 ] || return 1
	done
}

# pairs_crash: kill -9 all gateways at the same moment, restart them at once
pairs_crash() {
	local p
	for p in "${pairs[@]}"; do
		ns_cmd "${pair_gw[$p]}" charon-kill &
	done
	wait
	for p in "${pairs[@]}"; do
		ns_cmd "${pair_gw[$p]}" "systemctl start strongswan >/dev/null" &
	done
	wait
}

# pairs_events PAIR: "seconds-since-kill<TAB>event" lines, in time order,
# read from the logs of the pair's hosts and the roadwarrior's pings
pairs_events() {
	local p=$1
	local gw=$ns_rundir/${pair_gw[$p]}/log/charon.log
	local rw=$ns_rundir/${pair_rw[$p]}/log/charon.log
	local pl=$ns_rundir/${pair_rw[$p]}/ping.log
	awk -v gw="$gw" -v rw="$rw" -v pl="$pl" '
	function tod(s,   a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
	function rel(t) { t -= t0; if (t < -43200) t += 86400; return t }
	function ev(t, what) { if (t >= 0) printf "%.3f\t%s\n", t, what }
	FILENAME == gw {
		if ($0 ~ /charon killed with -9/) { t0 = tod($1); killed = 1; next }
		if (killed && !restarted && /Starting IKE charon daemon/) {
			restarted = rel(tod($1)); ev(restarted, "gateway restarted")
		}
		next
	}
	FILENAME == rw {
		if (!killed) next
		t = rel(tod($1))
		if (t < 0) next
		if (!dpd && /sending DPD request/) { dpd = 1; ev(t, "DPD sent") }
		else if (match($0, /retransmit [0-9]+ of request/)) ev(t, substr($0, RSTART, RLENGTH))
		else if (/qcd: peer .* may have lost IKE_SA/) ev(t, "push verified, DPD started (nudge)")
		else if (/qcd: verified QCD token/) ev(t, "QCD reply received and verified")
		else if (/qcd: peer .* lost IKE_SA/) ev(t, "old SA deleted silently, by QCD")
		else if (/giving up after/) ev(t, "old SA deleted: retransmissions gave up")
		else if (!ike && /IKE_SA home\[[0-9]+\] established/) { ike = 1; ev(t, "new IKE SA up") }
		else if (!child && /CHILD_SA home\{[0-9]+\} established/) { child = 1; ev(t, "new CHILD SA up") }
		next
	}
	FILENAME == pl {
		if (!restarted || replied || $0 !~ /bytes from/) next
		s = substr($1, 2, length($1) - 2) % 86400
		t = rel(s)
		if (t > restarted) { replied = 1; ev(t, "first ping reply again") }
	}' "$gw" "$rw" "$pl" 2>/dev/null
}
