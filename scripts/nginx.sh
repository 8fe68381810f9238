#!/usr/bin/env bash
# Start a private nginx on 127.0.0.1:PORT (default 8089), serving a small static body, with an
# access log we can count. Installs nginx from Debian if missing. Prints the PID file path.
# Usage: scripts/nginx.sh start [PORT] [CPU] [tls]   |   scripts/nginx.sh stop   |   scripts/nginx.sh count
# With "tls": HTTPS with a throwaway CA made by scripts/tls-certs.sh in $NGINX_DIR/pki
# (pass $NGINX_DIR/pki/ca.pem as --cacert; the certificate is for localhost and 127.0.0.1).
set -euo pipefail
dir=${NGINX_DIR:-/tmp/onslaught-nginx}
cmd=${1:-start}
port=${2:-8089}
cpu=${3:-}
tls=${4:-}
case "$cmd" in
start)
  command -v nginx >/dev/null || { apt-get update -q && apt-get install -y -q nginx; } >/dev/null
  mkdir -p "$dir/html" "$dir/logs"
  chmod a+rx "$dir" "$dir/html"  # nginx workers run unprivileged (mktemp -d makes 0700)
  printf 'hello from nginx\n' >"$dir/html/index.html"
  listen="listen 127.0.0.1:$port reuseport backlog=4096;"
  if [ "$tls" = tls ]; then
    "$(dirname "$0")/tls-certs.sh" "$dir/pki" >/dev/null 2>&1
    chmod a+rx "$dir/pki"; chmod a+r "$dir/pki"/*
    listen="listen 127.0.0.1:$port ssl reuseport backlog=4096; listen 127.0.0.2:$port ssl; ssl_certificate $dir/pki/server.pem; ssl_certificate_key $dir/pki/server.key; ssl_session_cache shared:SSL:10m;"
  fi
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 65536; }
http {
  access_log $dir/logs/access.log;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {
    $listen
    root $dir/html;
    location / { }
  }
}
CONF
  [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null && sleep 0.2 || true
  : >"$dir/logs/access.log"
  if [ -n "$cpu" ]; then taskset -c "$cpu" nginx -c "$dir/nginx.conf" -p "$dir"; else nginx -c "$dir/nginx.conf" -p "$dir"; fi
  for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
  echo "nginx on 127.0.0.1:$port (pid $(cat "$dir/nginx.pid"))"
  ;;
stop)
  [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
  rm -f "$dir/nginx.pid"
  ;;
count)
  # nginx writes the access log line after the response; give it a moment to flush.
  wc -l <"$dir/logs/access.log"
  ;;
esac
