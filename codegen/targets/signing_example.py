"""A worked x-tif signing example (6.3.2) for the reference, computed from the spec's recipe.

The inputs are fixed so the page is reproducible; the signature is computed here with
hashlib from the spec's concatenation order, never pasted, so it cannot drift from the
recipe the generated client uses.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from codegen.model.examples import DATETIME
from codegen.model.types import Model, Signature
from codegen.render.environment import RenderError
from codegen.spec.wire_types import DATETIME_STRFTIME as STRFTIME

# Obviously fake: a reader must not mistake it for an issued token.
EXAMPLE_TOKEN = "example-token-0123456789abcdef"
EXAMPLE_NONCE = "3f2a9c0e7b5d41a8"

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class SigningExample:
    token: str
    timestamp: str
    # The Beijing time the timestamp stands for, as the records write datetimes.
    local_time: str
    nonce: str
    message: str
    signature: str
    # Header name → value, in the order of the spec's header table.
    headers: tuple[tuple[str, str], ...]


def sign(recipe: Signature, token: str, timestamp: str, nonce: str) -> str:
    """Upper-case hex SHA-256 of the parts in the recipe's order, as UTF-8."""
    if recipe.algorithm != "SHA-256" or recipe.encoding != "hex-upper":
        raise RenderError(f"no signing example for {recipe.algorithm}/{recipe.encoding}")
    return (
        hashlib.sha256(_message(recipe, token, timestamp, nonce).encode("utf-8"))
        .hexdigest()
        .upper()
    )


def signing_example(model: Model) -> SigningExample:
    gateway = model.gateway
    zone = timezone(timedelta(hours=model.datetime.utc_offset_hours))
    # The instant every example record uses, so the example request is self-consistent.
    instant = datetime.strptime(DATETIME, STRFTIME).replace(tzinfo=zone)
    timestamp = str(int(instant.timestamp()))
    signature = sign(gateway.signature, EXAMPLE_TOKEN, timestamp, EXAMPLE_NONCE)
    values = {
        "paasid": gateway.paasid,
        "timestamp": timestamp,
        "nonce": EXAMPLE_NONCE,
        "signature": signature,
    }
    headers = tuple((h.name, _fill(h.value, values)) for h in gateway.headers)
    return SigningExample(
        token=EXAMPLE_TOKEN,
        timestamp=timestamp,
        local_time=DATETIME,
        nonce=EXAMPLE_NONCE,
        message=_message(gateway.signature, EXAMPLE_TOKEN, timestamp, EXAMPLE_NONCE),
        signature=signature,
        headers=headers + (("Content-Type", gateway.content_type),),
    )


def _message(recipe: Signature, token: str, timestamp: str, nonce: str) -> str:
    parts = {"timestamp": timestamp, "token": token, "nonce": nonce}
    try:
        return "".join(parts[name] for name in recipe.concatenation)
    except KeyError as exc:
        raise RenderError(f"signature part {exc} is not timestamp, token or nonce") from None


def _fill(template: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(f"header value placeholder {{{{{name}}}}} is unknown")
        return values[name]

    return _PLACEHOLDER.sub(one, template)
