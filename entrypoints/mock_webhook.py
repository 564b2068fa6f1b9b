"""`storefront mock-webhook`: send a signed mock-provider webhook by hand, as the provider would."""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from adapters.payments.mock.gateway import event_body
from adapters.payments.mock.signature import HEADER, sign
from domain.errors import InvalidInput
from domain.money import Money, parse_amount
from domain.payments import PaymentStatus
from entrypoints.ioc.payment_gateways import public_base_url
from entrypoints.settings import Settings

WEBHOOK_PATH = "/api/v1/payments/webhook/mock"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "mock-webhook",
        help="send a signed mock-provider webhook (PAYMENT_WEBHOOK_SECRET) to a running app",
        description=__doc__,
    )
    parser.add_argument("provider_payment_id", help="the payment's provider_payment_id (mock_…)")
    parser.add_argument("status", choices=[s.value for s in PaymentStatus if s is not PaymentStatus.CREATED])
    parser.add_argument("--amount", required=True, help="decimal amount, e.g. 299.80")
    parser.add_argument("--currency", help="default: STORE_CURRENCY")
    parser.add_argument("--event-id", help="default: a new random one (repeat one to test deduplication)")
    parser.add_argument("--fail-reason")
    parser.add_argument(
        "--url", help=f"the webhook URL (default: PUBLIC_URL or http://HOST:PORT, + {WEBHOOK_PATH})"
    )
    parser.add_argument(
        "--skew", type=int, default=0, help="shift the signature timestamp by this many seconds"
    )
    parser.add_argument(
        "--print", dest="print_only", action="store_true", help="print the request, send nothing"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        amount = Money.of(parse_amount(args.amount), args.currency or settings.store_currency)
    except InvalidInput as error:
        print(f"storefront: {error.message}", file=sys.stderr)
        return 2
    body = event_body(
        args.provider_payment_id,
        PaymentStatus(args.status),
        amount,
        fail_reason=args.fail_reason,
        event_id=args.event_id or f"evt_{uuid.uuid4().hex}",
    )
    signature = sign(settings.payment_webhook_secret, int(time.time()) + args.skew, body)
    url = args.url or public_base_url(settings).rstrip("/") + WEBHOOK_PATH
    if args.print_only:
        print(f"POST {url}\n{HEADER}: {signature}\ncontent-type: application/json\n\n{body.decode()}")
        return 0
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own app
        url, data=body, method="POST", headers={HEADER: signature, "content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            print(f"{response.status} {response.read().decode(errors='replace')}")
            return 0
    except urllib.error.HTTPError as error:
        print(f"{error.code} {error.read().decode(errors='replace')}")
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"storefront: cannot reach {url}: {error}", file=sys.stderr)
        return 1
