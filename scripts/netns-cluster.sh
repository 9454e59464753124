#!/usr/bin/env bash
# A cluster of real hosts on this machine (docs/network.md "The harness"), the same shape as the network tests'
# ClusterPortal.Tests/Support/Network/TestNetwork.cs: a switch namespace with a bridge and dnsmasq answering
# cluster.test with one A record per node, one namespace and address per node on 198.18.0.0/24, a client namespace.
# Needs root, iproute2, iptables, dnsmasq; build first (dotnet build ClusterPortal.sln).
#
#   scripts/netns-cluster.sh up 3            # 3 nodes: h1..h3 at 198.18.0.11.., client c1 at 198.18.0.101
#   scripts/netns-cluster.sh exec c1 curl -s http://cluster.test:5000/api/cluster
#   scripts/netns-cluster.sh cut h3 h1 h2    # cut h3 from h1 and h2 both ways (--one-way: only h3's packets)
#   scripts/netns-cluster.sh impair h1 100 0 0.02   # h1's packets held 100 ms ± 0 ms, 2 % lost
#   scripts/netns-cluster.sh heal            # remove every cut and impairment
#   scripts/netns-cluster.sh down            # stop the nodes, remove everything
#
# Names carry the prefix "cpnsh-"; `down` removes whatever a previous run left.
set -euo pipefail
cd "$(dirname "$0")/.."
P=cpnsh
NET=198.18.0
IPT=$(command -v iptables-legacy || command -v iptables)
STATE=/tmp/$P
CONFIG=${CONFIG:-Debug}
PORTAL=ClusterPortal/bin/$CONFIG/net10.0/ClusterPortal.dll
EMULATOR=tools/ClusterPortal.LinkEmulator/bin/$CONFIG/net10.0/ClusterPortal.LinkEmulator.dll
KEY=${CLUSTER_KEY:-netns-cluster-shared-key-0123456789abcdef}

ns() { echo "$P-$1"; }
addr() { case $1 in h*) echo "$NET.$((10 + ${1#h}))" ;; c*) echo "$NET.$((100 + ${1#c}))" ;; esac; }

add_host() { # name
  local n; n=$(ns "$1")
  ip netns add "$n"
  mkdir -p "/etc/netns/$n"
  printf 'nameserver %s.1\noptions timeout:1 attempts:2\n' "$NET" >"/etc/netns/$n/resolv.conf"
  echo "127.0.0.1 localhost" >"/etc/netns/$n/hosts"
  ip -n "$n" link set lo up
  ip -n "$P-sw" link add "$P$1" type veth peer name eth0 netns "$n"
  ip -n "$P-sw" link set "$P$1" master br0 up
  ip -n "$n" addr add "$(addr "$1")/24" dev eth0
  ip -n "$n" link set eth0 up
}

up() {
  local count=${1:-3}
  [ -f "$PORTAL" ] || { echo "build first: $PORTAL not found" >&2; exit 1; }
  down >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  ip netns add "$P-sw"
  ip -n "$P-sw" link set lo up
  ip -n "$P-sw" link add br0 type bridge
  ip -n "$P-sw" addr add "$NET.1/24" dev br0
  ip -n "$P-sw" link set br0 up
  : >"$STATE/hosts"
  for i in $(seq 1 "$count"); do add_host "h$i"; echo "$(addr "h$i") cluster.test" >>"$STATE/hosts"; done
  add_host c1
  ip netns exec "$P-sw" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$STATE/hosts" \
    --listen-address="$NET.1" --bind-interfaces --local-ttl=0 --pid-file="$STATE/dnsmasq.pid" --user=root --group=root
  for i in $(seq 1 "$count"); do
    local seeds=()
    [ "$i" -gt 1 ] && seeds=(--Cluster:Seeds:0=http://cluster.test:5000)
    ip netns exec "$(ns "h$i")" dotnet "$PORTAL" --Cluster:NodeId="node-$i" --urls="http://$(addr "h$i"):5000" \
      --Cluster:Key="$KEY" --Cluster:DataDirectory="$STATE/node-$i" --Cluster:Zone="${ZONES:+zone-$(( (i - 1) % ZONES + 1 ))}" \
      --Portal:AnonymousView=Always "${seeds[@]}" "${@:2}" >"$STATE/node-$i.log" 2>&1 &
    echo $! >"$STATE/node-$i.pid"
  done
  echo "nodes starting; logs in $STATE/node-*.log; try: $0 exec c1 curl -s http://cluster.test:5000/api/cluster"
}

cut() { # from to... [--one-way]
  local from=$1 rules=() oneway=0; shift
  for t in "$@"; do [ "$t" = --one-way ] && oneway=1; done
  for t in "$@"; do
    [ "$t" = --one-way ] && continue
    rules+=("-A OUTPUT -d $(addr "$t") -j DROP")
    [ $oneway = 1 ] || rules+=("-A INPUT -s $(addr "$t") -j DROP")
  done
  printf '*filter\n%s\nCOMMIT\n' "$(printf '%s\n' "${rules[@]}")" | ip netns exec "$(ns "$from")" "$IPT-restore" -w --noflush
}

impair() { # host delay-ms jitter-ms loss
  ip netns exec "$(ns "$1")" dotnet "$EMULATOR" --queue 1 --delay-ms "$2" --jitter-ms "${3:-0}" --loss "${4:-0}" >"$STATE/emulator-$1.log" 2>&1 &
  echo $! >"$STATE/emulator-$1.pid"
  until grep -q ready "$STATE/emulator-$1.log"; do sleep 0.2; done
  ip netns exec "$(ns "$1")" "$IPT" -w -A OUTPUT -o eth0 -j NFQUEUE --queue-num 1
}

heal() {
  for n in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns exec "$n" "$IPT" -w -F; done
  for f in "$STATE"/emulator-*.pid; do [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }; done
}

down() {
  for n in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$n"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$n"
    rm -rf "/etc/netns/$n"
  done
  rm -rf "$STATE"
}

case ${1:-} in
  up) shift; up "$@" ;;
  cut) shift; cut "$@" ;;
  impair) shift; impair "$@" ;;
  heal) heal ;;
  down) down ;;
  exec) shift; h=$1; shift; ip netns exec "$(ns "$h")" "$@" ;;
  *) sed -n '2,15p' "$0"; exit 1 ;;
esac
