"""Which files a ``codegen validate`` run reads, and the record type of each.

An argument is a file, a directory (its data files, recursively, in name
order) or ``KEY=PATH`` (every file there is of type KEY). Without a given type,
a file's type is the record key its name starts with, letter case aside:
``accept.jsonl``, ``accept-2024-01.jsonl``, ``process_part2.json``,
``specialprocedure-01.jsonl`` (the longest key that matches wins; the key must
not run on into a letter, so ``acceptance.json`` names no type).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


class InputError(Exception):
    """An argument that names no readable data file, or a file of unknown type."""


@dataclass(frozen=True)
class DataFile:
    key: str
    path: Path


def data_suffixes() -> tuple[str, ...]:
    """Suffixes of the files a directory is scanned for (workbooks when they can be read)."""
    try:
        from codegen.data.record_files import XLSX_SUFFIXES
    except ImportError:  # pragma: no cover - the workbook reader is optional
        return JSON_SUFFIXES
    return JSON_SUFFIXES + tuple(XLSX_SUFFIXES)


def key_from_name(name: str, keys: Iterable[str]) -> str | None:
    """The record type a file name starts with, or None."""
    lowered = name.casefold()
    for key in sorted(keys, key=len, reverse=True):
        if lowered.startswith(key.casefold()) and not lowered[len(key) : len(key) + 1].isalpha():
            return key
    return None


def resolve_inputs(
    arguments: Sequence[str], keys: Sequence[str], interface: str | None = None
) -> list[DataFile]:
    """The data files the arguments name, each with its record type, in argument order.

    ``interface`` gives every file that type (``--interface``). A file named
    twice is read once. Raises InputError naming every argument or file that
    does not exist, holds no data files, or whose type cannot be told.
    """
    found: list[DataFile] = []
    seen: set[Path] = set()
    problems: list[str] = []
    for argument in arguments:
        given, path = _split(argument, keys)
        if given is not None and argument.endswith("="):
            problems.append(f"{argument}: {given}= 后缺少路径 (no path after {given}=)")
            continue
        if given is not None and interface is not None:
            problems.append(f"{argument}: 已用 --interface {interface} 指定类型，不能再写 KEY=PATH")
            continue
        if not path.exists():
            problems.append(_missing(argument, keys) if given is None else _no_path(argument))
            continue
        files = _scan(path) if path.is_dir() else [path]
        if not files:
            suffixes = "、".join(data_suffixes())
            problems.append(f"{argument}: 目录中没有数据文件（{suffixes}）(no data files)")
        for file in files:
            if not _utf8_name(file):
                problems.append(
                    f"{_shown(file)}: 文件名不是有效的 UTF-8，请改名 (the file name is not "
                    "valid UTF-8: rename the file)"
                )
                continue
            key = given or interface or key_from_name(file.name, keys)
            if key is None:
                problems.append(
                    f"{file}: 无法从文件名判断记录类型 (cannot tell the record type from the "
                    f"file name)；文件名应以记录类型开头（{', '.join(keys)}），"
                    f"或写作 KEY={file}"
                )
                continue
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(DataFile(key, file))
    if problems:
        raise InputError("\n".join(problems))
    return found


def _utf8_name(path: Path) -> bool:
    """Whether the path's name decoded: bytes that are not UTF-8 reach Python as lone
    surrogates, which neither the output, the cross-record index nor a report can hold."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(path: Path) -> str:
    """The path printable, its undecodable bytes as ``\\xff``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _split(argument: str, keys: Sequence[str]) -> tuple[str | None, Path]:
    """``KEY=PATH`` → (KEY, PATH); an existing path or anything else → (None, path)."""
    path = Path(argument)
    name, sep, rest = argument.partition("=")
    if sep and not path.exists() and name.casefold() in (k.casefold() for k in keys):
        key = next(k for k in keys if k.casefold() == name.casefold())
        return key, Path(rest)
    return None, path


def _missing(argument: str, keys: Sequence[str]) -> str:
    name, sep, _ = argument.partition("=")
    if sep and name.isidentifier():
        return (
            f"{argument}: 文件不存在，且 {name!r} 不是记录类型 (no such file, and not a "
            f"record type; choose from {', '.join(keys)})"
        )
    return _no_path(argument)


def _no_path(argument: str) -> str:
    return f"{argument}: 文件或目录不存在 (no such file or directory)"


def _scan(directory: Path) -> list[Path]:
    suffixes = data_suffixes()
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.suffix.casefold() in suffixes
        and not any(part.startswith((".", "~$")) for part in path.relative_to(directory).parts)
    )
