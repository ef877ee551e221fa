# SPDX-License-Identifier: MIT
# Payments done-when 5: 200 charges with pm_card_processing, two payments
# daemons, the settlement webhooks and payment.reconcile arriving at once:
# each payment succeeds once and gets exactly one payment.succeeded, and the
# two daemons' reconciles never wait for each other's rows.
source "$(dirname "$0")/pay_lib.sh"
N=200
pay_reset
pay_conf "$TMP/p.conf" 'runtime: { batch_size = 20; retry_delays = [1, 1, 2, 2, 4, 8]; poison_limit = 3; };'
start_paysim
start_payments payments1 "$TMP/p.conf"
start_payments payments2 "$TMP/p.conf"
base=$(( $(new_orders) / 1000 + 1 ))   # orders base*1000 + 0..N-1
first=$((base * 1000)) last=$((base * 1000 + N - 1))
tc flood $N shopq.commands payment.charge \
  "{\"order_id\":${base}%03d,\"user_id\":7,\"amount\":1234,\"currency\":\"USD\",\"payment_token_id\":$(token 7 3)}"

# reconcile keeps arriving while the provider settles and sends its webhooks
for _ in $(seq 25); do
  [ -e "$TMP/settled" ] && break
  ctl publish payment.reconcile '{"older_than_s":0,"limit":1000}' >/dev/null
  sleep 0.2
done &
rpid=$!
in_range="order_id BETWEEN $first AND $last"
wait_for 50 "[ \"\$(psqlq \"SELECT count(*) FROM payments.payment WHERE $in_range AND status = 'succeeded'\")\" -eq $N ]" "all $N payments to succeed"
touch "$TMP/settled"
wait "$rpid"
wait_for 20 '[ "$(queue_depth $PQ)" = 0 ]' "the queue to drain"
sleep 2
capture
python3 - "$TMP/events.succeeded.jsonl" "$first" "$last" "$N" <<'PY'
import collections, json, sys
first, last, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = collections.Counter()
for l in open(sys.argv[1]):
    o = json.loads(json.loads(l)["body"])["order_id"]
    if first <= o <= last:
        c[o] += 1
dups = {o: k for o, k in c.items() if k != 1}
assert len(c) == n and not dups, f"{len(c)} orders with an event, not exactly once: {list(dups.items())[:5]}"
print(f"ok: exactly one payment.succeeded for each of the {n} orders")
PY
curl -sf "$PAYSIM_URL/__paysim/charges" | python3 -c '
import collections, json, sys
first, last, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [r for r in json.load(sys.stdin) if r["object"] == "payment_intent" and first <= int(r["order_id"]) <= last]
c = collections.Counter(int(r["order_id"]) for r in rows)
assert len(rows) == n and len(c) == n, f"{len(rows)} intents for {len(c)} orders"
assert all(r["status"] == "succeeded" for r in rows)
print(f"ok: the provider charged each of the {n} orders exactly once")' "$first" "$last" "$N"
movers=$(psqlq "SELECT count(*) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id
                WHERE p.$in_range AND l.log_message LIKE 'status -> succeeded by %'")
assert_eq "$movers" "$N" "exactly one mover per payment"
psqlq "SELECT substring(l.log_message FROM 'by ([a-z ]+)') AS by, count(*) FROM payments.payment_logs l
       JOIN payments.payment p ON p.id = l.payment_id WHERE p.$in_range AND l.log_message LIKE 'status -> succeeded by %'
       GROUP BY 1" | sed 's/^/settled by: /'
echo "lock waits given up / deadlocks retried: $(cat "$TMP"/payments*.log | grep -c 'lock timeout\|deadlock' || true)"
# reconcile claims its rows (skip locked): its log lines never wait out a lock
# held by the other daemon (before, each such wait was 2 s plus a deadlock, and
# the batches could chase each other past the drain timeout)
assert_eq "$(cat "$TMP"/payments*.log | grep -c 'log line not recorded.*: reconcile: ' || true)" 0 \
  "no reconcile log line given up on a lock"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
