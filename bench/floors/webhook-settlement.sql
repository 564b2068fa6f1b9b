-- The database floor of “webhook settlement”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set k :k + 1
\set payment_id :payment_first + (:client_id + (:k - 1) * :clients) % :payment_count
\set order_id :payment_id + :order_offset
\set provider_payment_id :payment_id
BEGIN;
SELECT * FROM payments WHERE provider = 'mock' AND provider_payment_id = :provider_payment_id;
SELECT * FROM orders WHERE id = :order_id FOR UPDATE;
SELECT * FROM order_lines WHERE order_id = :order_id ORDER BY id;
SELECT * FROM payments WHERE id = :payment_id FOR UPDATE;
INSERT INTO payment_events (provider, event_id, payment_id, status, amount_minor, currency, fail_reason, outcome, received_at) VALUES ('mock', md5(random()::text), :payment_id, 'succeeded', '1000', 'RUB', NULL, 'applied', now()) ON CONFLICT (provider, event_id) DO NOTHING RETURNING id;
UPDATE payments SET provider_payment_id = :provider_payment_id, checkout_url = NULL, status = 'succeeded', fail_reason = NULL, refund_required = 'f', capture_reference = NULL, updated_at = now(), refunded_minor = '0' WHERE id = :payment_id;
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at) VALUES (:order_id, 'payment_succeeded', NULL, NULL, 'provider', NULL, now());
UPDATE orders SET status = 'paid', updated_at = now() WHERE id = :order_id AND status = 'pending';
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at) VALUES (:order_id, 'paid', 'pending', 'paid', 'provider', NULL, now());
COMMIT;
