# SPDX-License-Identifier: MIT
# lib.sh -- helpers every integration test sources: paths, psql/redis/AMQP
# access to the devenv servers, daemon start/stop, polling and assertions.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CONF=${SHOPQ_TEST_CONF:-$ROOT/.run/shopq.conf}
BIN=$ROOT/build/bin
TBIN=$ROOT/build/test-bin
TMP=$(mktemp -d /tmp/shopq-test.XXXXXX)
PIDS=()

cleanup() {
  local rc=$? p f
  if [ "$rc" -ne 0 ]; then
    for f in "$TMP"/*.log; do [ -e "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
  fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  for f in "$TMP"/*.valgrind; do
    [ -e "$f" ] || continue
    if [ -s "$f" ]; then echo "FAILED: valgrind found errors in $(basename "$f" .valgrind):"; head -n 40 "$f"; rc=1; fi
  done
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

conf_get() { # conf_get GROUP KEY -> the value from $CONF
  sed -n "s/^ *$1: *{.*[ {;]$2 *= *\"\{0,1\}\([^\";]*\)\"\{0,1\};.*/\1/p" "$CONF" | head -1
}
PG_CONNINFO=$(conf_get postgres conninfo)
REDIS_PORT=$(conf_get redis port)
REDIS_DB=$(conf_get redis db); REDIS_DB=${REDIS_DB:-0}
psqlq() { psql "$PG_CONNINFO" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_DB" "$@"; }
tc() { "$TBIN/sq-testclient" --config "${TC_CONF:-$CONF}" "$@"; }
ctl() { "$BIN/shopqctl" --config "${CTL_CONF:-$CONF}" "$@"; }

# A config for one test: .run/shopq.conf plus lines that override groups.
# usage: make_conf FILE 'runtime: { ... };'
make_conf() {
  local out=$1; shift
  python3 - "$CONF" "$out" "$@" <<'PY'
import re, sys
src, out, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(src).read()
for block in extra:
    m = re.match(r'\s*(\w+)\s*:', block)
    if m:
        text = re.sub(r'^\s*%s\s*:.*?};\s*$' % m.group(1), '', text, flags=re.M | re.S)
    text += "\n" + block + "\n"
open(out, "w").write(text)
PY
}

# start_daemon LOGNAME BINARY CONFIG [ENV=VAL ...]: background, pid in $LAST_PID;
# GnuTLS left to initialise on use, as the systemd units have it
start_daemon() {
  local name=$1 bin=$2 conf=$3; shift 3
  local vg=()
  # SHOPQ_VALGRIND=1: run daemons under valgrind; any error or definite leak fails the test
  [ -n "${SHOPQ_VALGRIND:-}" ] && vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --log-file="$TMP/$name.valgrind")
  env GNUTLS_NO_IMPLICIT_INIT=1 "$@" "${vg[@]}" "$bin" --config "$conf" >> "$TMP/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for 30 "grep -q 'consuming' '$TMP/$name.log'" "$name to start consuming"
}

# wait_for SECONDS 'shell test' 'what'
wait_for() {
  local secs=$1 cond=$2 what=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if eval "$cond" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out after ${secs}s waiting for $what" >&2
  return 1
}

assert_eq() {
  if [ "$1" != "$2" ]; then echo "FAILED: $3: got '$1', want '$2'" >&2; exit 1; fi
  echo "ok: $3"
}

assert_contains() {
  if ! grep -qF -- "$2" <<<"$1"; then echo "FAILED: $3: '$1' does not contain '$2'" >&2; exit 1; fi
  echo "ok: $3"
}

queue_depth() { tc count "$1" | cut -d' ' -f1; }
# metric PORT SERIES: the value of one series (name{labels}) a daemon serves on
# 127.0.0.1:PORT/metrics, as an integer (0 when absent)
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v want="$2" '$1 == want { s += $2 } END { printf "%d", s }'; }
