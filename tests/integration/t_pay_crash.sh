# SPDX-License-Identifier: MIT
# Payments done-when 2: shopq-payments killed right after the provider answered
# a charge and before the commit (crash point after_provider_answer), then
# restarted: still one charge at the provider, the payment succeeded, one event.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf"
start_paysim
o=$(new_orders)

# crash_then_restart N ORDER CARD: charge under the crash point, then run a normal daemon
crash_then_restart() {
  local n=$1 order=$2 card=$3 pid
  start_daemon "crash$n" "$TBIN/shopq-payments" "$TMP/p.conf" SHOPQ_CRASH_AT=after_provider_answer
  pid=$LAST_PID
  charge "$order" 4 "$card"
  wait_for 15 "grep -q 'crash point after_provider_answer reached' '$TMP/crash$n.log'" "the crash point"
  wait "$pid" 2>/dev/null || true
  assert_eq "$(pstatus "$order")" unknown "card $card: after the crash the attempt is recorded as unknown"
  assert_eq "$(paysim_count "$order")" 1 "card $card: the provider charged once before the crash"
  assert_eq "$(events succeeded "$order")" 0 "card $card: no event before the commit"
  start_daemon "after$n" "$BIN/shopq-payments" "$TMP/p.conf"
  wait_for 20 "[ \"\$(pstatus $order)\" = succeeded ] && [ \"\$(events succeeded $order)\" -ge 1 ]" "card $card: settled after the restart"
  sleep 2 # a duplicate charge or event would show up here
  assert_eq "$(paysim_count "$order")/$(paysim_count "$order" succeeded)" "1/1" "card $card: still exactly one charge at the provider"
  assert_eq "$(events succeeded "$order")" 1 "card $card: exactly one payment.succeeded"
  assert_eq "$(psqlq "SELECT count(*) FROM payments.payment WHERE order_id = $order")" 1 "card $card: one payment row"
  wait_for 10 "[ \"\$(queue_depth $PQ)\" = 0 ]" "queue drained"
  kill -TERM "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true
}

crash_then_restart 1 "$o" 1             # visa: succeeded when asked again (or by its webhook)
crash_then_restart 2 "$((o + 1))" 3     # processing: asked again, then settled by the webhook
posts=$(psqlq "SELECT count(*) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id
               WHERE p.order_id = $((o + 1)) AND log_message LIKE '%POST /v1/payment_intents key=shopq-charge-$((o + 1)) %'")
assert_eq "$posts" 2 "processing: the redelivered charge asked the provider again, with the same key"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
