-- The database floor of “place order, tracked stock (8 customers)”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set x random(:tracked_first, :tracked_last)
\set y random(:tracked_first, :tracked_last - 1)
\set y :y + case when :y >= :x then 1 else 0 end
\set product_a least(:x, :y)
\set product_b greatest(:x, :y)
\set user_id random(:customer_first, :customer_last)
SELECT id, email, password_hash, role, is_active, created_at FROM users WHERE id = :user_id;
BEGIN;
SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.category_id, p.stock, p.is_active, p.created_at, p.updated_at, c.is_active FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ANY(ARRAY[:product_a, :product_b]::bigint[]);
WITH wanted AS ( SELECT w.id, w.quantity FROM unnest(ARRAY[:product_a, :product_b]::bigint[], '{1,1}'::int[]) AS w(id, quantity) ), locked AS ( SELECT p.id, p.stock FROM products p WHERE p.id = ANY(ARRAY[:product_a, :product_b]::bigint[]) AND p.stock IS NOT NULL ORDER BY p.id FOR NO KEY UPDATE ), checked AS ( SELECT l.id, l.stock, l.stock < w.quantity AS short FROM locked l JOIN wanted w ON w.id = l.id ), taken AS ( UPDATE products p SET stock = p.stock - w.quantity FROM wanted w WHERE p.id = w.id AND p.id IN (SELECT id FROM locked) AND NOT EXISTS (SELECT 1 FROM checked WHERE short) RETURNING p.id ) SELECT id, stock, short FROM checked;
WITH o AS ( INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at) VALUES (:user_id, 'pending', '1092338', 'RUB', now(), now()) RETURNING id ), l AS ( INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_minor) SELECT o.id, w.product_id, w.product_name, w.quantity, w.unit_price_minor FROM o, unnest(ARRAY[:product_a, :product_b]::bigint[], '{"Product 00204","Product 00218"}'::text[], '{1,1}'::int[], '{191300,901038}'::bigint[]) WITH ORDINALITY AS w(product_id, product_name, quantity, unit_price_minor, n) ORDER BY w.n RETURNING id ) SELECT (SELECT id FROM o) AS id, ARRAY(SELECT id FROM l ORDER BY id) AS line_ids \gset order_
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at) VALUES (:order_id, 'placed', NULL, 'pending', 'customer', NULL, now());
COMMIT;
