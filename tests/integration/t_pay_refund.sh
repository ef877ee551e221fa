# SPDX-License-Identifier: MIT
# Payments done-when 6: payment.refund of a succeeded payment refunds once at
# the provider, marks it refunded and publishes payment.refunded once, however
# often the command comes; nothing to refund for a declined or unknown order; a
# refund asked while the payment is processing happens when it succeeds.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf"
start_paysim
start_payments payments "$TMP/p.conf"
o=$(new_orders)
paid=$o declined=$((o + 1)) nopay=$((o + 2)) processing=$((o + 3))
charge "$paid" 5 1 4200
charge "$declined" 5 2
wait_for 15 "[ \"\$(events succeeded $paid)\" = 1 ] && [ \"\$(events failed $declined)\" = 1 ]" "the charges to settle"

refund() { ctl publish payment.refund "{\"order_id\":$1,\"reason\":\"customer_request\"}" >/dev/null; }
refund_m() { ctl publish --message-id "$2" payment.refund "{\"order_id\":$1,\"reason\":\"customer_request\"}" >/dev/null; }
refund_m "$paid" "t6-$paid-a"
refund_m "$paid" "t6-$paid-a"   # the same message twice
refund_m "$paid" "t6-$paid-b"   # and the same command again under another message id
refund_m "$declined" "t6-$declined"
refund_m "$nopay" "t6-$nopay"
wait_for 15 "[ \"\$(pstatus $paid)\" = refunded ] && [ \"\$(events refunded $paid)\" -ge 1 ]" "the refund"
wait_for 10 "[ \"\$(queue_depth $PQ)\" = 0 ]" "the queue to drain"
sleep 1.5 # the provider's charge.refunded webhook and the duplicates are handled by now
assert_eq "$(paysim_count "$paid" "" refund)" 1 "one refund at the provider"
assert_eq "$(events refunded "$paid")" 1 "one payment.refunded"
assert_eq "$(event_field refunded "$paid" amount)" 4200 "payment.refunded carries the amount"
rid=$(psqlq "SELECT refund_id FROM payments.payment WHERE order_id = $paid")
assert_eq "$(event_field refunded "$paid" refund_id)" "$rid" "the refund id recorded and published"
assert_contains "$rid" "re_" "a provider refund id"

assert_eq "$(pstatus "$declined")" failed "declined: stays failed"
assert_eq "$(paysim_count "$declined" "" refund)/$(events refunded "$declined")" "0/0" "declined: nothing refunded"
assert_eq "$(pstatus "$nopay")" "" "no payment: none created"
grep -q "order $nopay: refund: no payment, nothing to refund" "$TMP/payments.log" && echo "ok: no payment: logged"

# processing: the refund waits for the settlement, then happens once
charge "$processing" 5 3
wait_for 10 "[ \"\$(pstatus $processing)\" = processing ]" "the processing answer"
refund "$processing"
wait_for 20 "[ \"\$(pstatus $processing)\" = refunded ] && [ \"\$(events refunded $processing)\" -ge 1 ]" "refunded after it settled"
sleep 1.5
assert_eq "$(events succeeded "$processing")/$(events refunded "$processing")" "1/1" "processing: one payment.succeeded, then one payment.refunded"
assert_eq "$(paysim_count "$processing" succeeded)/$(paysim_count "$processing" "" refund)" "1/1" "processing: charged once, refunded once"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
