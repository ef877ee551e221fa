# SPDX-License-Identifier: MIT
# Runtime done-when 1: 1,000 messages while RabbitMQ restarts mid-stream: every
# effect exactly once, nothing left unacked, the daemon recovers by itself.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
# as root, devenv keeps the broker's port out of the ephemeral range: no client
# connection's TIME-WAIT can hold it while the broker is down
if [ "$EUID" -eq 0 ]; then
  python3 - "${SHOPQ_AMQP_PORT:-35672}" <<'PY'
import sys
port = int(sys.argv[1])
text = open("/proc/sys/net/ipv4/ip_local_reserved_ports").read().strip()
spans = [tuple(map(int, (p.split("-") * 2)[:2])) for p in text.split(",") if p]
sys.exit(0 if any(a <= port <= b for a, b in spans) else "FAILED: port %d not reserved (%s)" % (port, text))
PY
  echo "ok: the broker's port is reserved from the ephemeral range"
fi
flood 500 br
wait_for 60 '[ "$(effects br-%)" -ge 100 ]' "first effects"
scripts/devenv restart rabbitmq
flood 500 br2
wait_for 180 '[ "$(distinct_effects br2-%)" -eq 500 ] && [ "$(distinct_effects br-%)" -eq 500 ]' "all 1000 effects"
sleep 2
assert_eq "$(effects 'br%')" 1000 "1000 effects, none applied twice"
assert_eq "$(dup_effects)" 0 "no duplicated effect"
wait_for 30 '[ "$(tc count shopq.testd)" = "0 1" ]' "queue drained, consumer back"
assert_eq "$(tc count shopq.testd)" "0 1" "queue empty (nothing unacked), one consumer"
assert_eq "$(queue_depth shopq.testd.dead)" 0 "nothing dead-lettered"
kill -0 "$LAST_PID" && echo "ok: daemon still running"
grep -q "connected again" "$TMP/testd.log" && echo "ok: daemon reconnected by itself"
