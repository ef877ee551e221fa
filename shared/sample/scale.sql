-- SPDX-License-Identifier: MIT
-- Benchmark data, set-based, sized by the setting shopq.scale (SET shopq.scale = N first); at N = 1: 100k products, 1000 users, 200k orders, 1M order items.
--
-- * All rows get fixed ids base + 1 .. base + n with base = 1,000,000 (the
--   sample data uses small ids), so this loads next to sample.sql.
-- * Re-runnable: each big table continues after the highest scale id already
--   present, so running it again at the same scale inserts nothing, and at a
--   larger scale only appends. (Load a fresh database to shrink a scale.)
-- * Deterministic: the same scale gives the same rows (timestamps are
--   relative to now()).
-- * Orders: the oldest 80% 'shipped', the newest 20% 'confirmed', all paid,
--   one every 20 seconds up to a day ago, 5 items each, with a skewed product
--   popularity (so the top-selling report has a clear top), and a succeeded
--   payment each.
-- * Run as a superuser, foreign-key triggers are skipped while loading
--   (session_replication_role = replica: the rows are consistent by
--   construction; it halves the load time) and every foreign key is then
--   checked set-based in one pass. Run as another role, the ordinary
--   per-row checks apply.

DROP TABLE IF EXISTS pg_temp.shopq_scale_params;
CREATE TEMP TABLE shopq_scale_params AS
SELECT s, base, nprod, nusers, norders,
       -- how many scale rows each big table already holds (rows come in whole statements)
       (SELECT coalesce(max(id), base) - base FROM catalog.products  WHERE id > base)       AS prod_done,
       (SELECT coalesce(max(id), base) - base FROM catalog.inventory WHERE id > base) / 2   AS inv_done,
       (SELECT coalesce(max(id), base) - base FROM auth.users        WHERE id > base)       AS users_done,
       (SELECT coalesce(max(id), base) - base FROM auth.addresses    WHERE id > base)       AS addr_done,
       (SELECT coalesce(max(id), base) - base FROM payments.tokens   WHERE id > base)       AS tokens_done,
       (SELECT coalesce(max(id), base) - base FROM sales.cart        WHERE id > base)       AS carts_done,
       (SELECT coalesce(max(id), base) - base FROM sales.orders      WHERE id > base)       AS orders_done,
       (SELECT coalesce(max(id), base) - base FROM sales.order_items WHERE id > base) / 5   AS items_done,
       (SELECT coalesce(max(id), base) - base FROM payments.payment  WHERE id > base)       AS pay_done
  FROM (SELECT s,
               1000000::bigint    AS base,
               100000::bigint * s AS nprod,
               1000::bigint * s   AS nusers,
               200000::bigint * s AS norders
          FROM (SELECT current_setting('shopq.scale')::int AS s) AS x) AS y;

DO $$
BEGIN
    IF (SELECT s FROM shopq_scale_params) < 1 THEN
        RAISE EXCEPTION 'shopq.scale must be >= 1';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        SET session_replication_role = replica;
    END IF;
END
$$;

-- Price of scale product i (1-based): 1.00 .. 500.99.
CREATE FUNCTION pg_temp.shopq_scale_price(i bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT (1 + (i * 7919) % 50000 / 100.0)::numeric(12,2) $$;

-- Product (1-based) of item k of order o: a hash, squared so low numbers sell more.
CREATE FUNCTION pg_temp.shopq_scale_item_product(o bigint, k int, nprod bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT 1 + (((o * 5 + k) * 2654435761 % 4294967291) % nprod)
             * (((o * 5 + k) * 2654435761 % 4294967291) % nprod) / nprod
$$;

-- User (1-based) of order o.
CREATE FUNCTION pg_temp.shopq_scale_order_user(o bigint, nusers bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT 1 + (o * 2246822519) % 4294967291 % nusers $$;

-- Reference data -------------------------------------------------------------
INSERT INTO catalog.brands (id, name)
SELECT base + n, 'Scale brand ' || n FROM shopq_scale_params, generate_series(1, 50) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.categories (id, name)
SELECT base + n, 'Scale category ' || n FROM shopq_scale_params, generate_series(1, 20) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.suppliers (id, name)
SELECT base + n, 'Scale supplier ' || n FROM shopq_scale_params, generate_series(1, 10) AS n
ON CONFLICT DO NOTHING;

INSERT INTO catalog.warehouses (id, name, location_id)
SELECT base + n, 'Scale warehouse ' || n, n FROM shopq_scale_params, generate_series(1, 2) AS n
ON CONFLICT DO NOTHING;

-- Products and stock (10000 units in each of the 2 scale warehouses) ---------------
INSERT INTO catalog.products (id, name, description, price, identification,
                              brand_id, category_id, supplier_id)
SELECT base + i,
       'Scale product ' || i,
       'Benchmark product number ' || i,
       pg_temp.shopq_scale_price(i),
       'SCALE-' || lpad(i::text, 9, '0'),
       base + 1 + i % 50,
       base + 1 + i % 20,
       base + 1 + i % 10
  FROM shopq_scale_params, generate_series(prod_done + 1, nprod) AS i;

INSERT INTO catalog.inventory (id, product_id, warehouse_id, quantity)
SELECT base + (i - 1) * 2 + w, base + i, base + w, 10000
  FROM shopq_scale_params, generate_series(inv_done + 1, nprod) AS i, generate_series(1, 2) AS w;

-- Users: the address, card token and cart of user j all have id base + j -----------
INSERT INTO auth.users (id, email, phone, hashed_password, status)
SELECT base + j, 'scale.user' || j || '@example.com', '+1666' || lpad(j::text, 7, '0'),
       'sample-placeholder-not-a-hash', 'active'
  FROM shopq_scale_params, generate_series(users_done + 1, nusers) AS j;

INSERT INTO auth.addresses (id, user_id, street, city, state, country, postal_code)
SELECT base + j, base + j, j || ' Bench Avenue', 'Shelbyville', 'IL', 'US', '62565'
  FROM shopq_scale_params, generate_series(addr_done + 1, nusers) AS j;

INSERT INTO payments.tokens (id, value, expiry, payment_method, user_id)
SELECT base + j, 'pm_card_visa', timestamptz '2099-12-31 23:59:59+00', 'card', base + j
  FROM shopq_scale_params, generate_series(tokens_done + 1, nusers) AS j;

INSERT INTO sales.cart (id, user_id)
SELECT base + j, base + j FROM shopq_scale_params, generate_series(carts_done + 1, nusers) AS j;

-- Orders, items, payments -----------------------------------------------------------
INSERT INTO sales.orders (id, user_id, address_id, order_status, payment_status, checkout_id,
                          total, currency, carrier, tracking_number, payment_token_id,
                          created_at, updated_at)
SELECT base + o,
       base + d.u,
       base + d.u,
       CASE WHEN d.shipped THEN 'shipped' ELSE 'confirmed' END,
       'paid',
       md5('shopq-scale-order-' || o)::uuid,
       t.total,
       'USD',
       CASE WHEN d.shipped THEN 'UPS' END,
       CASE WHEN d.shipped THEN '1Z' || lpad(o::text, 12, '0') END,
       base + d.u,
       d.created,
       d.created + CASE WHEN d.shipped THEN interval '1 day' ELSE interval '2 minutes' END
  FROM shopq_scale_params
 CROSS JOIN generate_series(orders_done + 1, norders) AS o
 CROSS JOIN LATERAL (SELECT pg_temp.shopq_scale_order_user(o, nusers) AS u,
                            o <= norders * 4 / 5 AS shipped,
                            now() - interval '1 day' - (norders - o) * interval '20 seconds' AS created) AS d
 CROSS JOIN LATERAL (SELECT sum((1 + (o + k) % 3)
                                * pg_temp.shopq_scale_price(pg_temp.shopq_scale_item_product(o, k, nprod))) AS total
                       FROM generate_series(1, 5) AS k) AS t;

-- Item k of order o: id base + (o-1)*5 + k; the same quantities and prices as the totals above.
INSERT INTO sales.order_items (id, order_id, product_id, quantity, unit_price)
SELECT base + (o - 1) * 5 + k,
       base + o,
       base + x.p,
       1 + (o + k) % 3,
       pg_temp.shopq_scale_price(x.p)
  FROM shopq_scale_params
 CROSS JOIN generate_series(items_done + 1, norders) AS o
 CROSS JOIN generate_series(1, 5) AS k
 CROSS JOIN LATERAL (SELECT pg_temp.shopq_scale_item_product(o, k, nprod) AS p) AS x;

INSERT INTO payments.payment (id, order_id, user_id, amount, currency, status, reference_id,
                              idempotency_key, payment_method, authorization_code,
                              response_code, response_message, token_id, created_at, updated_at)
SELECT o.id, o.id, o.user_id, o.total, o.currency, 'succeeded',
       'pi_scale_' || (o.id - p.base), 'scale-order-' || (o.id - p.base), 'card',
       'A' || lpad(((o.id - p.base) % 1000000)::text, 6, '0'), '00', 'approved',
       o.payment_token_id, o.created_at, o.created_at + interval '1 minute'
  FROM shopq_scale_params AS p
  JOIN sales.orders AS o ON o.id BETWEEN p.base + p.pay_done + 1 AND p.base + p.norders;

-- If the foreign-key triggers were skipped, check every foreign key of the
-- shopq schemas now, set-based (an anti-join per key).
DO $$
DECLARE
    fk record;
    bad boolean;
BEGIN
    IF current_setting('session_replication_role') <> 'replica' THEN
        RETURN;
    END IF;
    RESET session_replication_role;
    FOR fk IN
        SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
               ca.attname AS ccol, pa.attname AS pcol
          FROM pg_constraint c
          JOIN pg_namespace n ON n.oid = c.connamespace
          JOIN pg_attribute ca ON ca.attrelid = c.conrelid  AND ca.attnum = c.conkey[1]
          JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
           AND n.nspname IN ('auth', 'catalog', 'sales', 'payments', 'scheduler', 'notify')
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s c WHERE c.%I IS NOT NULL AND NOT EXISTS
                                       (SELECT FROM %s p WHERE p.%I = c.%I))',
                       fk.child, fk.ccol, fk.parent, fk.pcol, fk.ccol)
           INTO bad;
        IF bad THEN
            RAISE EXCEPTION 'scale.sql: foreign key % of % violated', fk.conname, fk.child;
        END IF;
    END LOOP;
END
$$;

-- Sequences past the largest ids (as in sample.sql; only forward) ---------------------
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

DROP FUNCTION pg_temp.shopq_scale_price(bigint);
DROP FUNCTION pg_temp.shopq_scale_item_product(bigint, int, bigint);
DROP FUNCTION pg_temp.shopq_scale_order_user(bigint, bigint);
DROP TABLE shopq_scale_params;

REFRESH MATERIALIZED VIEW reports.top_selling_products;

ANALYZE;
