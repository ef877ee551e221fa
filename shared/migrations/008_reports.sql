-- SPDX-License-Identifier: MIT
-- Schema reports: materialized view of products by quantity sold, owned by shopq_scheduler, which refreshes it.

CREATE MATERIALIZED VIEW reports.top_selling_products AS
SELECT p.id                       AS product_id,
       p.name                     AS name,
       sum(oi.quantity)::bigint   AS total_quantity_sold
  FROM sales.order_items oi
  JOIN sales.orders o    ON o.id = oi.order_id
  JOIN catalog.products p ON p.id = oi.product_id
 WHERE o.order_status IN ('confirmed', 'shipped')
 GROUP BY p.id, p.name
WITH DATA;

-- REFRESH ... CONCURRENTLY needs a unique index on plain columns.
CREATE UNIQUE INDEX top_selling_products_product_id_idx
    ON reports.top_selling_products (product_id);
-- Top N: ORDER BY total_quantity_sold DESC LIMIT N (product_id breaks ties).
CREATE INDEX top_selling_products_total_idx
    ON reports.top_selling_products (total_quantity_sold DESC, product_id);

-- The owner runs the view query on REFRESH: it must read the sources.
GRANT USAGE ON SCHEMA sales, catalog, reports TO shopq_scheduler;
GRANT SELECT ON sales.orders, sales.order_items, catalog.products TO shopq_scheduler;

ALTER MATERIALIZED VIEW reports.top_selling_products OWNER TO shopq_scheduler;
