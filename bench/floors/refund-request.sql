-- The database floor of “refund request (0.01 of a succeeded payment)”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set payment_id random(:payment_first, :payment_last)
\set order_id :payment_id + :order_offset
SELECT id, email, password_hash, role, is_active, created_at FROM users WHERE id = ANY((SELECT '{21}'::bigint[])::bigint[]);
BEGIN;
SELECT * FROM payments WHERE id = :payment_id;
SELECT * FROM orders WHERE id = :order_id FOR UPDATE;
SELECT * FROM order_lines WHERE order_id = :order_id ORDER BY id;
SELECT * FROM payments WHERE id = :payment_id FOR UPDATE;
SELECT * FROM refunds WHERE payment_id = :payment_id ORDER BY id;
INSERT INTO refunds (payment_id, order_id, amount_minor, currency, status, reason, provider_refund_id, failure_reason, created_at, updated_at) VALUES (:payment_id, :order_id, '1', 'RUB', 'pending', NULL, NULL, NULL, now(), now()) RETURNING id \gset refund_
INSERT INTO jobs (kind, payload, key, status, attempts, run_after, last_error, locked_until, locked_by, created_at, updated_at) VALUES ('refund', format('{"refund_id": %s}', :refund_id::bigint), md5(random()::text), 'due', 0, now(), NULL, NULL, NULL, now(), now()) RETURNING id;
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at) VALUES (:order_id, 'refund_requested', NULL, NULL, 'admin', '0.01 RUB', now());
COMMIT;
