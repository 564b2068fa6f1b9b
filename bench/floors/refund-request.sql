-- The database floor of “refund request (0.01 of a succeeded payment)”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set payment_id random(:payment_first, :payment_last)
\set order_id :payment_id + :order_offset
SELECT id, email, password_hash, role, is_active, created_at FROM users WHERE id = '21';
BEGIN;
SELECT payments.id, payments.order_id, payments.user_id, payments.amount_minor, payments.currency, payments.provider, payments.provider_payment_id, payments.checkout_url, payments.status, payments.fail_reason, payments.refund_required, payments.created_at, payments.updated_at, payments.refunded_minor, payments.capture_reference FROM payments WHERE payments.id = :payment_id::BIGINT;
SELECT * FROM orders WHERE id = :order_id FOR UPDATE;
SELECT * FROM order_lines WHERE order_id = :order_id ORDER BY id;
SELECT * FROM payments WHERE id = :payment_id FOR UPDATE;
SELECT refunds.id, refunds.payment_id, refunds.order_id, refunds.amount_minor, refunds.currency, refunds.status, refunds.reason, refunds.provider_refund_id, refunds.failure_reason, refunds.created_at, refunds.updated_at FROM refunds WHERE refunds.payment_id = :payment_id::BIGINT ORDER BY refunds.id;
INSERT INTO refunds (payment_id, order_id, amount_minor, currency, status, reason, provider_refund_id, failure_reason, created_at, updated_at) VALUES (:payment_id::BIGINT, :order_id::BIGINT, '1'::BIGINT, 'RUB'::VARCHAR, 'pending'::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, now()::TIMESTAMP WITH TIME ZONE, now()::TIMESTAMP WITH TIME ZONE) RETURNING refunds.id \gset refund_
INSERT INTO jobs (kind, payload, key, status, attempts, run_after, last_error, locked_until, locked_by, created_at, updated_at) VALUES ('refund'::VARCHAR, '{"refund_id": 10000009}'::VARCHAR, md5(random()::text)::VARCHAR, 'due'::VARCHAR, '0'::INTEGER, now()::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, now()::TIMESTAMP WITH TIME ZONE, now()::TIMESTAMP WITH TIME ZONE) RETURNING jobs.id;
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at) VALUES (:order_id, 'refund_requested', NULL, NULL, 'admin', '0.01 RUB', now());
COMMIT;
