#!/bin/bash
# The main job: a gateway crash, recovered with QCD, side by side with plain
# strongSwan.
#
# usage: scripts/demo.sh [--quick]
#
# Two independent pairs in network namespaces, set up the same way
# (dpd_delay = 10s, dpd_action = restart, strongSwan's default
# retransmissions): pair A, moon and carol, with the qcd plugin; pair B, sun
# and dave, without it.  Each road warrior pings through its tunnel all the
# time.  Both gateways are killed with -9 at the same moment and restarted
# at once.  The demo prints what happens in both pairs as it happens, then
# the outages it measured and a picture of the pings.  The full run waits
# for pair B, about 3 minutes; --quick stops once pair A has recovered.
set -u
quick=
case "${1:-}" in
	--quick) quick=1 ;;
	"") ;;
	*) sed -n '2,16p' "$0"; exit 1 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" || exit 1
. "$top/testing/ns/lib.sh"
. "$top/testing/ns/pairs.sh"

rundir=$top/build/demo/$(date +%Y%m%d-%H%M%S)
trap ns_cleanup EXIT
trap 'echo; echo "interrupted, cleaning up"; exit 130' INT TERM
ns_init "$rundir" debian || exit 1

echo
echo "Pair A: gateway moon, road warrior carol, WITH qcd"
echo "Pair B: gateway sun,  road warrior dave,  plain strongSwan"
echo "Both: dpd_delay = 10s, dpd_action = restart, default retransmissions"
echo
pairs_start "$top/testing/demo/hosts" || { echo "setup failed, logs in $rundir"; exit 1; }
echo "Both tunnels are up and carry pings every 0.2 s."
echo "Killing both gateways with -9 at the same moment, and restarting them."
echo
pairs_crash
start=$SECONDS
limit=$((quick ? 60 : 300))

# print events as they appear, until the pairs are back
printed=$rundir/printed
: > "$printed"
while :; do
	for p in A B; do
		pairs_events "$p" > "$rundir/$p.events"
		sed "s/\t/\t$p\t/" "$rundir/$p.events"
	done | sort -n | grep -vxFf "$printed" | while IFS="$(printf '\t')" read -r t p what; do
		printf '  +%7.3f s  pair %s  %s\n' "$t" "$p" "$what"
		printf '%s\t%s\t%s\n' "$t" "$p" "$what" >> "$printed"
	done
	a=$(awk -F'\t' '/first ping reply/ { print $1 }' "$rundir/A.events")
	b=$(awk -F'\t' '/first ping reply/ { print $1 }' "$rundir/B.events")
	[ -n "$a" ] && { [ -n "$b" ] || [ -n "$quick" ]; } && break
	[ $((SECONDS - start)) -ge $limit ] && break
	sleep 0.5
done
waited=$(awk -v s="$start" -v now="$SECONDS" 'BEGIN { print now - s }')

echo
echo "Summary (measured from the kill, with the first ping reply through the new tunnel):"
if [ -n "$a" ]; then
	printf '  pair A, with qcd:      outage %7.1f s\n' "$a"
else
	printf '  pair A, with qcd:      still down after %d s\n' "$waited"
fi
if [ -n "$b" ]; then
	printf '  pair B, plain:         outage %7.1f s\n' "$b"
	[ -n "$a" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "  ratio B / A:           %7.1f\n", b / a }'
else
	printf '  pair B, plain:         still down after %d s (measured; --quick stops early)\n' "$waited"
	[ -n "$a" ] && awk -v a="$a" -v b="$waited" 'BEGIN { printf "  ratio B / A:           more than %.1f\n", b / a }'
fi

# the picture: each ping as a point, replied or lost, over time
t0=$(grep -h "charon killed" "$rundir/moon/log/charon.log" | head -n 1 | cut -d' ' -f1)
for p in A B; do
	awk -v t0="$t0" '
	BEGIN { split(t0, a, ":"); k = a[1] * 3600 + a[2] * 60 + a[3] }
	/^\[/ { t = substr($1, 2, length($1) - 2) % 86400 - k; if (t < -43200) t += 86400
			print t, (/bytes from/ ? 1 : 0) }' "$rundir/${pair_rw[$p]}/ping.log" > "$rundir/ping-$p.dat"
done
png=$rundir/recovery.png
# two panels: pair B's minutes, and pair A's fraction of a second zoomed in
gnuplot <<PLOT 2>/dev/null
set terminal png size 1000,640
set output "$png"
set multiplot layout 2,1 title "Pings through the tunnels after both gateways were killed at t = 0"
set xlabel "seconds since the kill"
set yrange [-0.5:4]
set ytics ("B lost" 0, "B replied" 1, "A lost" 2, "A replied" 3)
set grid xtics
set arrow from 0,-0.5 to 0,4 nohead dt 2
set title "the whole outage"
plot "$rundir/ping-A.dat" using 1:(\$2 + 2) with points pt 7 ps 0.5 title "pair A, with qcd", \
     "$rundir/ping-B.dat" using 1:2 with points pt 7 ps 0.5 title "pair B, plain strongSwan"
set title "the first 3 seconds"
set xrange [-1:3]
plot "$rundir/ping-A.dat" using 1:(\$2 + 2) with points pt 7 ps 1 title "pair A, with qcd", \
     "$rundir/ping-B.dat" using 1:2 with points pt 7 ps 1 title "pair B, plain strongSwan"
unset multiplot
PLOT
[ -s "$png" ] && echo "  picture:               $png"
echo "  logs:                  $rundir"
