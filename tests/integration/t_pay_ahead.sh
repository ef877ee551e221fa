# SPDX-License-Identifier: MIT
# Payments: a batch of charges (and of webhooks) goes ahead, its first
# statements (each order's payment row, each webhook's settle) sent with the
# transaction's opening. One charge among twenty answers 500 (pm_card_flaky's
# first attempt): the attempt is rolled back and the batch runs again one
# message at a time, with the answers the batch already had: the provider is
# not asked twice, each order is charged once, gets one payment.succeeded, and
# its charge line in payment_logs once per delivery attempt. A charge answer
# the batch's prepare got is applied in the charge's first statement, with its
# row read: PostgreSQL's log (log_statement for payments' role, for this test)
# shows no statement of its own settling a charge. A webhook's signature is
# checked once per delivery: its first hook's reading is the handler's too.
source "$(dirname "$0")/pay_lib.sh"
N=20
pay_reset
pay_conf "$TMP/p.conf" 'metrics: { port = 39183; };'
ahead() { metric 39183 "shopq_batches_ahead_total{queue=\"$PQ\",result=\"$1\"}"; }
start_paysim
base=$(( $(new_orders) / 1000 + 1 ))
first=$((base * 1000)) last=$((base * 1000 + N - 1)) flaky=$((base * 1000 + 7))
# queued before the daemon starts, so that its first batch holds them all
for o in $(seq "$first" "$last"); do
  k=1; [ "$o" = "$flaky" ] && k=4
  charge "$o" 7 "$k" 1500
done
PGLOG=$ROOT/.run/log/postgres.log
psqlq "ALTER ROLE shopq_payments SET log_statement = 'all'"
# (set +e: under errexit, "(exit $rc)" with a failure would end the trap before cleanup stops the daemons)
trap 'rc=$?; set +e; psqlq "ALTER ROLE shopq_payments RESET log_statement" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
log_from=$(stat -c %s "$PGLOG")
webhook_rows() { psqlq "SELECT count(*) FROM payments.webhook_events"; }
rows_from=$(webhook_rows)
start_payments payments "$TMP/p.conf"
in_range="order_id BETWEEN $first AND $last"
wait_for 40 "[ \"\$(psqlq \"SELECT count(*) FROM payments.payment WHERE $in_range AND status = 'succeeded'\")\" -eq $N ]" "all $N payments to succeed"
sleep 1 # the webhooks of the last ones
assert_eq "$(ahead not_ok)" 1 "the batch with the 500 went ahead and was rolled back once"
[ "$(ahead committed)" -ge 1 ] || { echo "FAILED: no payments batch went ahead and committed" >&2; exit 1; }
echo "ok: $(ahead committed) payments batches went ahead and committed (webhooks among them)"
for o in $(seq "$first" "$last"); do
  [ "$(paysim_count "$o")/$(events succeeded "$o")" = "1/1" ] || { echo "FAILED: order $o: $(paysim_count "$o") charges, $(events succeeded "$o") events" >&2; exit 1; }
done
echo "ok: each of the $N orders charged once, one payment.succeeded each"
lines() { psqlq "SELECT count(*) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id
                 WHERE p.order_id = $1 AND l.log_message LIKE 'charge (delivery attempt $2): POST %'"; }
for o in $(seq "$first" "$last"); do
  [ "$(lines "$o" 1)" = 1 ] || { echo "FAILED: order $o: the provider was asked $(lines "$o" 1) times on the first delivery" >&2; exit 1; }
done
echo "ok: the provider was asked once per order on the first delivery"
assert_eq "$(lines "$flaky" 2)" 1 "the flaky card's 500 was retried on the second delivery"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
statements() { tail -c +"$((log_from + 1))" "$PGLOG" | grep -c -- "$1" || true; }
settled_first=$(statements ': WITH cur AS (SELECT p.id, p.status')
[ "$settled_first" -ge "$N" ] || { echo "FAILED: $settled_first charges settled in their first statement, want >= $N" >&2; exit 1; }
echo "ok: $settled_first charge answers applied in the charges' first statements"
assert_eq "$(statements ': WITH moved AS (UPDATE payments.payment')" 0 "no charge answer settled in a statement of its own"
checks() { metric 39183 'shopq_webhook_checks_total{result="ok"}'; }
[ "$(ahead committed)" -ge 1 ] && [ "$(checks)" -ge "$N" ] || { echo "FAILED: $(checks) webhook signatures checked, want >= $N" >&2; exit 1; }
# every webhook is recorded once: as many checks as rows, once the last one is in
# (read twice, each check would count two)
wait_for 20 "[ \"\$(checks)\" -eq \$((\$(webhook_rows) - rows_from)) ]" "one signature check per webhook" ||
  { echo "FAILED: $(checks) signature checks for $(( $(webhook_rows) - rows_from )) webhooks" >&2; exit 1; }
echo "ok: $(checks) webhooks, each signature checked once (batches of webhooks went ahead)"
