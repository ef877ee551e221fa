# SPDX-License-Identifier: MIT
# Scheduler done-when 4: refresh_top_selling after confirmed and shipped orders
# (a cancelled one does not count): the view and shopq:reports:top_selling hold
# the right top 10; a reader of the view during a refresh is not blocked.
source "$(dirname "$0")/sched_lib.sh"
tag="st$$x$RANDOM"
tidy() {
  psqlq "DELETE FROM sales.orders WHERE id IN (SELECT DISTINCT oi.order_id FROM sales.order_items oi
           JOIN catalog.products p ON p.id = oi.product_id WHERE p.identification LIKE '$tag-%');
         DELETE FROM catalog.products WHERE identification LIKE '$tag-%';" >/dev/null 2>&1 || true
}
trap 'rc=$?; set +e; tidy; (exit $rc); cleanup' EXIT
sched_reset refresh_top_selling
sched_conf "$TMP/c.conf" 'lease = 10;'
start_sched s1 "$TMP/c.conf"
src="SELECT p.id AS product_id, p.name, sum(oi.quantity)::bigint AS total_quantity_sold
       FROM sales.order_items oi JOIN sales.orders o ON o.id = oi.order_id JOIN catalog.products p ON p.id = oi.product_id
      WHERE o.order_status IN ('confirmed', 'shipped') GROUP BY p.id, p.name"
# twelve products, each above everything sold so far, product k selling (base + 13 - k) * 1000
base=$(psqlq "SELECT coalesce(max(total_quantity_sold), 0) / 1000 + 1 FROM ($src) s")
psqlq "INSERT INTO catalog.products (name, price, identification)
       SELECT 'sched top ' || k, 1, '$tag-' || k FROM generate_series(1, 12) k" >/dev/null
order() { # order STATUS -> id
  psqlq "INSERT INTO sales.orders (user_id, order_status, payment_status, checkout_id)
         VALUES (1, '$1', 'paid', gen_random_uuid()) RETURNING id"
}
o1=$(order confirmed); o2=$(order shipped); o3=$(order cancelled)
psqlq "INSERT INTO sales.order_items (order_id, product_id, quantity, unit_price)
       SELECT CASE WHEN g % 2 = 0 THEN $o1 ELSE $o2 END, p.id, 1000, 1
         FROM catalog.products p, generate_series(1, $base + 13 - split_part(p.identification, '-', 2)::int) g
        WHERE p.identification LIKE '$tag-%';
       INSERT INTO sales.order_items (order_id, product_id, quantity, unit_price)
       SELECT $o3, p.id, 1000, 1 FROM catalog.products p, generate_series(1, $base + 50) g
        WHERE p.identification = '$tag-12';" >/dev/null
assert_eq "$(psqlq "SELECT count(*) FROM reports.top_selling_products t JOIN catalog.products p ON p.id = t.product_id
                    WHERE p.identification LIKE '$tag-%'")" 0 "before the refresh the view has none of them"
ctl job run refresh_top_selling --wait --timeout 60
want=$(psqlq "SELECT json_agg(t ORDER BY total_quantity_sold DESC, product_id) FROM ($src ORDER BY 3 DESC, 1 LIMIT 10) t" | jq -cS .)
view=$(psqlq "SELECT json_agg(t) FROM (SELECT product_id, name, total_quantity_sold FROM reports.top_selling_products
                                        ORDER BY total_quantity_sold DESC, product_id LIMIT 10) t" | jq -cS .)
assert_eq "$view" "$want" "the view's top 10 equals the sales"
assert_eq "$(rcli GET shopq:reports:top_selling | jq -cS .)" "$want" "shopq:reports:top_selling holds the top 10"
assert_eq "$(psqlq "SELECT string_agg(split_part(p.identification, '-', 2), ',' ORDER BY t.total_quantity_sold DESC)
                    FROM (SELECT * FROM reports.top_selling_products ORDER BY total_quantity_sold DESC, product_id LIMIT 10) t
                    JOIN catalog.products p ON p.id = t.product_id")" "1,2,3,4,5,6,7,8,9,10" \
  "ranked by quantity sold; the cancelled order does not count"
assert_eq "$(run_field refresh_top_selling "outcome || ' ' || (rows_touched > 0)")" "succeeded true" \
  "the run is recorded with its rows"
ctl report top-selling | tee "$TMP/report"
assert_eq "$(head -1 "$TMP/report" | tr -s ' ')" "PRODUCT ID NAME SOLD" "shopqctl report top-selling: header"
assert_eq "$(awk 'NR > 1 {print $1}' "$TMP/report" | tr '\n' ' ')" "$(jq -r '.[].product_id' <<<"$want" | tr '\n' ' ')" \
  "shopqctl report top-selling: the top 10 in order"
assert_eq "$(ctl report recent-orders --limit 3 | head -1 | tr -s ' ')" \
  "ORDER ID CREATED UTC USER ID STATUS PAYMENT TOTAL CURRENCY" "shopqctl report recent-orders: header"
assert_eq "$(ctl report recent-orders --limit 3 | awk 'NR > 1 {print $1}' | tr '\n' ' ')" \
  "$(psqlq "SELECT id FROM sales.orders ORDER BY created_at DESC LIMIT 3" | tr '\n' ' ')" "the newest orders first"
ctl report products --limit 3 | tee "$TMP/report"
assert_eq "$(head -1 "$TMP/report" | tr -s ' ')" "PRODUCT ID NAME PRICE BRAND CATEGORY SUPPLIER" \
  "shopqctl report products: with brand, category, supplier"
assert_eq "$(wc -l < "$TMP/report")" 4 "--limit 3"

# a refresh held up inside (a lock on a source table): readers of the view go on
psql "$PG_CONNINFO" -X -q -c "BEGIN" -c "LOCK TABLE sales.order_items IN ACCESS EXCLUSIVE MODE" \
  -c "SELECT pg_sleep(6)" -c "COMMIT" >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 "[ \"\$(psqlq \"SELECT count(*) FROM pg_locks WHERE granted AND relation = 'sales.order_items'::regclass\")\" = 1 ]" \
  "the lock on sales.order_items"
ctl job run refresh_top_selling --wait --timeout 60 > "$TMP/ctl.out" 2>&1 &
ctlpid=$!
wait_for 20 "[ \"\$(psqlq \"SELECT count(DISTINCT pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
  WHERE l.granted AND l.relation = 'reports.top_selling_products'::regclass AND a.query LIKE 'REFRESH%'\")\" = 1 ]" \
  "the refresh to hold the view"
t=$(date +%s%N)
n=$(PGOPTIONS='-c statement_timeout=2000' psql "$PG_CONNINFO" -X -q -t -A -v ON_ERROR_STOP=1 \
      -c "SELECT count(*) FROM reports.top_selling_products")
echo "the reader got $n rows in $(( ($(date +%s%N) - t) / 1000000 )) ms during the refresh"
check "a reader is not blocked by the refresh" [ "$n" -ge 10 ]
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE job = 'refresh_top_selling' AND outcome = 'running'")" 1 \
  "the refresh was still in progress then"
set +e; wait "$ctlpid"; rc=$?; set -e
cat "$TMP/ctl.out"
assert_eq "$rc" 0 "the held-up refresh succeeded afterwards"
tidy
ctl job run refresh_top_selling --wait --timeout 60 >/dev/null
