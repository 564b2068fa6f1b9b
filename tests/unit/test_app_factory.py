"""The app factory can build any number of apps in one process (the test suite builds
hundreds): nothing it does to shared classes piles up from one app to the next."""

from __future__ import annotations

from litestar import Controller

from entrypoints.http.app import create_app
from entrypoints.http.auth import AuthController
from entrypoints.http.catalog import CategoryController, ProductController
from entrypoints.http.health import HealthController
from entrypoints.http.mock_checkout import MockCheckoutController
from entrypoints.http.orders import OrderController
from entrypoints.http.payments import OrderPaymentsController, PaymentController
from entrypoints.http.users import UserController
from tests.conftest import make_settings

CONTROLLERS: list[type[Controller]] = [
    AuthController,
    UserController,
    CategoryController,
    ProductController,
    OrderController,
    PaymentController,
    OrderPaymentsController,
    HealthController,
    MockCheckoutController,
]


def test_building_apps_leaves_the_shared_controller_classes_as_they_were() -> None:
    before = {controller: controller.__dict__.get("get_route_handlers") for controller in CONTROLLERS}
    for _ in range(3):
        create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    after = {controller: controller.__dict__.get("get_route_handlers") for controller in CONTROLLERS}
    assert after == before
