from __future__ import annotations

from typing import Annotated, Any, TypeVar

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter
from msgspec import UnsetType

from application.catalog.browse_categories import GetCategory, ListCategories
from application.catalog.browse_products import GetProduct, ListProducts
from application.catalog.create_category import CategoryDraft, CreateCategory
from application.catalog.create_product import CreateProduct, ProductDraft
from application.catalog.deactivate_category import DeactivateCategory
from application.catalog.deactivate_product import DeactivateProduct
from application.catalog.update_category import CategoryChanges, UpdateCategory
from application.catalog.update_product import ProductChanges, UpdateProduct
from application.paging import Page
from application.patch import UNCHANGED, Patch
from application.ports import CategoryOut, ProductFilter, ProductOut, ProductSort, category_out, product_out
from domain.users import Actor
from entrypoints.http.caching import conditional, known_versions
from entrypoints.http.fast_path import CatalogAnswer
from entrypoints.http.guards import ADMIN
from entrypoints.http.money import Amount
from entrypoints.http.openapi import BEARER
from entrypoints.http.paging import Limit, Offset
from entrypoints.http.schemas import CategoryIn, CategoryPatch, ProductIn, ProductPatch

T = TypeVar("T")

CategoryRef = Annotated[str, Parameter(description="Category id or slug", max_length=100)]


def _patch(value: T | UnsetType) -> Patch[T]:
    return UNCHANGED if isinstance(value, UnsetType) else value


class CategoryController(Controller):
    path = "/categories"
    tags = ["catalog"]

    @get(
        ["/", "/all"],
        summary="List categories, ordered by id (at `/categories` and `/categories/all`)",
        responses=conditional(list[CategoryOut]),
    )
    async def list_categories(
        self,
        request: Request[Any, Any, Any],
        list_categories: FromDishka[ListCategories],
        only_active: bool = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CatalogAnswer:
        return CatalogAnswer(await list_categories(only_active, Page(limit, offset), known_versions(request)))

    @get("/{ref:str}", summary="One category by id or slug", responses=conditional(CategoryOut))
    async def get_category(
        self, request: Request[Any, Any, Any], ref: CategoryRef, get_category: FromDishka[GetCategory]
    ) -> CatalogAnswer:
        return CatalogAnswer(await get_category(ref, known_versions(request)))

    @post("/", status_code=201, summary="Create a category (admin)", security=BEARER, guards=ADMIN)
    async def create_category(
        self, data: CategoryIn, actor: FromDishka[Actor], create: FromDishka[CreateCategory]
    ) -> CategoryOut:
        return category_out(await create(actor, CategoryDraft(name=data.name, slug=data.slug)))

    # Deliberate twins: one declared route per action, each a single call to its use case
    # answered with the view; what differs lives in the use case. Alike: the product's change and
    # deactivate routes below, and users.py's deactivate.
    @patch("/{ref:str}", summary="Change a category (admin)", security=BEARER, guards=ADMIN)
    async def update_category(
        self,
        ref: CategoryRef,
        data: CategoryPatch,
        actor: FromDishka[Actor],
        update: FromDishka[UpdateCategory],
    ) -> CategoryOut:
        changes = CategoryChanges(
            name=_patch(data.name),
            slug=_patch(data.slug),
            is_active=_patch(data.is_active),
        )
        return category_out(await update(actor, ref, changes))

    @post(
        "/{ref:str}/deactivate",
        status_code=200,
        summary="Deactivate a category (admin)",
        security=BEARER,
        guards=ADMIN,
    )
    async def deactivate_category(
        self, ref: CategoryRef, actor: FromDishka[Actor], deactivate: FromDishka[DeactivateCategory]
    ) -> CategoryOut:
        return category_out(await deactivate(actor, ref))


class ProductController(Controller):
    path = "/products"
    tags = ["catalog"]

    @get("/", summary="List products", responses=conditional(list[ProductOut]))
    async def list_products(
        self,
        request: Request[Any, Any, Any],
        list_products: FromDishka[ListProducts],
        category_id: Annotated[
            int | None, Parameter(ge=1, description="Beyond any stored id: no products")
        ] = None,
        only_active: bool = False,
        q: Annotated[str | None, Parameter(max_length=100, description="Part of the name, any case")] = None,
        min_price: Annotated[Amount | None, Parameter(description="Inclusive")] = None,
        max_price: Annotated[Amount | None, Parameter(description="Inclusive")] = None,
        sort: ProductSort = ProductSort.ID,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CatalogAnswer:
        Page(limit, offset)
        criteria = ProductFilter(
            category_id=category_id,
            only_active=only_active,
            query=q or None,
            min_price=min_price,
            max_price=max_price,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return CatalogAnswer(await list_products(criteria, known_versions(request)))

    @get("/{product_id:int}", summary="One product with its category", responses=conditional(ProductOut))
    async def get_product(
        self, request: Request[Any, Any, Any], product_id: int, get_product: FromDishka[GetProduct]
    ) -> CatalogAnswer:
        return CatalogAnswer(await get_product(product_id, known_versions(request)))

    @post("/", status_code=201, summary="Create a product (admin)", security=BEARER, guards=ADMIN)
    async def create_product(
        self, data: ProductIn, actor: FromDishka[Actor], create: FromDishka[CreateProduct]
    ) -> ProductOut:
        draft = ProductDraft(
            name=data.name,
            description=data.description,
            price=data.price,
            category_id=data.category_id,
            stock=data.stock,
        )
        return product_out(await create(actor, draft))

    # Deliberate twins: one declared route per action, each a single call to its use case
    # answered with the view; what differs lives in the use case. Alike: the category's change and
    # deactivate routes above.
    @patch("/{product_id:int}", summary="Change a product (admin)", security=BEARER, guards=ADMIN)
    async def update_product(
        self,
        product_id: int,
        data: ProductPatch,
        actor: FromDishka[Actor],
        update: FromDishka[UpdateProduct],
    ) -> ProductOut:
        changes = ProductChanges(
            name=_patch(data.name),
            description=_patch(data.description),
            price=_patch(data.price),
            category_id=_patch(data.category_id),
            stock=_patch(data.stock),
            is_active=_patch(data.is_active),
        )
        return product_out(await update(actor, product_id, changes))

    @post(
        "/{product_id:int}/deactivate",
        status_code=200,
        summary="Deactivate a product (admin)",
        security=BEARER,
        guards=ADMIN,
    )
    async def deactivate_product(
        self, product_id: int, actor: FromDishka[Actor], deactivate: FromDishka[DeactivateProduct]
    ) -> ProductOut:
        return product_out(await deactivate(actor, product_id))
