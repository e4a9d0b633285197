#!/usr/bin/env bash
# gst-p2p: the p2p-tracker command line (meson suite "tracker"):
#   test-p2p-tracker.sh P2P_TRACKER_BINARY
# Starts trackers on 127.0.0.1 and stops them by pid.
set -u
tracker=$1
. "$(dirname "$0")/../common/processes.sh"
failures=0
check () {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok - $what"; else echo "not ok - $what"; failures=$((failures + 1)); fi
}

# issue #14: a second tracker on a port that a tracker holds fails at once
start_background "$tmp/first.log" "$tracker" --address 127.0.0.1 --port 0
first_pid=$last_pid
first_port=$(listening_port "$tmp/first.log") || exit 1
timeout 10 "$tracker" --address 127.0.0.1 --port "$first_port" >"$tmp/second.log" 2>&1
status=$?
check "a second tracker on a held port exits with status 1" test "$status" -eq 1
check "and says the port is in use" grep -q "port $first_port is already in use" "$tmp/second.log"
check "the first tracker keeps running" kill -0 "$first_pid"

# TLS (issue #15): a self-signed certificate made now, with openssl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=gst-p2p-test -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || { echo "openssl req failed"; exit 1; }
"$tracker" --port 0 --tls-cert "$tmp/cert.pem" >"$tmp/half.log" 2>&1
check "--tls-cert without --tls-key is a usage error (status 2)" test $? -eq 2
"$tracker" --address 127.0.0.1 --port 0 --tls-cert "$tmp/key.pem" --tls-key "$tmp/key.pem" \
  >"$tmp/bad.log" 2>&1
check "a file that holds no certificate: status 1" test $? -eq 1
check "and the reason names the file" grep -q "cannot use TLS certificate $tmp/key.pem" "$tmp/bad.log"

start_background "$tmp/tls.log" "$tracker" --address 127.0.0.1 --port 0 \
  --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
tls_port=$(listening_port "$tmp/tls.log") || exit 1
check "it says it serves TLS" grep -q "(TLS: wss://, https)" "$tmp/tls.log"
https_get () {  # https_get PATH: the response, the certificate checked
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$1" \
    | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$tls_port" \
        -CAfile "$tmp/cert.pem" -verify_return_error -verify_ip 127.0.0.1 2>/dev/null
}
https_get /stats.json >"$tmp/stats.txt"
check "/stats.json over https" grep -q '"connections_accepted":' "$tmp/stats.txt"
https_get /metrics >"$tmp/metrics.txt"
check "/metrics over https" grep -q '^p2p_tracker_connections ' "$tmp/metrics.txt"

# Redis (issue #15): a URL that is none stops the start; a Redis that does
# not answer does not, and the node says so
"$tracker" --address 127.0.0.1 --port 0 --redis http://127.0.0.1:6379 >"$tmp/bad-url.log" 2>&1
check "--redis with another scheme: status 1" test $? -eq 1
check "and the reason says what a Redis URL is" grep -q "not a Redis URL" "$tmp/bad-url.log"
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_background "$tmp/alone.log" "$tracker" --address 127.0.0.1 --port 0 \
  --redis "redis://127.0.0.1:$free_port"
alone_port=$(listening_port "$tmp/alone.log") || exit 1
check "without Redis the node starts, and logs it" grep -q "unreachable" "$tmp/alone.log"
exec 3<>"/dev/tcp/127.0.0.1/$alone_port"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&3
metrics=$(cat <&3)
exec 3<&-
check "its /metrics say p2p_tracker_redis_up 0" grep -q "^p2p_tracker_redis_up 0" <<<"$metrics"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
