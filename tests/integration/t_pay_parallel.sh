# SPDX-License-Identifier: MIT
# Payments: a batch's charges are asked about in parallel, not one after the
# other. With every provider answer 300 ms late, a batch of 20 charges has many
# answers waiting at once (paysim counts them); each order is still charged
# once, gets one payment.succeeded, and its charge line in payment_logs.
source "$(dirname "$0")/pay_lib.sh"
N=20
pay_reset
pay_conf "$TMP/p.conf" 'runtime: { batch_size = 20; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };'
start_paysim
curl -sf -X POST -d delay_ms=300 "$PAYSIM_URL/__paysim/mode" >/dev/null
base=$(( $(new_orders) / 1000 + 1 ))
first=$((base * 1000)) last=$((base * 1000 + N - 1))
# queued before the daemon starts, so that its first batch holds them all
tc flood $N shopq.commands payment.charge \
  "{\"order_id\":${base}%03d,\"user_id\":7,\"amount\":1500,\"currency\":\"USD\",\"payment_token_id\":$(token 7 1)}"
start_payments payments "$TMP/p.conf"
in_range="order_id BETWEEN $first AND $last"
wait_for 40 "[ \"\$(psqlq \"SELECT count(*) FROM payments.payment WHERE $in_range AND status = 'succeeded'\")\" -eq $N ]" "all $N payments to succeed"
at_once=$(curl -sf "$PAYSIM_URL/__paysim/mode" | python3 -c 'import json,sys; print(json.load(sys.stdin)["delayed_at_once_max"])')
echo "answers waiting at once, at most: $at_once"
[ "$at_once" -ge 10 ] || { echo "FAILED: the charges were asked one after the other ($at_once at once), not in parallel" >&2; exit 1; }
curl -sf -X POST -d delay_ms=0 "$PAYSIM_URL/__paysim/mode" >/dev/null
sleep 1
for o in $(seq "$first" "$last"); do
  [ "$(paysim_count "$o")/$(events succeeded "$o")" = "1/1" ] || { echo "FAILED: order $o: $(paysim_count "$o") charges, $(events succeeded "$o") events" >&2; exit 1; }
done
echo "ok: each of the $N orders charged once, one payment.succeeded each"
assert_eq "$(psqlq "SELECT count(*) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id
                    WHERE p.$in_range AND l.log_message LIKE 'charge (delivery attempt 1): POST /v1/payment_intents key=%: HTTP 200 %'")" \
  "$N" "each charge's line in payment_logs"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
