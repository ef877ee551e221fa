# SPDX-License-Identifier: MIT
# The broker connection breaking while a batch is being collected, made
# deterministic: the test build's fault point collect-break takes the
# connection as broken after a batch's first two deliveries, three times. The
# daemon must free what it collected once (the last batch's bodies were freed
# a second time before b1f4315: run under valgrind by check-valgrind, that is an
# invalid read; without, heap corruption), reconnect, and apply every effect
# exactly once.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
flood 600 cb
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf" SHOPQ_FAULT_AT=collect-break SHOPQ_FAULT_TIMES=3
wait_for 120 '! kill -0 "$LAST_PID" || [ "$(distinct_effects cb-%)" -eq 600 ]' "all 600 effects (or the daemon's end)"
alive() { kill -0 "$LAST_PID" 2>/dev/null && echo alive || echo "dead: $(tail -n 2 "$TMP/testd.log")"; }
assert_eq "$(alive)" alive "the daemon survived the breaks"
sleep 1
assert_eq "$(grep -c 'fault point collect-break reached' "$TMP/testd.log")" 3 "the fault fired three times"
assert_eq "$(grep -c 'fault collect-break: the connection taken as broken mid-collect (test build); reconnecting' "$TMP/testd.log")" 3 "each time the daemon reconnected"
assert_eq "$(effects cb-%)" 600 "600 effects, none applied twice"
wait_for 30 '[ "$(tc count shopq.testd)" = "0 1" ]' "queue drained, consumer back"
assert_eq "$(tc count shopq.testd)" "0 1" "queue empty (nothing unacked), one consumer"
assert_eq "$(queue_depth shopq.testd.dead)" 0 "nothing dead-lettered"
assert_eq "$(alive)" alive "the daemon is still running"
