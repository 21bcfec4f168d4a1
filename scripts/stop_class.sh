#!/usr/bin/env bash
# Stop what scripts/serve_class.sh started: nginx, the replicas' supervisors and the replicas, each by the
# process id it recorded in the run directory (nothing else is touched).
#
# Usage: scripts/stop_class.sh      (MARGIN_LAB_RUN_DIR as given to serve_class.sh; default artifacts/class)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${MARGIN_LAB_RUN_DIR:-$PWD/artifacts/class}
[ -d "$RUN_DIR" ] || { echo "stop_class: no run directory $RUN_DIR: nothing to stop" >&2; exit 0; }

touch "$RUN_DIR/stopping"  # the supervisors restart no replica from now on
pids=()
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# nginx first, so no student is sent to a replica that is going away; TERM is nginx's fast shutdown
# (a graceful quit would wait for every open websocket).
for pidfile in "$RUN_DIR/nginx.pid" "$RUN_DIR"/supervisor-*.pid "$RUN_DIR"/replica-*.pid; do
  if running "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  fi
done
for (( tick = 0; tick < 150; tick++ )); do  # up to 15 s for everything to exit
  left=()
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
  (( ${#left[@]} == 0 )) && break
  sleep 0.1
done
for pid in "${left[@]}"; do
  echo "stop_class: process $pid did not exit after TERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
done
rm -f "$RUN_DIR"/*.pid
echo "Stopped ${#pids[@]} process(es) served from $RUN_DIR"
