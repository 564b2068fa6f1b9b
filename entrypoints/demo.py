"""A small demo catalog, loaded through the same use cases as the API."""

from __future__ import annotations

from decimal import Decimal

from application.ports import Clock, NewCategory, NewProduct, UnitOfWork
from entrypoints.ioc import create_cli_container
from entrypoints.settings import Settings

DEMO: dict[tuple[str, str], list[tuple[str, str, Decimal, int | None]]] = {
    ("Books", "books"): [
        ("The Pragmatic Programmer", "Journeyman to master.", Decimal("2490.00"), 12),
        (
            "Architecture Patterns with Python",
            "TDD, DDD and event-driven microservices.",
            Decimal("3190.50"),
            5,
        ),
    ],
    ("Coffee", "coffee"): [
        ("Ethiopia Yirgacheffe 250 g", "Washed, floral, citrus.", Decimal("890.00"), 40),
        ("Colombia Supremo 1 kg", "Chocolate and nuts.", Decimal("2390.00"), 8),
    ],
    ("Gift cards", "gift-cards"): [
        ("Gift card 1000", "Delivered by email.", Decimal("1000.00"), None),
    ],
}


async def load_demo_catalog(settings: Settings) -> int:
    """Adds what is missing, so running it twice changes nothing."""
    container = create_cli_container(settings)
    created = 0
    try:
        async with container() as scope:
            uow = await scope.get(UnitOfWork)
            clock = await scope.get(Clock)
            async with uow:
                for (name, slug), items in DEMO.items():
                    category = await uow.categories.get_by_slug(slug) or await uow.categories.add(
                        NewCategory(name=name, slug=slug), clock.now()
                    )
                    existing = {p.name for p in await _products_of(uow, category.id)}
                    for product_name, description, price, stock in items:
                        if product_name in existing:
                            continue
                        new = NewProduct(
                            name=product_name,
                            description=description,
                            price_minor=int(price * 100),
                            currency=settings.store_currency,
                            category_id=category.id,
                            stock=stock,
                        )
                        await uow.products.add(new, clock.now())
                        created += 1
                await uow.commit()
    finally:
        await container.close()
    return created


async def _products_of(uow: UnitOfWork, category_id: int) -> list:  # type: ignore[type-arg]
    from application.ports import ProductFilter

    return await uow.products.list(ProductFilter(category_id=category_id, limit=100))
