# Start tests/lib/hostile_http.py on 127.0.0.1 and wait until it answers.
#   source tests/lib/hostile.sh
#   og_hostile_start WORKDIR ROOT NAME [CERT.pem]   sets OG_HOSTILE_PORT and OG_HOSTILE_PID;
#       requests are logged to WORKDIR/NAME.log
#   og_hostile_stop                                   (also call it from an EXIT trap)
og_hostile_pids=()
og_hostile_start() {
  local work=$1 root=$2 name=$3 cert=${4:-} i
  rm -f "$work/$name.port"
  python3 "$(dirname "${BASH_SOURCE[0]}")/hostile_http.py" "$root" "$work/$name.port" \
    "$work/$name.log" 300 $cert 2>"$work/$name.err" &
  OG_HOSTILE_PID=$!
  og_hostile_pids+=("$OG_HOSTILE_PID")
  # Ready: the port file is written after listen(); then a connection must open. Up to 10 s.
  for i in $(seq 100); do
    if [ -s "$work/$name.port" ]; then
      OG_HOSTILE_PORT=$(cat "$work/$name.port")
      (exec 3<>"/dev/tcp/127.0.0.1/$OG_HOSTILE_PORT") 2>/dev/null && return 0
    fi
    kill -0 "$OG_HOSTILE_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  return 1
}
og_hostile_stop() {
  local p
  for p in "${og_hostile_pids[@]}"; do kill "$p" 2>/dev/null; done
  og_hostile_pids=()
}
