# gst-p2p: background processes for the shell tests, stopped by pid.
#   . processes.sh     makes $tmp (removed at exit) and the functions below
#   start_background LOG COMMAND...   runs COMMAND, output in LOG; its pid is
#                                     $last_pid, and it is stopped at exit
#   listening_port LOG                the N of "listening on 127.0.0.1 port N"
#                                     once LOG says it (10 s at most)
tmp=$(mktemp -d)
background_pids=()
stop_background () {
  for pid in "${background_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${background_pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap stop_background EXIT

start_background () {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  last_pid=$!
  background_pids+=("$last_pid")
}

listening_port () {
  local port
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$1" >&2
  return 1
}
