"""Real, valid example values for every field (the standard's are placeholders).

Every example record fills all fields, optional ones included, so each
conditional rule's condition and consequence hold together; all datetimes are
one instant, so no ordering rule can fail. Values are fixed, not random, so the
generated files are deterministic.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from codegen.spec.wire_types import Kind

if TYPE_CHECKING:
    from codegen.model.types import CodeSet, Format, JsonValue
    from codegen.spec.wire_types import WireType

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_with_check(body17: str) -> str:
    """Appends the GB 32100-2015 mod-31 check character."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return body17 + _USCC_CHARS[(31 - total % 31) % 31]


ORG_USCC = uscc_with_check("11440000MB2D0461X")
TASK_CODE = ORG_USCC + "4442011800001"  # 31-character 实施编码
DATE_COMPACT = "20190620"
DATETIME = "2019-06-20 09:30:00"
REGION = "440106"
_NAMESPACE = uuid.UUID("6f1c1bde-5f0e-4b57-9b0a-6a3c2c0d2019")

_BY_FORMAT: dict[str, str] = {
    "project_no": TASK_CODE + DATE_COMPACT + "0001",
    "task_handle_item": TASK_CODE + "01",
    "cd_batch": ORG_USCC + DATE_COMPACT + "00001",
    "project_co": "2019-440106-70-03-000001",
    "uscc": ORG_USCC,
    "region_code": REGION,
    "currency_code": "CNY",
}


def example_value(
    record_key: str,
    name: str,
    label: str,
    wire: WireType,
    codeset: CodeSet | None,
    fmt: Format | None,
    given: str | None,
) -> JsonValue:
    if wire.kind in (Kind.INT, Kind.LONG):
        return int(given) if given is not None else 1
    if wire.kind is Kind.DOUBLE:
        return float(given) if given is not None else 0.0
    if given is not None:
        return given
    if wire.kind is Kind.DATETIME:
        return DATETIME
    if fmt is not None and fmt.id == "uuid":
        return str(uuid.uuid5(_NAMESPACE, record_key))
    if fmt is not None and fmt.id in _BY_FORMAT:
        return _BY_FORMAT[fmt.id]
    if codeset is not None:
        return codeset.codes[0].code
    return _fit_bytes(f"{label}示例", wire.size)


def _fit_bytes(text: str, size: int) -> str:
    """The longest prefix of ``text`` within ``size`` UTF-8 bytes, so the example is
    valid whichever length unit a validator counts in."""
    while len(text.encode("utf-8")) > size:
        text = text[:-1]
    return text
