# SPDX-License-Identifier: MIT
# Scheduler done-when 5: expire_auth_sessions on 100k expired sessions: all
# deleted with their blocks, in transactions of at most scheduler.batch_size
# sessions (counted by a statement trigger); live sessions stay; Redis mirrors
# exactly the live blocks, each expiring no later than its session.
source "$(dirname "$0")/sched_lib.sh"
tidy() {
  psqlq "DROP TRIGGER IF EXISTS sched_test_count ON auth.auth_session;
         DROP FUNCTION IF EXISTS scheduler.sched_test_count();
         DROP TABLE IF EXISTS scheduler.sched_test_batches;
         DELETE FROM auth.users WHERE email LIKE 'sched-test-%@example.invalid';" >/dev/null 2>&1 || true
}
trap 'rc=$?; set +e; tidy; (exit $rc); cleanup' EXIT
tidy
sched_reset expire_auth_sessions
sched_conf "$TMP/c.conf" 'lease = 10; batch_size = 1000;'
# every DELETE on auth_session: how many rows, in which transaction
psqlq "CREATE TABLE scheduler.sched_test_batches (xid bigint NOT NULL, n bigint NOT NULL);
  GRANT INSERT ON scheduler.sched_test_batches TO shopq_scheduler;
  CREATE FUNCTION scheduler.sched_test_count() RETURNS trigger LANGUAGE plpgsql AS
    \$\$ BEGIN INSERT INTO scheduler.sched_test_batches SELECT txid_current(), count(*) FROM gone; RETURN NULL; END \$\$;
  CREATE TRIGGER sched_test_count AFTER DELETE ON auth.auth_session REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION scheduler.sched_test_count();" >/dev/null
uid=$(psqlq "INSERT INTO auth.users (email) VALUES ('sched-test-$$@example.invalid') RETURNING id")
psqlq "INSERT INTO auth.auth_session (issued_time, expiry_time, user_id)
         SELECT now() - interval '2 days', now() - interval '1 day' + g * interval '1 ms', $uid
           FROM generate_series(1, 100000) g;
       INSERT INTO auth.auth_session (issued_time, expiry_time, user_id)
         SELECT now(), now() + g * interval '1 hour' + interval '0.5 s', $uid FROM generate_series(1, 30) g;" >/dev/null
live="SELECT id FROM auth.auth_session WHERE user_id = $uid AND expiry_time > now()"
dead="SELECT id FROM auth.auth_session WHERE user_id = $uid AND expiry_time <= now()"
psqlq "INSERT INTO auth.blocked_auth (auth_session_id) SELECT id FROM ($dead ORDER BY id LIMIT 500) d;
       INSERT INTO auth.blocked_auth (auth_session_id) SELECT id FROM ($live ORDER BY id LIMIT 10) l;
       INSERT INTO auth.blocked_auth (auth_session_id) SELECT id FROM ($live ORDER BY id LIMIT 1) l;" >/dev/null
# stale mirror keys: an expired blocked session, a live unblocked one, one that never existed
rcli SET "shopq:auth:blocked:$(psqlq "$dead ORDER BY id LIMIT 1")" 1 >/dev/null
rcli SET "shopq:auth:blocked:$(psqlq "$live ORDER BY id DESC LIMIT 1")" 1 >/dev/null
rcli SET "shopq:auth:blocked:999999999999" 1 >/dev/null
start_sched s1 "$TMP/c.conf"
ctl job run expire_auth_sessions --wait --timeout 120
assert_eq "$(psqlq "SELECT count(*) FROM auth.auth_session WHERE user_id = $uid AND expiry_time <= now()")" 0 \
  "every expired session deleted"
assert_eq "$(psqlq "SELECT count(*) FROM auth.auth_session WHERE user_id = $uid")" 30 "live sessions kept"
assert_eq "$(psqlq "SELECT count(*) FROM auth.blocked_auth b JOIN auth.auth_session s ON s.id = b.auth_session_id
                    WHERE s.user_id = $uid")" 11 "blocks of live sessions kept"
read -r nx maxn total <<<"$(psqlq "SELECT count(DISTINCT xid), max(n), sum(n) FROM scheduler.sched_test_batches" | tr '|' ' ')"
echo "deleted $total sessions in $nx transactions, at most $maxn in one"
check "all 100000 deletions counted by the trigger" [ "$total" -ge 100000 ]
check "no transaction over the batch size" [ "$maxn" -le 1000 ]
check "at least 100 transactions" [ "$nx" -ge 100 ]
rows=$(run_field expire_auth_sessions rows_touched)
check "the run's record counts $rows rows (sessions and blocks)" [ "$rows" -ge 100500 ]
check "the log tells the batches" grep -q "in [0-9]* batches of <= 1000 sessions" "$TMP/s1.log"
# Redis: exactly the live blocked sessions, each expiring by its session's expiry
want=$(psqlq "SELECT DISTINCT b.auth_session_id FROM auth.blocked_auth b JOIN auth.auth_session s ON s.id = b.auth_session_id
              WHERE s.expiry_time > now() ORDER BY 1")
got=$(rcli --scan --pattern 'shopq:auth:blocked:*' | sed 's/.*://' | sort -n)
assert_eq "$got" "$want" "Redis holds exactly the live blocks"
check "$(wc -l <<<"$got") keys" [ "$(wc -l <<<"$got")" -ge 10 ]
bad=0
for id in $got; do
  at=$(rcli PEXPIRETIME "shopq:auth:blocked:$id")
  exp=$(psqlq "SELECT floor(extract(epoch FROM expiry_time) * 1000)::bigint FROM auth.auth_session WHERE id = $id")
  [ "$at" -gt 0 ] && [ "$at" -le "$exp" ] && [ "$at" -gt $((exp - 1000)) ] || { echo "key $id expires at $at, session at $exp"; bad=1; }
done
assert_eq "$bad" 0 "each key expires with its session, never later"
