"""The YooKassa payment provider: its hosted confirmation page, notifications read back from its API."""
