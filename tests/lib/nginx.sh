# Start and stop a private nginx on 127.0.0.1 for tests and benchmarks.
#   source tests/lib/nginx.sh
#   og_nginx_start WORKDIR ROOT PORT [EXTRA_SERVER_DIRECTIVES]   (sets OG_NGINX_LOG)
# WORKDIR/logs/conn.log has one line per request ending in nginx's connection
# serial number (connection reuse).
#   og_nginx_stop WORKDIR
og_nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

og_nginx_start() {
  local work=$1 root=$2 port=$3 extra=${4:-}
  mkdir -p "$work/logs" "$work/tmp"
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  log_format og_conn '"\$request" \$status \$body_bytes_sent \$connection';
  access_log $work/logs/access.log;
  access_log $work/logs/conn.log og_conn;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $root;
    location /api/ { default_type application/json; }
    $extra
  }
}
CONF
  "$(og_nginx_bin)" -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" 2>"$work/nginx.err" &
  OG_NGINX_LOG=$work/logs/access.log
  # Ready when it answers (not when its pid file appears): up to 10 s.
  local i
  for i in $(seq 100); do
    if [ -s "$work/nginx.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  cat "$work/nginx.err" "$work/logs/error.log" >&2
  return 1
}

og_nginx_stop() { kill "$(cat "$1/nginx.pid" 2>/dev/null)" 2>/dev/null || true; }
