"""A workbook file checked before openpyxl reads it: bounded, and nothing in it can explode.

An .xlsx file is a zip of XML parts. openpyxl trusts it: it inflates parts whole
(the shared strings table is read into memory at once) and keeps any cell's
text, so an 833 KB file holding one 800 MB string takes gigabytes. Before it is
opened, ``check_workbook`` refuses, cheaply and naming the place:

- a file that is not a zip, or whose zip directory is broken;
- more than ``MAX_PARTS`` parts, a part inflating to more than
  ``PART_MAX_BYTES`` or all of them to more than ``TOTAL_MAX_BYTES`` (the sizes
  the zip declares, which zipfile enforces while inflating: a part that inflates
  to more fails its check);
- an XML part with a document type declaration (entity expansion);
- a cell (worksheet ``<c>`` or shared string ``<si>``) longer than Excel's own
  limit of 32,767 characters: the parts are streamed through expat counting
  characters, so the check stops at the first cell over the limit.
"""

from __future__ import annotations

import xml.parsers.expat
import zipfile
from pathlib import Path
from typing import Final

#: Excel's limit on the characters in one cell.
CELL_MAX_CHARS: Final = 32_767
#: Largest inflated size of one part (a worksheet of about a million cells).
PART_MAX_BYTES: Final = 256 * 1024 * 1024
#: Largest inflated size of all parts together.
TOTAL_MAX_BYTES: Final = 512 * 1024 * 1024
MAX_PARTS: Final = 10_000
_READ: Final = 1 << 20
_MIB: Final = 1024 * 1024


class WorkbookRefused(Exception):
    """The file is not a workbook that can be read safely; the message names the place."""


class _Stop(Exception):
    pass


def check_workbook(path: Path) -> None:
    """Raises WorkbookRefused when ``path`` is not a workbook openpyxl may safely read."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            _check_sizes(parts)
            for part in parts:
                name = part.filename
                if name.endswith((".xml", ".rels", ".vml")) and not part.is_dir():
                    _check_xml(archive, part)
    except WorkbookRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise WorkbookRefused(f"不是有效的 xlsx 工作簿（zip 文件损坏或被截断）：{exc}") from None
    except NotImplementedError as exc:  # an unsupported compression method
        raise WorkbookRefused(f"工作簿使用了不支持的压缩方式：{exc}") from None


def _check_sizes(parts: list[zipfile.ZipInfo]) -> None:
    if len(parts) > MAX_PARTS:
        raise WorkbookRefused(f"工作簿有 {len(parts)} 个部件，超过 {MAX_PARTS} 个")
    total = 0
    for part in parts:
        if part.file_size > PART_MAX_BYTES:
            raise WorkbookRefused(
                f"部件 {_shown(part.filename)} 解压后 {part.file_size} 字节"
                f"（压缩后 {part.compress_size} 字节），超过 {PART_MAX_BYTES // _MIB} MiB"
            )
        total += part.file_size
    if total > TOTAL_MAX_BYTES:
        raise WorkbookRefused(f"工作簿解压后共 {total} 字节，超过 {TOTAL_MAX_BYTES // _MIB} MiB")


class _Cells:
    """expat handlers counting the characters of each cell of one part."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.depth = 0  # > 0 inside a cell: <c> of a worksheet, <si> of the shared strings
        self.chars = 0
        self.ref = ""

    def doctype(self, *_: object) -> None:
        raise WorkbookRefused(
            f"部件 {_shown(self.name)} 含有 DOCTYPE 声明（可能的实体膨胀），拒绝读取"
        )

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.depth:
            self.depth += 1
        elif tag.rpartition(":")[2] in ("c", "si"):
            self.depth, self.chars, self.ref = 1, 0, attrs.get("r", "")

    def end(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def text(self, data: str) -> None:
        if self.depth:
            self.chars += len(data)
            if self.chars > CELL_MAX_CHARS:
                cell = f"单元格 {_shown(self.ref)} " if self.ref else "一个单元格"
                raise WorkbookRefused(
                    f"部件 {_shown(self.name)} 中{cell}超过 Excel 的 {CELL_MAX_CHARS} 个字符"
                    "上限，拒绝读取"
                )


def _check_xml(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Streams one XML part through expat: no DOCTYPE, no cell over CELL_MAX_CHARS.

    A worksheet whose XML breaks partway is left to the reader, which reads the
    rows before the break and reports the break itself; any other broken part is
    refused here.
    """
    cells = _Cells(part.filename)
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = cells.doctype
    parser.StartElementHandler = cells.start
    parser.EndElementHandler = cells.end
    parser.CharacterDataHandler = cells.text
    try:
        with archive.open(part) as stream:
            while True:
                data = stream.read(_READ)
                parser.Parse(data, not data)
                if not data:
                    break
    except xml.parsers.expat.ExpatError as exc:
        if part.filename.startswith("xl/worksheets/"):
            return
        raise WorkbookRefused(
            f"部件 {_shown(part.filename)} 不是有效的 XML（第 {exc.lineno} 行，第 {exc.offset + 1} 列）："
            f"{xml.parsers.expat.ErrorString(exc.code)}"
        ) from None


def _shown(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"
