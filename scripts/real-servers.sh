#!/usr/bin/env bash
# Start a real server from Debian on 127.0.0.1:PORT with an access log we can count.
# Usage: scripts/real-servers.sh start lighttpd|python PORT DIR   |   stop DIR   |   count lighttpd|python DIR
# lighttpd frames with Content-Length and keeps connections alive; python3 -m http.server speaks
# HTTP/1.0 and closes after every response.
set -euo pipefail
cmd=$1
case "$cmd" in
start)
  kind=$2; port=$3; dir=$4
  mkdir -p "$dir/html"; printf 'hello from %s\n' "$kind" >"$dir/html/index.html"
  case "$kind" in
  lighttpd)
    command -v lighttpd >/dev/null || { apt-get update -q && apt-get install -y -q lighttpd; } >/dev/null
    cat >"$dir/lighttpd.conf" <<CONF
server.modules = ("mod_accesslog")
server.document-root = "$dir/html"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$dir/server.pid"
server.errorlog = "$dir/error.log"
accesslog.filename = "$dir/access.log"
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = 60
index-file.names = ("index.html")
CONF
    : >"$dir/access.log"
    lighttpd -f "$dir/lighttpd.conf"
    ;;
  python)
    (cd "$dir/html" && exec python3 -u -m http.server --bind 127.0.0.1 "$port" >"$dir/access.log" 2>&1) &
    echo $! >"$dir/server.pid"
    ;;
  esac
  # Wait (bounded) until the port accepts connections.
  for _ in $(seq 100); do
    python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && exit 0
    sleep 0.05
  done
  echo "server did not start" >&2; exit 1
  ;;
stop)
  dir=$2; [ -f "$dir/server.pid" ] && kill "$(cat "$dir/server.pid")" 2>/dev/null || true
  ;;
count)
  kind=$2; dir=$3
  grep -c '"GET / HTTP/1.1" 200' "$dir/access.log" || true
  ;;
esac
