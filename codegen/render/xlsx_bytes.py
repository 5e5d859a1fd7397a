"""Saving an openpyxl workbook as deterministic bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries
carry the wall clock, so two saves of one workbook differ. Here the document
properties are fixed, the timestamps in core.xml are overwritten, and the zip
is rewritten with sorted entries, a fixed date and fixed permissions. Entries
are stored, not deflated: deflate output may differ between zlib builds, which
would make ``build --check`` fail on another machine for identical content.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

# The standard's publication date: a fixed, meaningful stand-in for "now".
FIXED_TIME = datetime(2019, 8, 12)
_W3CDTF = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_CREATOR = "gdzw-codegen"
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def workbook_bytes(
    workbook: Workbook, *, title: str, subject: str, description: str, keywords: str
) -> bytes:
    """The workbook as xlsx bytes that depend only on its content."""
    props = workbook.properties
    props.creator = _CREATOR
    props.lastModifiedBy = _CREATOR
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.title = title
    props.subject = subject
    props.description = description
    props.keywords = keywords
    buffer = io.BytesIO()
    workbook.save(buffer)
    return normalize_zip(buffer.getvalue())


def normalize_zip(data: bytes, stamp: tuple[bytes, bytes] | None = None) -> bytes:
    """Rewrites an xlsx zip: sorted entries, fixed times and modes, fixed core.xml stamps.

    ``stamp`` (old, new) replaces text in the document properties (``restamp``).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in sorted(source.namelist()):
            content = source.read(name)
            if name == "docProps/core.xml":
                content = _STAMP.sub(rb"\g<1>" + _W3CDTF.encode() + rb"\g<2>", content)
                if stamp is not None:
                    content = content.replace(*stamp)
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so the mode below means the same everywhere
            info.external_attr = 0o100644 << 16
            target.writestr(info, content)
    return out.getvalue()


def restamp(data: bytes, placeholder: str, value: str) -> bytes:
    """A saved workbook with ``placeholder`` in its document properties replaced by
    ``value``: the body is cached across spec edits, the spec hash stamped after."""
    return normalize_zip(data, (placeholder.encode(), value.encode()))
