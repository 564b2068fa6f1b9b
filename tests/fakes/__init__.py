"""Test fakes of the repository ports: an in-memory database for the use-case tests.

They are not an embedded mode of the store (that is `adapters/memory/`: sessions and
rate limits without Redis). They keep the SQL adapters' rules, and
`tests/contracts/repositories/` runs the same behaviour tests on them
and on SQLite and PostgreSQL, so they cannot drift.
"""

from application.ports import Installation
from tests.fakes.idempotency import MemoryIdempotencyStore
from tests.fakes.state import MemoryDatabase, MemoryState
from tests.fakes.unit_of_work import MemoryUnitOfWork

# The installation id of the store the use-case tests run (`application.ports.Installation`).
INSTALLATION = Installation("0123456789abcdef")

__all__ = ["INSTALLATION", "MemoryDatabase", "MemoryIdempotencyStore", "MemoryState", "MemoryUnitOfWork"]
