# SPDX-License-Identifier: MIT
# Foundation: each module role writes only its own schema.
source "$(dirname "$0")/lib.sh"
as() { # as ROLE SQL -> "ok" or the error
  psql -X -q -t -A -h 127.0.0.1 -p "${SHOPQ_PG_PORT:-35432}" -U "$1" -d shopq -v ON_ERROR_STOP=1 \
    -c "BEGIN; $2; ROLLBACK;" >/dev/null 2>"$TMP/err" && echo ok || head -1 "$TMP/err"
}
assert_eq "$(as shopq_orders "INSERT INTO sales.cart (user_id) VALUES (1)")" ok "orders writes sales"
assert_contains "$(as shopq_orders "UPDATE catalog.inventory SET quantity = 0")" "permission denied" "orders cannot write catalog"
assert_eq "$(as shopq_orders "SELECT price FROM catalog.products LIMIT 1")" ok "orders reads product prices"
assert_eq "$(as shopq_inventory "UPDATE catalog.inventory SET quantity = quantity")" ok "inventory writes catalog"
assert_contains "$(as shopq_inventory "UPDATE sales.orders SET order_status = 'cancelled'")" "permission denied" "inventory cannot write sales"
assert_contains "$(as shopq_payments "DELETE FROM catalog.products")" "permission denied" "payments cannot write catalog"
assert_eq "$(as shopq_payments "INSERT INTO payments.payment_logs (payment_id, log_message) SELECT id, 'x' FROM payments.payment LIMIT 1")" ok "payments writes payments"
assert_contains "$(as shopq_scheduler "UPDATE sales.orders SET order_status = 'cancelled'")" "permission denied" "scheduler cannot write sales"
assert_eq "$(as shopq_scheduler "REFRESH MATERIALIZED VIEW CONCURRENTLY reports.top_selling_products")" ok "scheduler refreshes the report"
