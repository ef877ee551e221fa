# SPDX-License-Identifier: MIT
# Runtime done-when 9: a message that aborts the process is dead-lettered after
# the delivery limit with its reason, while the messages behind it are processed.
# The test restarts the daemon after each crash, as systemd would.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
tc raw shopq.commands test.apply --body '{"key":"before"}'
tc raw shopq.commands test.apply --body '{"key":"poison","crash":1}'
flood 20 behind
for i in $(seq 1 8); do
  "$TBIN/shopq-testd" --config "$TMP/c.conf" >> "$TMP/testd.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; [ "$(effects behind-%)" -eq 20 ] && break; sleep 0.2; done
  [ "$(effects behind-%)" -eq 20 ] && break
done
wait_for 20 '[ "$(effects behind-%)" -eq 20 ]' "messages behind the poison"
wait_for 20 '[ "$(queue_depth shopq.testd.dead)" -eq 1 ]' "poison dead-lettered"
dead=$(tc drain shopq.testd.dead)
assert_contains "$dead" "without an outcome: the daemon crashed or hung while handling it" "reason"
assert_contains "$dead" '"body":"{\"key\":\"poison\",\"crash\":1}"' "original body kept"
assert_eq "$(effects before)" 1 "message before processed once"
assert_eq "$(effects behind-%)" 20 "messages behind processed once each"
