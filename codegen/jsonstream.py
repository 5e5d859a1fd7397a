"""Streaming readers for record files: a JSON array or JSON Lines.

Neither reads the whole file into memory: a JSON array is decoded one element
at a time from a sliding buffer, JSON Lines one line at a time. A broken JSON
Lines line is reported and skipped; a broken array cannot be resynchronised,
so its error ends the stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 1 << 16
_WHITESPACE = " \t\r\n"
# Characters that may continue a number ("1." "1e" "1e-" are cut, not finished).
_NUMBER_TAIL = "0123456789.eE+-"


@dataclass(frozen=True)
class Item:
    """One record read from a file; ``error`` is set when it could not be parsed."""

    number: int  # 1-based position of the record in the file
    line: int | None  # line number, for JSON Lines
    value: object = None
    error: str | None = None


def read_records(path: Path) -> Iterator[Item]:
    with open(path, encoding="utf-8-sig") as handle:
        first = _first_non_space(handle)
        handle.seek(0)  # utf-8-sig drops a byte-order mark again after seeking
        if first == "[":
            yield from _array_items(handle)
        else:
            yield from _json_lines(handle)


def _first_non_space(handle: IO[str]) -> str:
    while True:
        char = handle.read(1)
        if char == "" or char not in _WHITESPACE:
            return char


def _json_lines(handle: IO[str]) -> Iterator[Item]:
    number = 0
    for line_no, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        number += 1
        try:
            yield Item(number, line_no, json.loads(line))
        except json.JSONDecodeError as exc:
            yield Item(
                number,
                line_no,
                error=f"第 {line_no} 行不是有效的 JSON：{exc.msg}（列 {exc.colno}）",
            )


class _Buffer:
    """A sliding window over a text stream with the decoding position in it."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.text = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the front, for error offsets

    def more(self, size: int = _CHUNK) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(size)
        if not chunk:
            self.eof = True
            return False
        if self.pos > _CHUNK:  # drop what has been decoded already
            self.consumed += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        self.text += chunk
        return True

    def skip_space(self) -> str:
        """Moves past white space; returns the next character or "" at the end."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""


def _array_items(handle: IO[str]) -> Iterator[Item]:
    buf = _Buffer(handle)
    decoder = json.JSONDecoder()
    buf.skip_space()
    buf.pos += 1  # the opening "["
    number = 0
    if buf.skip_space() == "]":
        return
    while True:
        number += 1
        value, error = _decode_one(buf, decoder)
        if error is not None:
            yield Item(number, None, error=error)
            return
        yield Item(number, None, value)
        following = buf.skip_space()
        if following == ",":
            buf.pos += 1
            continue
        if following == "]":
            buf.pos += 1
            trailing = buf.skip_space()
            if trailing:
                where = buf.consumed + buf.pos + 1
                message = f"JSON 数组在第 {where} 个字符处已结束，其后还有内容 {trailing!r}"
                yield Item(number + 1, None, error=message)
            return
        where = buf.consumed + buf.pos + 1
        shown = repr(following) if following else "文件结尾"
        yield Item(
            number + 1, None, error=f"JSON 数组在第 {where} 个字符处应为 “,” 或 “]”，实为 {shown}"
        )
        return


def _decode_one(buf: _Buffer, decoder: json.JSONDecoder) -> tuple[object, str | None]:
    if buf.skip_space() == "":
        return None, "JSON 数组未结束（缺少 “]”）"
    size = _CHUNK
    while True:
        try:
            value, end = decoder.raw_decode(buf.text, buf.pos)
        except json.JSONDecodeError as exc:
            if buf.more(size):
                size *= 2  # a long element: read ahead faster
                continue
            return None, f"JSON 数组在第 {buf.consumed + exc.pos + 1} 个字符处无效：{exc.msg}"
        # A number at the very end of the buffer may continue in the next chunk,
        # also when the chunk ends just after its "." or "e" ("1." + "5").
        cut = end == len(buf.text) or (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not buf.text[end:].strip(_NUMBER_TAIL)
        )
        if cut and buf.more(size):
            continue
        buf.pos = end
        return value, None
