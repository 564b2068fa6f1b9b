from __future__ import annotations

from application.ids import is_storable_id
from application.ports import UnitOfWork
from domain.catalog import Product
from domain.errors import NotFound


async def find_product(uow: UnitOfWork, product_id: int) -> Product:
    product = await uow.products.get(product_id) if is_storable_id(product_id) else None
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product
