# SPDX-License-Identifier: MIT
# Runtime done-when 7: SIGTERM while a slow handler runs: it completes, is
# acked, and the process exits 0.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
pid=$LAST_PID
tc raw shopq.commands test.apply --body '{"key":"slow","sleep_ms":3000}'
sleep 1
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 0 "exit status 0 after SIGTERM"
assert_eq "$(effects slow)" 1 "the slow handler completed"
assert_eq "$(tc count shopq.testd)" "0 0" "acked: nothing back in the queue"
