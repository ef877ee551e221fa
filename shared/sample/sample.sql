-- SPDX-License-Identifier: MIT
-- Small sample data with fixed ids for the demo and the tests; idempotent (ON CONFLICT DO NOTHING), resets sequences.

INSERT INTO catalog.brands (id, name)
SELECT n, 'Brand ' || n FROM generate_series(1, 3) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.categories (id, name)
SELECT n, 'Category ' || n FROM generate_series(1, 3) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.suppliers (id, name)
SELECT n, 'Supplier ' || n FROM generate_series(1, 2) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.warehouses (id, name, location_id)
SELECT n, 'Warehouse ' || n, n FROM generate_series(1, 2) AS n
ON CONFLICT DO NOTHING;

-- Product N costs N + 0.99 (product 1 = 1.99, product 2 = 2.99, ...).
INSERT INTO catalog.products (id, name, description, price, identification,
                              brand_id, category_id, supplier_id)
SELECT n,
       'Product ' || n,
       'Sample product number ' || n,
       n + 0.99,
       'SKU-' || lpad(n::text, 4, '0'),
       (n - 1) % 3 + 1,
       (n / 3) % 3 + 1,
       (n - 1) % 2 + 1
  FROM generate_series(1, 20) AS n
ON CONFLICT DO NOTHING;

-- 100 units of every product in each warehouse; inventory id = (product-1)*2 + warehouse.
INSERT INTO catalog.inventory (id, product_id, warehouse_id, quantity)
SELECT (p - 1) * 2 + w, p, w, 100
  FROM generate_series(1, 20) AS p, generate_series(1, 2) AS w
ON CONFLICT DO NOTHING;

-- hashed_password is a placeholder, not a usable password hash.
INSERT INTO auth.users (id, email, phone, hashed_password, status)
SELECT n,
       'user' || n || '@example.com',
       '+1555' || lpad(n::text, 7, '0'),
       'sample-placeholder-not-a-hash',
       'active'
  FROM generate_series(1, 20) AS n
ON CONFLICT DO NOTHING;

-- Address N belongs to user N.
INSERT INTO auth.addresses (id, user_id, street, city, state, country, postal_code)
SELECT n, n, n || ' Main Street', 'Springfield', 'IL', 'US', lpad((62700 + n)::text, 5, '0')
  FROM generate_series(1, 20) AS n
ON CONFLICT DO NOTHING;

-- Five card tokens per user u: id (u-1)*5 + k, k = 1..5, in this order.
INSERT INTO payments.tokens (id, value, expiry, payment_method, user_id)
SELECT (u - 1) * 5 + t.k, t.value, timestamptz '2099-12-31 23:59:59+00', 'card', u
  FROM generate_series(1, 20) AS u
 CROSS JOIN unnest(ARRAY['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_processing',
                         'pm_card_flaky', 'pm_card_rateLimited'])
            WITH ORDINALITY AS t(value, k)
ON CONFLICT DO NOTHING;

-- Cart N of user N, empty.
INSERT INTO sales.cart (id, user_id)
SELECT n, n FROM generate_series(1, 20) AS n
ON CONFLICT DO NOTHING;

-- Move every id sequence (identity or serial) of the shopq schemas past the
-- largest id in its table, so later inserts without an id do not collide.
-- Sequences only move forward (ids of deleted rows are not handed out again).
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT n.nspname AS sch, t.relname AS tbl, a.attname AS col, s.seq
          FROM pg_class t
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
         CROSS JOIN LATERAL (SELECT pg_get_serial_sequence(format('%I.%I', n.nspname, t.relname),
                                                           a.attname) AS seq) s
         WHERE t.relkind IN ('r', 'p')
           AND n.nspname IN ('auth', 'catalog', 'sales', 'payments', 'scheduler', 'notify')
           AND s.seq IS NOT NULL
    LOOP
        EXECUTE format(
            'SELECT setval(%1$L, greatest(coalesce((SELECT max(%2$I) FROM %3$I.%4$I), 0),
                                          (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
                                             FROM %5$s)) + 1, false)',
            c.seq, c.col, c.sch, c.tbl, c.seq);
    END LOOP;
END
$$;
