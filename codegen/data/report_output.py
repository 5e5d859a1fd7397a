"""Where ``codegen validate --report PATH`` goes: the format follows PATH's extension, and
the file is written whole or not at all (a temporary file beside it, then renamed)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from codegen.data.report_collect import ReportCollector
from codegen.files import write_whole

FORMATS = {".html": "html", ".htm": "html", ".json": "json"}


def report_format(path: Path) -> str | None:
    """``html`` or ``json`` by the extension; None for any other."""
    return FORMATS.get(path.suffix.lower())


def input_clash(reports: Iterable[Path], inputs: Iterable[Path]) -> Path | None:
    """A report path that is one of the input files (writing it would destroy the data)."""
    read = {path.resolve() for path in inputs}
    return next((path for path in reports if path.resolve() in read), None)


def write_report(collector: ReportCollector, path: Path) -> None:
    """Writes one report; OSError if it cannot."""
    from codegen.data.report_json import report_data, report_json

    if report_format(path) == "html":
        from codegen.data.report_html import render_html

        text = render_html(report_data(collector))
    else:
        text = report_json(collector)
    # The scratch file's name from the head of the report's: a name near the file system's
    # limit would leave no room for the random part and the suffix.
    write_whole(path, text.encode("utf-8"), prefix=f".{path.name[:40]}.", suffix=".tmp")
