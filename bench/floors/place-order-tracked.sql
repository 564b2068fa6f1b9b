-- The database floor of “place order, tracked stock (8 customers)”: the statements the API sends for one request,
-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;
-- regenerate with `uv run just bench --regenerate-floors`.
\set x random(:tracked_first, :tracked_last)
\set y random(:tracked_first, :tracked_last - 1)
\set y :y + case when :y >= :x then 1 else 0 end
\set product_a least(:x, :y)
\set product_b greatest(:x, :y)
\set user_id random(:customer_first, :customer_last)
\set least_product_a_product_b_mod16 least(:product_a % 16, :product_b % 16)
\set greatest_product_a_product_b_mod16 greatest(:product_a % 16, :product_b % 16)
SELECT id, email, password_hash, role, is_active, created_at FROM users WHERE id = :user_id;
BEGIN;
SELECT products.id, products.name, products.search_name, products.description, products.price_minor, products.currency, products.category_id, products.stock, products.is_active, products.created_at, products.updated_at, categories.is_active AS category_active FROM products JOIN categories ON categories.id = products.category_id WHERE products.id IN (:product_a::BIGINT, :product_b::BIGINT);
UPDATE products SET stock=(products.stock - '1'::INTEGER) WHERE products.id = :product_a::BIGINT AND products.stock IS NOT NULL AND products.stock >= '1'::INTEGER;
UPDATE products SET stock=(products.stock - '1'::INTEGER) WHERE products.id = :product_b::BIGINT AND products.stock IS NOT NULL AND products.stock >= '1'::INTEGER;
INSERT INTO catalog_version (shard, version) VALUES (:least_product_a_product_b_mod16::INTEGER, '1'::BIGINT) ON CONFLICT (shard) DO UPDATE SET version = (catalog_version.version + '1'::BIGINT);
INSERT INTO catalog_version (shard, version) VALUES (:greatest_product_a_product_b_mod16::INTEGER, '1'::BIGINT) ON CONFLICT (shard) DO UPDATE SET version = (catalog_version.version + '1'::BIGINT);
INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at) VALUES (:user_id::BIGINT, 'pending'::VARCHAR, '1092338'::BIGINT, 'RUB'::VARCHAR, now()::TIMESTAMP WITH TIME ZONE, now()::TIMESTAMP WITH TIME ZONE) RETURNING orders.id \gset order_
INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_minor) SELECT p0::BIGINT, p1::BIGINT, p2::VARCHAR, p3::INTEGER, p4::BIGINT FROM (VALUES (:order_id::BIGINT, :product_a::BIGINT, 'Product 00204'::VARCHAR, '1'::INTEGER, '191300'::BIGINT, 0), (:order_id::BIGINT, :product_b::BIGINT, 'Product 00218'::VARCHAR, '1'::INTEGER, '901038'::BIGINT, 1)) AS imp_sen(p0, p1, p2, p3, p4, sen_counter) ORDER BY sen_counter RETURNING order_lines.id, order_lines.id AS id__1;
COMMIT;
