# SPDX-License-Identifier: MIT
# notify_lib.sh -- shopq-notify tests: clean queues and inbox, users and orders
# unique to the run (dedup marks outlive a run), reading the Redis side
# (entries, unread, a real subscriber), and a private Redis for outage tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NQ=shopq.notify
# microseconds: unique per run, below 2^53; NUSER+k for more users
NUSER=$(( $(date +%s%N) / 1000 ))
NORDER=$(( NUSER % 1000000000000 ))
# the Redis the daemon writes to (a private one replaces these)
NR_PORT=$REDIS_PORT NR_DB=$REDIS_DB NR_PASS=

nrcli() {
  if [ -n "$NR_PASS" ]; then REDISCLI_AUTH=$NR_PASS redis-cli -h 127.0.0.1 -p "$NR_PORT" -n "$NR_DB" "$@"
  else redis-cli -h 127.0.0.1 -p "$NR_PORT" -n "$NR_DB" "$@"; fi
}
xlen() { nrcli XLEN "shopq:notifications:$1"; }
unread() { local n; n=$(nrcli GET "shopq:notifications:$1:unread"); echo "${n:-0}"; }
# entries USER: the stream as JSON lines [stream_id, [field, value, ...]]
entries() {
  nrcli --json XRANGE "shopq:notifications:$1" - + |
    python3 -c 'import json, sys; [print(json.dumps(e)) for e in json.load(sys.stdin)]'
}
titles() { entries "$1" | python3 -c 'import json, sys; [print(dict(zip(f[::2], f[1::2]))["title"]) for _, f in map(json.loads, sys.stdin)]'; }
inbox_has() { psqlq "SELECT count(*) FROM notify.inbox WHERE message_id = '$1'"; }

# notify_reset: empty its queues and runtime tables (the daemon must not run)
notify_reset() {
  local q
  for q in $NQ $NQ.dead $NQ.retry.{1,2,4,5,8,16,30,120,600}s; do tc purge "$q" >/dev/null 2>&1 || true; done
  psqlq "TRUNCATE notify.inbox, notify.outbox, notify.attempts" >/dev/null
}

# notify_conf FILE ['notify settings;'] [more blocks]: short retries for tests
notify_conf() {
  local f=$1 settings=${2:-} ci; shift; [ $# -gt 0 ] && shift
  ci=$(conf_get notify conninfo)
  make_conf "$f" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };' \
    "notify: { ${ci:+conninfo = \"$ci\";} $settings };" "$@"
}

start_notify() { # start_notify CONF [ENV=VAL ...]
  local conf=$1; shift
  start_daemon notify "$TBIN/shopq-notify" "$conf" "$@"
}

# subscribe CHANNEL FILE: a real SUBSCRIBEr in the background, ready on return
subscribe() {
  ( if [ -n "$NR_PASS" ]; then export REDISCLI_AUTH=$NR_PASS; fi
    exec redis-cli -h 127.0.0.1 -p "$NR_PORT" SUBSCRIBE "$1" > "$2" ) &
  PIDS+=("$!")
  wait_for 10 "grep -qx subscribe '$2'" "the subscriber of $1"
}

# private_redis_init: a Redis of this test's own (password, db 5, AOF) on a
# free port, as NR_*; private_redis_up starts it, private_redis_down stops it
# cleanly (its data survives for the next up).
private_redis_init() {
  NR_PASS=pw-$NUSER NR_DB=5
  NR_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$TMP/redis"
}
private_redis_up() {
  ( cd "$TMP/redis" && exec redis-server --port "$NR_PORT" --bind 127.0.0.1 --requirepass "$NR_PASS" \
      --appendonly yes --appendfsync always --save '' --daemonize no --dir "$TMP/redis" \
      --logfile "$TMP/redis-server.log" ) &
  NR_PID=$!
  PIDS+=("$NR_PID")
  wait_for 10 '[ "$(nrcli PING 2>/dev/null)" = PONG ]' "the private redis on $NR_PORT"
}
private_redis_down() {
  kill -TERM "$NR_PID"
  wait "$NR_PID" 2>/dev/null || true
}
private_redis_conf() { # the redis block of a config for it
  echo "redis: { host = \"127.0.0.1\"; port = $NR_PORT; password = \"$NR_PASS\"; db = $NR_DB; $* };"
}
