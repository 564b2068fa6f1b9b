-- The database floor of “webhook settlement”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set k :k + 1
\set payment_id :payment_first + (:client_id + (:k - 1) * :clients) % :payment_count
\set order_id :payment_id + :order_offset
\set provider_payment_id :payment_id
BEGIN;
SELECT payments.id, payments.order_id, payments.user_id, payments.amount_minor, payments.currency, payments.provider, payments.provider_payment_id, payments.checkout_url, payments.status, payments.fail_reason, payments.refund_required, payments.created_at, payments.updated_at FROM payments WHERE payments.provider = 'mock'::VARCHAR AND payments.provider_payment_id = :provider_payment_id::VARCHAR;
SELECT orders.id, orders.user_id, orders.status, orders.total_minor, orders.currency, orders.created_at, orders.updated_at FROM orders WHERE orders.id = :order_id::BIGINT FOR UPDATE;
SELECT order_lines.id, order_lines.order_id, order_lines.product_id, order_lines.product_name, order_lines.quantity, order_lines.unit_price_minor FROM order_lines WHERE order_lines.order_id IN (:order_id::BIGINT) ORDER BY order_lines.order_id, order_lines.id;
SELECT payments.id, payments.order_id, payments.user_id, payments.amount_minor, payments.currency, payments.provider, payments.provider_payment_id, payments.checkout_url, payments.status, payments.fail_reason, payments.refund_required, payments.created_at, payments.updated_at FROM payments WHERE payments.id = :payment_id::BIGINT FOR UPDATE;
INSERT INTO payment_events (provider, event_id, payment_id, status, amount_minor, currency, fail_reason, outcome, received_at) VALUES ('mock'::VARCHAR, md5(random()::text)::VARCHAR, :payment_id::BIGINT, 'succeeded'::VARCHAR, '1000'::BIGINT, 'RUB'::VARCHAR, NULL::VARCHAR, 'applied'::VARCHAR, now()::TIMESTAMP WITH TIME ZONE) ON CONFLICT (provider, event_id) DO NOTHING RETURNING payment_events.id;
UPDATE payments SET provider_payment_id=:provider_payment_id::VARCHAR, checkout_url=NULL::VARCHAR, status='succeeded'::VARCHAR, fail_reason=NULL::VARCHAR, refund_required='f'::BOOLEAN, updated_at=now()::TIMESTAMP WITH TIME ZONE WHERE payments.id = :payment_id::BIGINT;
UPDATE orders SET status='paid'::VARCHAR, updated_at=now()::TIMESTAMP WITH TIME ZONE WHERE orders.id = :order_id::BIGINT AND orders.status = 'pending'::VARCHAR;
COMMIT;
