#!/usr/bin/env bash
# A local Redis Cluster of three masters, each with one replica, on free loopback ports, for the
# redis suites (a replica lets a test kill a master and watch the replica take over).
#   scripts/redis-cluster.sh start DIR   start it (state and logs in DIR), wait until every node
#                                        reports cluster_state:ok and every replica has synced,
#                                        print the masters' URLs on one line, comma-separated (the
#                                        form --redis-url takes; the client learns the replicas)
#   scripts/redis-cluster.sh stop DIR    stop the nodes started in DIR
# Needs redis-server and redis-cli (scripts/setup.sh test installs them).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
action=$1 dir=$2

stop() {
  local pidfile pid
  for pidfile in "$dir"/node-*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

case $action in
  stop) stop; exit 0 ;;
  start) ;;
  *) usage ;;
esac

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# A node starts in a failed state: stop what this call started.
trap 'stop' ERR

# Twelve distinct free ports, held open together so that none is handed out twice: each node's
# client port and its cluster-bus port.
read -r -a ports <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(12)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
')"

nodes=()
for i in 0 1 2 3 4 5; do
  port=${ports[$i]} bus=${ports[$((i + 6))]}
  redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 2000 \
    --save '' --appendonly no --dir "$dir" --daemonize yes \
    --pidfile "$dir/node-$port.pid" --logfile "$dir/node-$port.log"
  nodes+=("127.0.0.1:$port")
done

for node in "${nodes[@]}"; do
  ok=""
  for _ in $(seq 100); do
    redis-cli -p "${node#*:}" ping >/dev/null 2>&1 && { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "redis-cluster: node $node did not start" >&2; false; }
done

# The first three nodes become the masters, the last three their replicas.
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
  { cat "$dir/create.log" >&2; false; }

for node in "${nodes[@]}"; do
  ok=""
  for _ in $(seq 100); do
    redis-cli -p "${node#*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "redis-cluster: $node never reached cluster_state:ok" >&2; false; }
done

# A replica that has not synced yet could not take over: wait for each one's link to its master.
urls=()
for node in "${nodes[@]}"; do
  role=$(redis-cli -p "${node#*:}" role | head -1)
  if [ "$role" = master ]; then
    urls+=("redis://$node")
    continue
  fi
  ok=""
  for _ in $(seq 100); do
    redis-cli -p "${node#*:}" info replication | grep -q '^master_link_status:up' && { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "redis-cluster: replica $node never synced with its master" >&2; false; }
done
[ ${#urls[@]} = 3 ] || { echo "redis-cluster: expected 3 masters, found ${#urls[@]}" >&2; false; }
(IFS=,; echo "${urls[*]}")
