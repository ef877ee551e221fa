# SPDX-License-Identifier: MIT
# Payments done-when 4: webhooks out of order never move a payment backwards
# (succeeded stays succeeded when an older processing or failure arrives,
# refunded stays refunded); a webhook finds a payment with no intent id yet by
# metadata.order_id.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf"
start_payments payments "$TMP/p.conf"
o=$(new_orders)
pi=pi_t4_$o
fake_payment "$o" processing "$pi"
hook() { # hook N TYPE STATUS [INTENT] [ORDER]
  ctl publish payment.webhook "$(sign_webhook "$(intent_event "evt_t4_${o}_$1" "$2" "${4:-$pi}" "${5:-$o}" "$3")")" >/dev/null
}
handled() { wait_for 10 "grep -q 'evt_t4_${o}_$1' '$TMP/payments.log' || [ \"\$(psqlq \"SELECT count(*) FROM payments.payment_logs WHERE log_message LIKE '%evt_t4_${o}_$1%'\")\" -gt 0 ]" "webhook $1 to be handled"; }

hook 1 payment_intent.succeeded succeeded
wait_for 10 '[ "$(pstatus $o)" = succeeded ]' "succeeded"
hook 2 payment_intent.processing processing        # older news
hook 3 payment_intent.payment_failed requires_payment_method
handled 2; handled 3
assert_eq "$(pstatus "$o")" succeeded "a late processing or failure does not move succeeded back"
assert_eq "$(events succeeded "$o")/$(events failed "$o")" "1/0" "one payment.succeeded, no payment.failed"

hook 4 charge.refunded succeeded
wait_for 10 '[ "$(pstatus $o)" = refunded ]' "refunded by charge.refunded"
hook 5 payment_intent.succeeded succeeded          # a stale success after the refund
hook 6 payment_intent.processing processing
handled 5; handled 6
assert_eq "$(pstatus "$o")" refunded "refunded stays refunded"
assert_eq "$(events succeeded "$o")/$(events refunded "$o")" "1/1" "still one payment.succeeded; one payment.refunded"

# no intent id recorded yet (a crash before the commit): matched by metadata.order_id
o2=$((o + 1))
fake_payment "$o2" unknown ""
hook 7 payment_intent.succeeded succeeded "pi_t4_$o2" "$o2"
wait_for 10 "[ \"\$(pstatus $o2)\" = succeeded ] && [ \"\$(events succeeded $o2)\" -ge 1 ]" "the unknown payment to settle"
assert_eq "$(psqlq "SELECT reference_id FROM payments.payment WHERE order_id = $o2")" "pi_t4_$o2" "the intent id recorded from the webhook"
assert_eq "$(events succeeded "$o2")" 1 "one payment.succeeded for it"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
