"""`storefront expire-orders` runs one sweep by hand (the app's own sweeper has a long timeout here)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.e2e.conftest import Api
from tests.e2e.test_orders import ORDERS, make_category, make_product, place, stock_of


async def test_the_expire_orders_command_runs_one_sweep(api: Api, app_database_url: str) -> None:
    admin = await api.admin()
    tea = await make_product(api, admin, await make_category(api, admin), "Green tea", stock=5)
    ann = await api.customer()
    order = (await place(api, ann, (tea, 2))).json()
    await asyncio.sleep(2.1)
    env = {
        **os.environ,
        "DATABASE_URL": app_database_url,
        "ORDER_PAYMENT_TIMEOUT_SECONDS": "2",
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "entrypoints.cli", "expire-orders"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "expired 1 unpaid orders"
    final = (await api.client.get(f"{ORDERS}/{order['id']}", headers=ann)).json()
    assert final["status"] == "cancelled"
    assert await stock_of(api, tea) == 5
