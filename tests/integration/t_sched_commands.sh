# SPDX-License-Identifier: MIT
# Scheduler done-when 6: release_expired_reservations sends order.expire for
# exactly the orders left awaiting_payment past orders.reservation_timeout
# (their reservation expired);
# reconcile_payments sends one payment.reconcile; each run ends in
# job.completed, a failing one in job.failed; job.run of an unknown job is
# dead-lettered; `shopqctl job list` shows it all.
source "$(dirname "$0")/sched_lib.sh"
# The orders stay: where an orders daemon consumes this vhost, the order.expire
# commands sent here cancel the overdue ones as in production.
sched_reset release_expired_reservations reconcile_payments refresh_top_selling
SCHED_EXTRA_CONF=("orders: { $(o=$(conf_get orders conninfo); [ -n "$o" ] && echo "conninfo = \"$o\";") reservation_timeout = 60; };")
sched_conf "$TMP/c.conf" 'lease = 10;' 'refresh_top_selling: { schedule = "@every 3600s"; enabled = false; };'
for k in order.expire payment.reconcile; do tc bind test.sched.cmds shopq.commands "$k"; done
tc bind test.sched.events shopq.events 'job.*'
tc purge test.sched.cmds; tc purge test.sched.events
order() { # order STATUS AGE -> id: an order whose stock was reserved AGE ago (reservation_timeout 60 s)
  psqlq "WITH o AS (INSERT INTO sales.orders (user_id, order_status, checkout_id, created_at, updated_at)
           VALUES (1, '$1', gen_random_uuid(), now() - interval '$2', now() - interval '$2') RETURNING id),
         r AS (INSERT INTO catalog.reservations (order_id, expires_at, created_at)
           SELECT id, now() - interval '$2' + interval '60 seconds', now() - interval '$2' FROM o)
         SELECT id FROM o"
}
late1=$(order awaiting_payment '2 hours'); late2=$(order awaiting_payment '61 seconds')
fresh=$(order awaiting_payment '30 seconds'); paid=$(order confirmed '3 hours'); gone=$(order cancelled '3 hours')
start_sched s1 "$TMP/c.conf"

ctl job run release_expired_reservations --wait --timeout 60
overdue=$(psqlq "SELECT o.id FROM sales.orders o JOIN catalog.reservations r ON r.order_id = o.id
                 WHERE o.order_status = 'awaiting_payment' AND r.status = 'reserved' AND r.expires_at < now() ORDER BY o.id")
sleep 1 # the outbox is published right after the run's commit
tc drain test.sched.cmds > "$TMP/cmds"
sent=$(jq -r 'select(.body | fromjson | has("order_id")) | .body | fromjson | .order_id' "$TMP/cmds" | sort -n)
assert_eq "$sent" "$overdue" "order.expire for each overdue order, once"
check "our two late orders among them" grep -qx "$late1" <<<"$sent"
check "  (the one a minute late too)" grep -qx "$late2" <<<"$sent"
for id in $fresh $paid $gone; do check "none for order $id" bash -c "! grep -qx $id <<<'$sent'"; done
assert_eq "$(run_field release_expired_reservations "outcome || ' ' || rows_touched")" "succeeded $(wc -w <<<"$overdue")" \
  "the run's record counts the commands"

ctl job run reconcile_payments --wait --timeout 60
sleep 1
tc drain test.sched.cmds > "$TMP/cmds"
assert_eq "$(wc -l < "$TMP/cmds")" 1 "one command"
assert_eq "$(jq -r '.body' "$TMP/cmds")" "{}" "payment.reconcile {}"

# a failing run: Redis unreachable for refresh_top_selling
SCHED_EXTRA_CONF+=('redis: { host = "127.0.0.1"; port = 1; };')
sched_conf "$TMP/bad.conf" 'lease = 10;' 'refresh_top_selling: { enabled = false; };'
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true
start_sched s2 "$TMP/bad.conf"
set +e; out=$(ctl job run refresh_top_selling --wait --timeout 60 2>&1); rc=$?; set -e
echo "$out"
check "shopqctl job run --wait fails for a failed run" [ "$rc" -ne 0 ]
assert_contains "$(tail -1 <<<"$out")" "job run: refresh_top_selling failed: redis" "one line saying why"
assert_eq "$(run_field refresh_top_selling outcome)" failed "the failed run is recorded"
sleep 1
tc drain test.sched.events > "$TMP/events"
ev() { jq -c "select(.body | fromjson | .job == \"$1\") | .body | fromjson | $2" "$TMP/events"; }
assert_eq "$(ev release_expired_reservations '[.rows, (.scheduled_for | test("^[0-9-]+T[0-9:.]+Z$"))]')" \
  "[$(wc -w <<<"$overdue"),true]" "job.completed for release_expired_reservations (rows, scheduled_for)"
assert_eq "$(ev reconcile_payments '.rows')" 1 "job.completed for reconcile_payments"
assert_contains "$(ev refresh_top_selling '.error')" "redis" "job.failed for refresh_top_selling with its error"

# job.run of an unknown job: dead-lettered with the reason
tc purge "$SQ.dead"
ctl publish job.run '{"job":"no_such_job"}' >/dev/null
wait_for 10 '[ "$(queue_depth $SQ.dead)" = 1 ]' "the unknown job dead-lettered"
assert_contains "$(tc drain $SQ.dead)" 'no job \"no_such_job\"' "x-shopq-error names the unknown job"
set +e; out=$(ctl job run no_such_job 2>&1); rc=$?; set -e
check "shopqctl job run of an unknown job fails" [ "$rc" -ne 0 ]
assert_eq "$out" "shopqctl: job run: no job \"no_such_job\" (jobs: refresh_top_selling, expire_auth_sessions, release_expired_reservations, reconcile_payments)" "one clear line"

# job list: an aligned table of every job, with its schedule and switch from the config
sched_conf "$TMP/list.conf" 'lease = 10;' 'release_expired_reservations: { schedule = "*/10 * * * *"; };'
CTL_CONF=$TMP/list.conf ctl job list | tee "$TMP/list"
assert_eq "$(head -1 "$TMP/list" | tr -s ' ')" "JOB SCHEDULE ENABLED LAST RUN OUTCOME ROWS DURATION NEXT RUN ERROR" "the header"
assert_eq "$(awk 'NR > 1 {print $1}' "$TMP/list" | tr '\n' ' ')" \
  "refresh_top_selling expire_auth_sessions release_expired_reservations reconcile_payments " "every job"
pos=$(head -1 "$TMP/list" | awk '{print index($0, "ENABLED")}')
assert_eq "$(cut -c"$pos-$((pos + 2))" "$TMP/list" | tr -d ' ' | tr '\n' ' ')" "ENA no no yes no " "the switches"
check "columns aligned" awk -v p="$pos" 'substr($0, p - 1, 1) != " " || substr($0, p, 1) == " " {bad = 1} END {exit bad}' "$TMP/list"
assert_contains "$(grep ^release "$TMP/list")" "*/10 * * * *" "the schedule from the config"
assert_contains "$(grep ^release "$TMP/list")" "succeeded" "the last outcome"
assert_contains "$(grep ^refresh "$TMP/list")" "failed" "a failed last run"
assert_contains "$(grep ^refresh "$TMP/list")" "redis 127.0.0.1:1" "with its error"
