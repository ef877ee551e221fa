# SPDX-License-Identifier: MIT
# A prepared statement is prepared again as its uses double, so a plan made
# while a table was young does not outlive the table's growth. sq-pgplan
# prepares a three-way OR lookup on ten analyzed rows (PostgreSQL's generic
# plan: a sequential scan), grows the table to 10,000 rows without an ANALYZE
# and runs the lookup 300 times more: the plan is an index plan by then.
source "$(dirname "$0")/lib.sh"
out=$("$TBIN/sq-pgplan" "$PG_CONNINFO")
assert_contains "$(sed -n 's/^small: //p' <<<"$out")" "Seq Scan" "the young table's plan is a sequential scan (the test's premise)"
assert_contains "$(sed -n 's/^grown: //p' <<<"$out")" "Bitmap Heap Scan" "the grown table's lookup uses its indexes"
