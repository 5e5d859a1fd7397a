"""Streaming readers for record files: a JSON array or JSON Lines, bounded.

Neither reads the whole file into memory: a JSON array is decoded one element
at a time from a sliding buffer, JSON Lines one line at a time, both from bytes
read in fixed-size chunks (never an unbounded ``readline()``). One record may
take at most ``record_max_bytes`` (callers pass the gateway's request body
limit, ``spec.BODY_MAX_BYTES``: a longer record could never be sent). Hostile
input becomes an error item naming the place, never an exception: invalid
UTF-8, a line that never ends, nesting deeper than Python can decode, numbers
of thousands of digits, ``NaN`` and ``Infinity``.

A broken JSON Lines line is reported and skipped; a broken array cannot be
resynchronised, so its error ends the stream. Every error item is
``unreadable``: the file could not be read whole.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from codegen.data.fast_json import decode_flat

_CHUNK = 1 << 16
_MAX_READ = 1 << 22  # read-ahead for a long array element grows up to this
_WHITESPACE = " \t\r\n"
_WHITESPACE_BYTES = b" \t\r\n"
_BOM = codecs.BOM_UTF8
# Characters that may continue a number ("1." "1e" "1e-" are cut, not finished).
_NUMBER_TAIL = "0123456789.eE+-"
# A decoding error this close to the end of the buffer may be a token the chunk cut
# ("tru", "\\u00", "1."): read on before calling it an error.
_CUT_TOKEN = 8
#: The gateway's request body limit (spec/standard.yaml gateway.body_max_bytes), the
#: default bound on one record; callers pass the generated package's BODY_MAX_BYTES.
DEFAULT_RECORD_MAX_BYTES = 8 * 1024 * 1024
#: Digits a JSON number may have (Python's own default for int(); a Long has 19).
MAX_NUMBER_DIGITS = 4300
_SHOWN = 40  # characters of a value shown in a message


@dataclass(frozen=True)
class Item:
    """One record read from a file; ``error`` is set when it could not be parsed.

    ``unreadable`` marks an error of reading (not JSON, invalid UTF-8, too large,
    a broken workbook): the file could not be read whole. Other errors are about
    the record's content (e.g. a workbook cell outside every column).
    """

    number: int  # 1-based position of the record in the file
    line: int | None  # line number, for JSON Lines
    value: object = None
    error: str | None = None
    unreadable: bool = False


class _ValueError(Exception):
    """A number or constant the reader refuses (too many digits, not finite, NaN)."""


def shorten(text: str, limit: int = _SHOWN) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(text)} 个字符）"


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _ValueError(f"数字有 {digits} 位，超过 {MAX_NUMBER_DIGITS} 位")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _ValueError(f"数字有 {len(text)} 个字符，超过 {MAX_NUMBER_DIGITS} 个")
    value = float(text)
    if not math.isfinite(value):
        raise _ValueError(f"数字 {shorten(text)} 超出双精度浮点数的范围")
    return value


def _parse_constant(name: str) -> object:
    raise _ValueError(f"{name} 不是 JSON 数值（JSON 没有 NaN、Infinity）")


def make_decoder() -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
    )


def read_records(path: Path, record_max_bytes: int = DEFAULT_RECORD_MAX_BYTES) -> Iterator[Item]:
    with open(path, "rb") as stream:
        if is_array(stream):
            yield from _array_items(stream, record_max_bytes)
        else:
            yield from _json_lines(stream, record_max_bytes)


def is_array(stream: BinaryIO) -> bool:
    """Whether ``stream`` holds a JSON array (else JSON Lines); rewinds it."""
    first = _first_non_space(stream)
    stream.seek(0)
    return first == b"["


def _first_non_space(stream: BinaryIO) -> bytes:
    """The first byte after a byte-order mark and white space ("" for none), in chunks."""
    start = True
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b""
        if start and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
        start = False
        stripped = chunk.lstrip(_WHITESPACE_BYTES)
        if stripped:
            return stripped[:1]


# ---------------------------------------------------------------- JSON Lines


def read_lines(
    stream: BinaryIO, line_max_bytes: int
) -> Iterator[tuple[int, str | None, str | None]]:
    """``(line number, text, error)`` for each line of ``stream``, read in chunks.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r``; a leading byte-order mark is dropped.
    A line longer than ``line_max_bytes`` is skipped without being kept in memory,
    and one that is not UTF-8 is reported; either gives ``(number, None, error)``.
    """
    for number, raw in _raw_lines(stream, line_max_bytes):
        if raw is None:
            yield number, None, _too_long(number, line_max_bytes)
            continue
        try:
            yield number, _without_bom(number, raw).decode("utf-8"), None
        except UnicodeDecodeError as exc:
            yield number, None, _not_utf8(number, exc)


def _too_long(line_no: int, limit: int) -> str:
    return f"第 {line_no} 行超过 {limit} 字节（未读入）"


def _not_utf8(line_no: int, exc: UnicodeDecodeError) -> str:
    return f"第 {line_no} 行第 {exc.start + 1} 字节起不是有效的 UTF-8"


def _without_bom(line_no: int, raw: bytes) -> bytes:
    """Line 1 without a leading byte-order mark (only line 1 may carry one)."""
    return raw[len(_BOM) :] if line_no == 1 and raw.startswith(_BOM) else raw


def _raw_lines(
    stream: BinaryIO, limit: int, first_line: int = 1
) -> Iterator[tuple[int, bytes | None]]:
    """Each line's bytes without its end, or None when it is longer than ``limit``."""
    number = first_line
    parts: list[bytes] = []
    size = 0
    too_long = False
    held_cr = False  # the last chunk ended in "\r": a "\n" may follow in the next
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        if held_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        held_cr = chunk.endswith(b"\r")
        if b"\r" not in chunk:  # the common case, split at C speed
            *ended, rest = chunk.split(b"\n")
            for piece in ended:
                if too_long or size + len(piece) > limit:
                    yield number, None
                else:
                    yield number, b"".join(parts) + piece if parts else piece
                number += 1
                parts, size, too_long = [], 0, False
            if not too_long and size + len(rest) <= limit:
                parts.append(rest)
                size += len(rest)
            else:
                too_long, parts = True, []
            continue
        start = 0
        for end, step in _line_ends(chunk):
            if not too_long and size + end - start <= limit:
                parts.append(chunk[start:end])
                size += end - start
            else:
                too_long, parts = True, []
            if step:
                yield number, None if too_long else b"".join(parts)
                number += 1
                parts, size, too_long = [], 0, False
            start = end + step
    if too_long or any(parts):
        yield number, None if too_long else b"".join(parts)


def _line_ends(chunk: bytes) -> Iterator[tuple[int, int]]:
    """(index, length) of each line end in ``chunk``, then (len(chunk), 0) for the rest."""
    start = 0
    newline = chunk.find(b"\n")
    ret = chunk.find(b"\r")
    while newline >= 0 or ret >= 0:
        if ret >= 0 and (newline < 0 or ret < newline):
            step = 2 if newline == ret + 1 else 1
            end = ret
        else:
            step, end = 1, newline
        yield end, step
        start = end + step
        if newline >= 0 and newline < start:
            newline = chunk.find(b"\n", start)
        if ret >= 0 and ret < start:
            ret = chunk.find(b"\r", start)
    yield len(chunk), 0


#: Bytes a line may start with, after ASCII white space, that are not Unicode white space.
_NOT_SPACE = frozenset(range(0x21, 0x80))


class RawLine(NamedTuple):
    """A non-blank line of JSON Lines, not yet decoded: ``raw`` is None when ``error``
    (the line was too long) is set."""

    number: int  # 1-based record number (blank lines are not records)
    line: int
    raw: bytes | None
    error: str | None


def raw_json_lines(stream: BinaryIO, limit: int, first_line: int = 1) -> Iterator[RawLine]:
    """The records of a JSON Lines stream as bytes, numbered from 1; blank lines skipped.

    Blank means white space only, as ``str.strip`` sees it (so a line of U+3000 is
    blank): decided on the bytes when that is certain, else on the decoded text.
    ``first_line`` is the line number of the stream's first line (a piece of a file
    that starts after a line end); only line 1 may start with a byte-order mark.
    """
    number = 0
    for line_no, raw in _raw_lines(stream, limit, first_line):
        if raw is None:
            number += 1
            yield RawLine(number, line_no, None, _too_long(line_no, limit))
            continue
        raw = _without_bom(line_no, raw)
        stripped = raw.strip()
        if not stripped or (stripped[0] not in _NOT_SPACE and _blank(raw)):
            continue
        number += 1
        yield RawLine(number, line_no, raw, None)


def _blank(raw: bytes) -> bool:
    try:
        return not raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


def decode_raw_line(
    decoder: json.JSONDecoder, raw: bytes, line_no: int
) -> tuple[object, str | None]:
    """(value, None) or (None, why the line cannot be read): the fast decoder where it
    agrees with ``json`` (``codegen.data.fast_json``), else ``decoder``."""
    fast = decode_flat(raw)
    if fast is not None:
        return fast, None
    return decode_json_line(decoder, raw, line_no)


def decode_json_line(
    decoder: json.JSONDecoder, raw: bytes, line_no: int
) -> tuple[object, str | None]:
    """:func:`decode_raw_line` with ``json`` alone (the caller tried the fast decoder)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _not_utf8(line_no, exc)
    return _decode_line(decoder, text, line_no)


def _json_lines(stream: BinaryIO, limit: int) -> Iterator[Item]:
    decoder = make_decoder()
    for number, line_no, raw, error in raw_json_lines(stream, limit):
        if raw is None:
            yield Item(number, line_no, error=error, unreadable=True)
            continue
        value, problem = decode_raw_line(decoder, raw, line_no)
        if problem is not None:
            yield Item(number, line_no, error=problem, unreadable=True)
        else:
            yield Item(number, line_no, value)


def _decode_line(decoder: json.JSONDecoder, text: str, line_no: int) -> tuple[object, str | None]:
    try:
        value, end = decoder.raw_decode(text, len(text) - len(text.lstrip(_WHITESPACE)))
    except json.JSONDecodeError as exc:
        return None, f"第 {line_no} 行不是有效的 JSON：{exc.msg}（列 {exc.colno}）"
    except _ValueError as exc:
        return None, f"第 {line_no} 行：{exc}"
    except RecursionError:
        return None, f"第 {line_no} 行 JSON 嵌套过深，无法读取"
    if text[end:].strip(_WHITESPACE):
        return None, f"第 {line_no} 行不是有效的 JSON：Extra data（列 {end + 1}）"
    return value, None


# ---------------------------------------------------------------- JSON arrays


class _Unreadable(Exception):
    """The rest of the file cannot be read (invalid UTF-8)."""


class _Buffer:
    """A sliding window over the decoded text of a byte stream, with the position in it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.bytes_read = 0
        self.text = ""
        self.pos = 0
        self.eof = False
        self.broken: str | None = None  # why the bytes after the text cannot be read
        self.consumed = 0  # characters dropped from the front, for error offsets

    def more(self, size: int = _CHUNK) -> bool:
        """Appends the next chunk; False at the end.

        Invalid UTF-8 ends the text just before it; asking for more after that
        raises _Unreadable, so the records before the break are still read.
        """
        if self.broken is not None:
            raise _Unreadable(self.broken)
        if self.eof:
            return False
        raw = self.stream.read(size)
        if self.bytes_read == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
            self.bytes_read = len(_BOM)
        pending = self.decoder.getstate()[0]
        try:
            chunk = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            data = pending + raw
            chunk = data[: exc.start].decode("utf-8")
            where = self.bytes_read - len(pending) + exc.start + 1
            self.broken = f"第 {where} 字节起不是有效的 UTF-8"
            if not chunk:
                raise _Unreadable(self.broken) from None
        self.bytes_read += len(raw)
        if not raw:
            self.eof = True
        if self.pos > _CHUNK:  # drop what has been decoded already
            self.consumed += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        self.text += chunk
        return bool(raw) or bool(chunk)

    def skip_space(self) -> str:
        """Moves past white space; returns the next character or "" at the end."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""


def _array_items(stream: BinaryIO, limit: int) -> Iterator[Item]:
    buf = _Buffer(stream)
    decoder = make_decoder()
    number = 0
    try:
        buf.skip_space()
        buf.pos += 1  # the opening "["
        if buf.skip_space() == "]":
            return
        while True:
            number += 1
            value, error, resumable = _decode_one(buf, decoder, limit)
            if error is not None:
                yield Item(number, None, error=error, unreadable=True)
                if not resumable:
                    return
            else:
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
                    yield Item(number + 1, None, error=message, unreadable=True)
                return
            where = buf.consumed + buf.pos + 1
            shown = repr(following) if following else "文件结尾"
            message = f"JSON 数组在第 {where} 个字符处应为 “,” 或 “]”，实为 {shown}"
            yield Item(number + 1, None, error=message, unreadable=True)
            return
    except _Unreadable as exc:
        yield Item(number or 1, None, error=f"JSON 数组{exc}", unreadable=True)


def _decode_one(
    buf: _Buffer, decoder: json.JSONDecoder, limit: int
) -> tuple[object, str | None, bool]:
    """(value, error, whether reading can go on after the error)."""
    if buf.skip_space() == "":
        return None, "JSON 数组未结束（缺少 “]”）", False
    start = buf.consumed + buf.pos + 1
    size = _CHUNK
    while True:
        try:
            value, end = decoder.raw_decode(buf.text, buf.pos)
        except json.JSONDecodeError as exc:
            where = buf.consumed + exc.pos + 1
            if exc.pos < len(buf.text) - _CUT_TOKEN and not exc.msg.startswith("Unterminated"):
                # Not cut by the end of the buffer: more text cannot mend it.
                return None, f"JSON 数组在第 {where} 个字符处无效：{exc.msg}", False
            if len(buf.text) - buf.pos > limit:  # a UTF-8 character is at least a byte
                return None, f"JSON 数组第 {start} 个字符起的记录超过 {limit} 字节", False
            if buf.more(size):
                size = min(size * 2, _MAX_READ)  # a long element: read ahead faster
                continue
            return (
                None,
                f"JSON 数组在第 {where} 个字符处无效：{exc.msg}",
                False,
            )
        except _ValueError as exc:
            return None, f"JSON 数组第 {start} 个字符起的记录：{exc}", False
        except RecursionError:
            return None, f"JSON 数组第 {start} 个字符起的记录嵌套过深，无法读取", False
        # A number at the very end of the buffer may continue in the next chunk,
        # also when the chunk ends just after its "." or "e" ("1." + "5").
        cut = end == len(buf.text) or (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not buf.text[end:].strip(_NUMBER_TAIL)
        )
        if cut and buf.more(size):
            continue
        element = buf.text[buf.pos : end]
        buf.pos = end
        if len(element) * 4 > limit and len(element.encode("utf-8", "surrogatepass")) > limit:
            return None, f"JSON 数组第 {start} 个字符起的记录超过 {limit} 字节", True
        return value, None, True
