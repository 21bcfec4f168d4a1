#!/usr/bin/env bash
# Serve Margin Lab to a class: N Streamlit replicas on 127.0.0.1 behind nginx, with sticky sessions by
# cookie (deploy/class-nginx.conf.template says why not ip_hash), websockets proxied, a replica that
# exits restarted, and nginx skipping a replica that refuses connections. No root and no container
# engine: nginx (Debian's package: apt-get install -y nginx) runs from a config generated into the run
# directory. Stop everything with scripts/stop_class.sh.
#
# Usage: scripts/serve_class.sh [N]        N replicas (1-16, default 2; about one per core)
# Environment (all optional):
#   MARGIN_LAB_PORT     the port students open (default 8700); replicas use PORT+1 .. PORT+N
#   MARGIN_LAB_LISTEN   the address nginx listens on (default 0.0.0.0: every interface, so laptops on the
#                       school network reach it; 127.0.0.1 for this machine only)
#   MARGIN_LAB_RUN_DIR  where the config, pid files and logs go (default artifacts/class)
#   MARGIN_LAB_PYTHON   the Python with the requirements installed (default python3)
#   MARGIN_LAB_APP      the Streamlit script the replicas run (default app.py)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

REPLICAS=${1:-2}
PORT=${MARGIN_LAB_PORT:-8700}
LISTEN=${MARGIN_LAB_LISTEN:-0.0.0.0}
RUN_DIR=${MARGIN_LAB_RUN_DIR:-$ROOT/artifacts/class}
PYTHON=${MARGIN_LAB_PYTHON:-python3}
APP=${MARGIN_LAB_APP:-app.py}
HEALTH_TIMEOUT=${MARGIN_LAB_HEALTH_TIMEOUT:-180}  # seconds a replica may take to answer its health check

fail() { echo "serve_class: $*" >&2; exit 1; }

[[ "$REPLICAS" =~ ^[0-9]+$ ]] && (( REPLICAS >= 1 && REPLICAS <= 16 )) \
  || fail "N must be a whole number of replicas from 1 to 16, got '$REPLICAS' (usage: scripts/serve_class.sh N)"
[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT >= 1024 && PORT + REPLICAS <= 65535 )) \
  || fail "MARGIN_LAB_PORT must be a port from 1024 to $((65535 - REPLICAS)), got '$PORT'"
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || fail "nginx is not installed: apt-get install -y nginx (Debian's package)"
[ -f "$APP" ] || fail "no Streamlit script $APP (MARGIN_LAB_APP is relative to $ROOT)"
"$PYTHON" -c "import streamlit" 2>/dev/null || fail "$PYTHON cannot import streamlit: pip install -r requirements.lock"
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
  alive "$pidfile" && fail "a class is already being served from $RUN_DIR ($(basename "$pidfile") is running): \
stop it first with MARGIN_LAB_RUN_DIR=$RUN_DIR scripts/stop_class.sh"
done
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for (( p = PORT; p <= PORT + REPLICAS; p++ )); do
  port_busy "$p" && fail "port $p is in use; choose another MARGIN_LAB_PORT (replicas take the next $REPLICAS ports)"
done

rm -f "$RUN_DIR"/*.pid "$RUN_DIR/stopping"
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp"
# One cookie secret for every replica (Streamlit signs cookies with it; by default each process makes
# its own), readable by this user only.
( umask 077; "$PYTHON" -c "import secrets; print(secrets.token_hex(32))" > "$RUN_DIR/cookie-secret" )

# A replica under a small supervisor: if Streamlit exits (a crash, or the load benchmark killing it),
# it starts again two seconds later. Students on it reconnect through nginx to another replica
# meanwhile and get their book back from the link in their address bar.
supervise() {
  local index=$1 port=$2 child=""
  trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait; exit 0' TERM INT
  while [ ! -e "$RUN_DIR/stopping" ]; do
    STREAMLIT_SERVER_COOKIE_SECRET=$(cat "$RUN_DIR/cookie-secret") \
      "$PYTHON" -m streamlit run "$APP" --server.headless true --server.address 127.0.0.1 \
        --server.port "$port" --server.fileWatcherType none --browser.gatherUsageStats false \
        --server.scriptHealthCheckEnabled true \
        >> "$RUN_DIR/logs/replica-$index.log" 2>&1 &
    child=$!
    echo "$child" > "$RUN_DIR/replica-$index.pid"
    wait "$child" || true
    [ -e "$RUN_DIR/stopping" ] && break
    echo "$(date -u +%FT%TZ) replica $index (port $port, pid $child) exited; restarting in 2 s" \
      >> "$RUN_DIR/logs/supervisor.log"
    sleep 2
  done
}

SERVERS=""
for (( i = 1; i <= REPLICAS; i++ )); do
  port=$((PORT + i))
  RUN_DIR=$RUN_DIR PYTHON=$PYTHON APP=$APP setsid bash -c "$(declare -f supervise)"'; supervise "$@"' supervise "$i" "$port" \
    < /dev/null > /dev/null 2>> "$RUN_DIR/logs/supervisor.log" &
  echo $! > "$RUN_DIR/supervisor-$i.pid"
  SERVERS+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
done

healthy() { "$PYTHON" - "$1" "${2:-2}" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except OSError:
    sys.exit(1)
EOF
}
stop_and_fail() { MARGIN_LAB_RUN_DIR="$RUN_DIR" bash "$ROOT/scripts/stop_class.sh" >/dev/null 2>&1 || true; fail "$*"; }

deadline=$((SECONDS + HEALTH_TIMEOUT))
for (( i = 1; i <= REPLICAS; i++ )); do
  until healthy "http://127.0.0.1:$((PORT + i))/_stcore/health"; do
    alive "$RUN_DIR/supervisor-$i.pid" || stop_and_fail "replica $i's supervisor died; see $RUN_DIR/logs/"
    (( SECONDS < deadline )) || stop_and_fail "replica $i did not answer /_stcore/health within \
${HEALTH_TIMEOUT} s; its log: $RUN_DIR/logs/replica-$i.log"
    sleep 0.5
  done
done

# Run the app once in every replica (Streamlit's script health check): the imports and the first
# page's caches are ready before the first student arrives, and a script that fails stops the start
# here. nginx does not pass this endpoint on (it runs the whole script per request).
warmups=()
for (( i = 1; i <= REPLICAS; i++ )); do
  healthy "http://127.0.0.1:$((PORT + i))/_stcore/script-health-check" "$HEALTH_TIMEOUT" &
  warmups+=($!)
done
for (( i = 1; i <= REPLICAS; i++ )); do
  wait "${warmups[$((i - 1))]}" || stop_and_fail "replica $i could not run $APP (Streamlit's script health check \
failed); its log: $RUN_DIR/logs/replica-$i.log"
done

TEMPLATE="$ROOT/deploy/class-nginx.conf.template"
awk -v run="$RUN_DIR" -v listen="$LISTEN" -v port="$PORT" -v servers="$SERVERS" '
  /^@SERVERS@$/ { printf "%s", servers; next }
  { gsub(/@RUN_DIR@/, run); gsub(/@LISTEN@/, listen); gsub(/@PORT@/, port); print }
' "$TEMPLATE" > "$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/logs/nginx-error.log" \
  || stop_and_fail "nginx rejected $RUN_DIR/nginx.conf (see above)"
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/logs/nginx-error.log" \
  || stop_and_fail "nginx did not start; see $RUN_DIR/logs/nginx-error.log"

until healthy "http://127.0.0.1:$PORT/_stcore/health"; do
  (( SECONDS < deadline )) || stop_and_fail "nginx on port $PORT did not pass a health check through to a replica"
  sleep 0.3
done

HOST=$(hostname -I 2>/dev/null | awk '{print $1}')
[ "$LISTEN" = "0.0.0.0" ] && [ -n "$HOST" ] || HOST=$LISTEN
echo "Margin Lab is serving the class at http://$HOST:$PORT/ ($REPLICAS replicas on ports $((PORT + 1))-$((PORT + REPLICAS)), run directory $RUN_DIR)"
echo "Stop it with: MARGIN_LAB_RUN_DIR=$RUN_DIR scripts/stop_class.sh"
