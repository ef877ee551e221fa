-- SPDX-License-Identifier: MIT
-- An order's status changes become HOT updates: no index on sales.orders holds
-- a column its saga updates (order_status, payment_status, updated_at by its
-- trigger), so each update rewrites the row in place instead of adding an entry
-- to every index. Overdue orders are found through their reservations instead
-- (catalog.reservations_status_expires_at_idx): release_expired_reservations.
DROP INDEX IF EXISTS sales.orders_status_updated_at_idx;
GRANT SELECT ON catalog.reservations TO shopq_scheduler;
