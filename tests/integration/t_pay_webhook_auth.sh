# SPDX-License-Identifier: MIT
# Payments done-when 3: forged signature, wrong secret, tampered body, a
# timestamp 301 s old, a malformed header (and other broken webhooks) are each
# dead-lettered with their own reason; a replayed event id is deduplicated;
# nothing changes in the database.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf"
start_payments payments "$TMP/p.conf"
o=$(new_orders)
pi=pi_t3_$o
fake_payment "$o" processing "$pi"
before=$(payment_state "$o")
ev() { intent_event "evt_t3_${o}_$1" payment_intent.succeeded "$pi" "$o" succeeded; }
now=$(date +%s)
hex=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
good=$(sign_webhook "$(ev 1)")
pub() { ctl publish --message-id "t3-$o-$1" payment.webhook "$2" >/dev/null; }

pub forged "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["signature"]="t=%s,v1=%s" % (sys.argv[2], sys.argv[3]); print(json.dumps(d))' "$(sign_webhook "$(ev 2)")" "$now" "$hex")"
pub wrongsecret "$(sign_webhook "$(ev 3)" whsec_not_the_secret)"
pub tampered "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["body"]=d["body"].replace("1999","1"); print(json.dumps(d))' "$(sign_webhook "$(ev 4)")")"
pub old "$(sign_webhook "$(ev 5)" "" $((now - 301)) "$now")"
pub malformed "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["signature"]="t=abc,v1=" + sys.argv[2][:10]; print(json.dumps(d))' "$(sign_webhook "$(ev 6)")" "$hex")"
pub nov1 "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["signature"]=d["signature"].replace("v1=","v0="); print(json.dumps(d))' "$(sign_webhook "$(ev 7)")")"
pub badtime "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["received_at"]="yesterday at noon"; print(json.dumps(d))' "$(sign_webhook "$(ev 8)")")"
pub notevent "$(sign_webhook '{"hello":"world"}')"
wait_for 30 '[ "$(queue_depth $PQ.dead)" -ge 8 ]' "8 dead letters"
sleep 1
assert_eq "$(queue_depth $PQ.dead)" 8 "exactly the 8 broken webhooks dead-lettered"
tc drain $PQ.dead > "$TMP/dead.jsonl"
reason() { python3 - "$TMP/dead.jsonl" "t3-$o-$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m["message_id"] == sys.argv[2]:
        print(m["headers"].get("x-shopq-error"))
PY
}
assert_contains "$(reason forged)" "webhook rejected: signature does not match" "forged signature"
assert_contains "$(reason wrongsecret)" "webhook rejected: signature does not match" "wrong secret"
assert_contains "$(reason tampered)" "webhook rejected: signature does not match" "tampered body"
assert_contains "$(reason old)" "timestamp is 301 s away from received_at (tolerance 300 s)" "timestamp 301 s old"
assert_contains "$(reason malformed)" "signature header is malformed" "malformed signature header"
assert_contains "$(reason nov1)" "signature header has no v1 signature" "no v1 signature"
assert_contains "$(reason badtime)" "received_at \"yesterday at noon\" is not an RFC 3339 time" "bad received_at"
assert_contains "$(reason notevent)" "webhook event has no id" "signed body that is not an event"
if grep -qF -- "$WEBHOOK_SECRET" "$TMP/dead.jsonl" "$TMP/payments.log"; then
  echo "FAILED: the webhook secret leaked into a reason or the log" >&2; exit 1
fi
echo "ok: no reason names the secret"
assert_eq "$(payment_state "$o")" "$before" "nothing changed in the database"
assert_eq "$(psqlq "SELECT count(*) FROM payments.webhook_events WHERE event_id LIKE 'evt_t3_${o}_%'")" 0 "no webhook event recorded"
assert_eq "$(events succeeded "$o")" 0 "no event"

# the good one settles; its replay (same event id, new message) is deduplicated
pub good1 "$good"
wait_for 10 '[ "$(pstatus $o)" = succeeded ]' "the valid webhook to settle the payment"
psqlq "UPDATE payments.payment SET status = 'processing' WHERE order_id = $o" >/dev/null # as if it had not settled
mid=$(payment_state "$o")
pub good2 "$good"
wait_for 10 "grep -q 'evt_t3_${o}_1 (payment_intent.succeeded): seen before' '$TMP/payments.log'" "the replay to be handled"
sleep 0.5
assert_eq "$(payment_state "$o")" "$mid" "replayed event id: nothing changed"
assert_eq "$(events succeeded "$o")" 1 "replayed event id: still one payment.succeeded"
assert_eq "$(psqlq "SELECT count(*) FROM payments.webhook_events WHERE event_id = 'evt_t3_${o}_1'")" 1 "the event id recorded once"
assert_eq "$(queue_depth $PQ.dead)" 0 "the replay is not dead-lettered"
