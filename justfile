# Storefront task runner. Run recipes through uv so that `python` and every tool
# below come from the project's virtual environment:
#
#     uv run just <recipe> [args...]
#
# `just` itself is the `rust-just` dev dependency, so uv is all a fresh machine needs.

# List the recipes.
default:
    @{{just_executable()}} --justfile {{justfile()}} --list --unsorted

# --- run -------------------------------------------------------------------
#
# just runs each line under `sh -cu` and passes SIGTERM/SIGINT on to that shell; `exec` makes
# Python the shell itself, so `docker stop` or Ctrl-C reaches the server and it stops cleanly
# (without it the shell dies and Python is left running as an orphan).

# Apply migrations and start the API (HOST, PORT, WORKERS from the environment / .env).
serve:
    exec python -m entrypoints.cli serve

# Run a background-job worker (refunds) until stopped; `serve` runs one in each API process too.
worker:
    exec python -m entrypoints.cli worker

# Like `serve`, reloading on code changes (one worker).
dev:
    exec python -m entrypoints.cli serve --reload

# --- test and check ---------------------------------------------------------

# Run the whole test suite; extra arguments go to pytest (e.g. `just test tests/unit -x`).
[positional-arguments]
test *args:
    python -m pytest "$@"

# Lint and check formatting (no changes made).
lint:
    ruff check .
    ruff format --check .

# Reformat the code and apply safe lint fixes.
format:
    ruff format .
    ruff check --fix .

# Static type check (configuration in pyproject.toml).
typecheck:
    mypy

# Check the hexagonal layer contracts (import-linter).
layers:
    lint-imports

# Everything CI checks before the tests: lint, typecheck, layers.
check: lint typecheck layers

# --- database ---------------------------------------------------------------

# Create a new Alembic revision: `just revision "add coupons"`.
revision msg:
    alembic revision -m "{{msg}}"

# Apply migrations up to a revision (default: head) on DATABASE_URL.
upgrade rev="head":
    python -m entrypoints.cli migrate {{rev}}

# Roll migrations back (default: one step).
downgrade rev="-1":
    alembic downgrade {{rev}}

# --- operations -------------------------------------------------------------

# Create or promote an admin: `just create-admin admin@example.com [--password-stdin | --password …]`.
[positional-arguments]
create-admin *args:
    python -m entrypoints.cli create-admin "$@"

# Set a new password and end every session: `just reset-password ann@example.com [--password-stdin]`.
[positional-arguments]
reset-password *args:
    python -m entrypoints.cli reset-password "$@"

# Load the demo catalog.
demo-catalog:
    python -m entrypoints.cli demo-catalog

# Cancel unpaid orders past ORDER_PAYMENT_TIMEOUT_SECONDS once (every running instance also does it by itself).
expire-orders:
    python -m entrypoints.cli expire-orders

# Send a pending refund whose job died to the provider again, under the same reference.
[positional-arguments]
retry-refund *args:
    python -m entrypoints.cli retry-refund "$@"

# Send a signed mock-provider webhook: `just mock-webhook mock_3f… succeeded --amount 299.80`.
[positional-arguments]
mock-webhook *args:
    python -m entrypoints.cli mock-webhook "$@"

# Run the benchmark on a PostgreSQL cluster and a redis-server of its own (`--admin-url URL` /
# `--redis-url URL` for existing ones); extra arguments go to it (`--only`, `--baseline REF`,
# `--regenerate-floors`, `--help`). See docs/performance.md.
[positional-arguments]
bench *args:
    python -m bench "$@"
