# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""请求签名 (the x-tif request signature of spec.SIGNATURE_CLAUSE, 6.3.2)."""

from __future__ import annotations

import hashlib
import secrets
import time

from .spec import CONTENT_TYPE, HEADER_NAMES, SIGNATURE_ORDER

__all__ = ["HEADER_NAMES", "make_headers", "new_nonce", "sign", "timestamp_now"]


def sign(token: str, timestamp: str, nonce: str) -> str:
    """x-tif-signature: upper-case hex SHA-256 of the parts in spec.SIGNATURE_ORDER.

    That is ``timestamp + token + nonce + timestamp``, joined as UTF-8.
    """
    parts = {"timestamp": timestamp, "token": token, "nonce": nonce}
    message = "".join(parts[name] for name in SIGNATURE_ORDER)
    return hashlib.sha256(message.encode("utf-8")).hexdigest().upper()


def timestamp_now(clock: float | None = None) -> str:
    """x-tif-timestamp: seconds since the epoch as a decimal string, like (Date.now()/1000).toFixed()."""
    return str(round(time.time() if clock is None else clock))


def new_nonce() -> str:
    """x-tif-nonce: a fresh random string for every request."""
    return secrets.token_hex(16)


def make_headers(token: str, paasid: str, timestamp: str, nonce: str) -> dict[str, str]:
    """The four x-tif headers (spec.HEADER_NAMES, in order) and Content-Type for one request."""
    values = (paasid, timestamp, nonce, sign(token, timestamp, nonce))
    return {**dict(zip(HEADER_NAMES, values, strict=True)), "Content-Type": CONTENT_TYPE}
