# SPDX-License-Identifier: MIT
# The seed's three reports at --scale data (100k products, 1M order items) are
# index-driven: no sequential scan of the big tables; top-selling reads the view.
source "$(dirname "$0")/lib.sh"
conf=$(tests/integration/isolate explain 11 32132 | tail -1)
X() { "$BIN/shopqctl" --config "$conf" "$@"; }
X sample --scale 1 >/dev/null
n=$(psql "$(sed -n 's/^postgres: *{ *conninfo = "\(.*\)"; *};/\1/p' "$conf")" -X -t -A -c "SELECT count(*) FROM sales.order_items")
[ "$n" -ge 1000000 ] && echo "ok: $n order items loaded"
for rep in top-selling recent-orders products; do
  plan=$(X report "$rep" --explain)
  echo "--- $rep"; echo "$plan"
  if grep -E "Seq Scan on (orders|order_items|products|top_selling_products)" <<<"$plan"; then
    echo "FAILED: $rep scans a big table sequentially"; exit 1
  fi
  echo "ok: $rep is index-driven"
done
assert_contains "$(X report top-selling --explain)" "top_selling_products" "top-selling reads the materialized view"
assert_eq "$(X report recent-orders --limit 100 | grep -cE '^ *[0-9]+ ')" 100 "recent-orders prints 100 orders"
