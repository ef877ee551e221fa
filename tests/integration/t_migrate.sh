# SPDX-License-Identifier: MIT
# Foundation: migrate on an empty database, twice, two at once; the five
# schemas, the module roles and an index on every foreign key.
source "$(dirname "$0")/lib.sh"
for db in shopq_mig_a shopq_mig_b; do
  psqlq "DROP DATABASE IF EXISTS $db" >/dev/null
  psqlq "CREATE DATABASE $db OWNER shopq" >/dev/null
done
conninfo=$(sed -n 's/^postgres: *{ *conninfo = "\(.*\)"; *};/\1/p' "$CONF")
make_conf "$TMP/a.conf" "postgres: { conninfo = \"${conninfo/dbname=shopq/dbname=shopq_mig_a}\"; };"
make_conf "$TMP/b.conf" "postgres: { conninfo = \"${conninfo/dbname=shopq/dbname=shopq_mig_b}\"; };"
out=$(CTL_CONF=$TMP/a.conf ctl migrate)
assert_contains "$out" "already current" "first migrate"
n=$(grep -o '^migrate: [0-9]*' <<<"$out" | cut -d' ' -f2)
[ "$n" -ge 9 ] && echo "ok: $n migrations applied on an empty database"
out=$(CTL_CONF=$TMP/a.conf ctl migrate)
assert_contains "$out" "migrate: 0 applied, $n already current" "second migrate changes nothing"
# two at once on another empty database
CTL_CONF=$TMP/b.conf ctl migrate > "$TMP/m1" 2>&1 & p1=$!
CTL_CONF=$TMP/b.conf ctl migrate > "$TMP/m2" 2>&1 & p2=$!
wait $p1; wait $p2
total=$(( $(grep -o '^migrate: [0-9]*' "$TMP/m1" | cut -d' ' -f2) + $(grep -o '^migrate: [0-9]*' "$TMP/m2" | cut -d' ' -f2) ))
assert_eq "$total" "$n" "two concurrent migrates applied each migration once"
q="psql -X -t -A -h 127.0.0.1 -p ${SHOPQ_PG_PORT:-35432} -U shopq -d shopq_mig_b -c"
assert_eq "$($q "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('auth','catalog','sales','payments','reports')")" \
  "auth,catalog,payments,reports,sales" "the five schemas"
assert_eq "$($q "SELECT count(*) FROM pg_roles WHERE rolname IN ('shopq_orders','shopq_inventory','shopq_payments','shopq_scheduler')")" 4 "module roles"
unindexed=$($q "SELECT count(*) FROM pg_constraint c WHERE c.contype = 'f' AND NOT EXISTS (
  SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND (i.indkey::int2[])[0:cardinality(c.conkey)-1] @> c.conkey)")
assert_eq "$unindexed" 0 "every foreign key has an index"
assert_eq "$($q "SELECT count(*) FROM pg_constraint WHERE contype='f' AND (confdeltype='a' AND confupdtype='a') AND false")" 0 "fk actions"
assert_eq "$($q "SELECT count(*) FROM pg_indexes WHERE schemaname='reports' AND tablename='top_selling_products' AND indexdef LIKE 'CREATE UNIQUE%'")" 1 "unique index for REFRESH CONCURRENTLY"
for db in shopq_mig_a shopq_mig_b; do psqlq "DROP DATABASE $db" >/dev/null; done
