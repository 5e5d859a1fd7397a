"""Reads ``spec/`` into typed documents, checking everything in one pass.

Layout: ``standard.yaml``, ``codesets.yaml``, ``errata.yaml`` and one
``records/<key>.yaml`` per record type listed in ``standard.yaml``. Every
problem (syntax, shape, cross-reference) is collected and raised together as a
``SpecError``; nothing downstream ever sees a spec that failed here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from codegen.build_cache import generator_digest, key_of, load, store
from codegen.spec.binding import Binder
from codegen.spec.checks import check_docs
from codegen.spec.documents import (
    CodeSetsDoc,
    CurrenciesDoc,
    ErrataDoc,
    RecordDoc,
    RegionsDoc,
    SpecDocs,
    StandardDoc,
)
from codegen.spec.errors import SpecError, SpecProblem
from codegen.spec.paths import (
    CODESETS_FILE,
    CURRENCIES_FILE,
    ERRATA_FILE,
    RECORDS_DIR,
    REGIONS_FILE,
    STANDARD_FILE,
    record_file,
)
from codegen.spec.yaml_io import read_yaml


@dataclass(frozen=True)
class LoadedSpec:
    docs: SpecDocs
    # Spec-relative path → file text, exactly as read (for hashing and layout checks).
    texts: dict[str, str]

    @property
    def hash(self) -> str:
        return spec_hash(self.texts)


def spec_hash(texts: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(texts):
        digest.update(path.encode() + b"\0" + texts[path].encode() + b"\0")
    return digest.hexdigest()


#: The largest spec file read (the largest, regions.yaml, is about 140 KB).
SPEC_FILE_MAX_BYTES = 16 * 1024 * 1024


class SpecFileRefused(Exception):
    """A spec file that is not read: not a regular file, or too large."""


def read_spec_text(path: Path) -> str:
    """A spec file's text: a regular file of at most SPEC_FILE_MAX_BYTES, UTF-8."""
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO or device never ends
        raise SpecFileRefused("不是普通文件 (not a regular file)")
    with open(path, "rb") as stream:
        data = stream.read(SPEC_FILE_MAX_BYTES + 1)
    if len(data) > SPEC_FILE_MAX_BYTES:
        raise SpecFileRefused(f"文件超过 {SPEC_FILE_MAX_BYTES} 字节 (file too large)")
    return data.decode("utf-8")


def load_spec(spec_dir: Path, *, for_build: bool = True) -> LoadedSpec:
    """The spec under ``spec_dir``, checked; ``for_build=False`` for a spec that is only
    read (``codegen diff``): see ``check_docs``."""
    problems: list[SpecProblem] = []
    texts: dict[str, str] = {}

    def bind(rel: str, cls: type) -> object | None:
        path = spec_dir / rel
        try:
            text = read_spec_text(path)
        except FileNotFoundError:
            problems.append(SpecProblem(f"spec/{rel}", "(file)", "文件不存在 (file missing)"))
            return None
        except (OSError, UnicodeDecodeError, SpecFileRefused) as exc:
            message = f"无法读取 (cannot read)：{exc}"
            problems.append(SpecProblem(f"spec/{rel}", "(file)", message, unreadable=True))
            return None
        texts[rel] = text
        result, found = parse_spec_file(rel, cls, text)
        problems.extend(found)
        return result

    if not spec_dir.is_dir():
        raise SpecError([SpecProblem(str(spec_dir), "(directory)", "规范目录不存在")])

    standard = bind(STANDARD_FILE, StandardDoc)
    codesets = bind(CODESETS_FILE, CodeSetsDoc)
    errata = bind(ERRATA_FILE, ErrataDoc)
    regions = bind(REGIONS_FILE, RegionsDoc)
    currencies = bind(CURRENCIES_FILE, CurrenciesDoc)

    records: list[RecordDoc] = []
    records_dir = spec_dir / RECORDS_DIR
    if isinstance(standard, StandardDoc):
        listed: tuple[str, ...] = standard.records
    elif records_dir.is_dir():
        # standard.yaml is unusable: still check the record files that exist,
        # rather than skipping them and reporting each one as unlisted.
        listed = tuple(sorted(p.stem for p in records_dir.iterdir() if p.suffix == ".yaml"))
    else:
        listed = ()
    for key in listed:
        record = bind(record_file(key), RecordDoc)
        if isinstance(record, RecordDoc):
            if record.key != key:
                problems.append(
                    SpecProblem(f"spec/{record_file(key)}", "key", f"应为 {key!r}（与文件名一致）")
                )
            records.append(record)
    if records_dir.is_dir():
        for path in sorted(records_dir.iterdir()):
            if path.suffix in (".yaml", ".yml") and path.stem not in listed:
                problems.append(
                    SpecProblem(
                        f"spec/{RECORDS_DIR}/{path.name}",
                        "(file)",
                        "记录文件未列入 standard.yaml 的 records (not listed in standard.yaml)",
                    )
                )

    if not (
        isinstance(standard, StandardDoc)
        and isinstance(codesets, CodeSetsDoc)
        and isinstance(errata, ErrataDoc)
        and isinstance(regions, RegionsDoc)
        and isinstance(currencies, CurrenciesDoc)
    ):
        raise SpecError(problems)
    docs = SpecDocs(standard, codesets, tuple(records), errata, regions, currencies)
    # The cross-reference checks run even when a record file failed to parse, so one
    # run reports everything; problems that only say "that record is missing" are
    # left out, since the record's own problems are reported already.
    unparsed = {key for key in listed if key not in {r.key for r in records}}
    problems.extend(
        p for p in check_docs(docs, for_build=for_build) if not _about_unparsed(p, unparsed)
    )
    if problems:
        raise SpecError(problems)
    return LoadedSpec(docs, texts)


def parse_spec_file(rel: str, cls: type, text: str) -> tuple[object | None, list[SpecProblem]]:
    """One spec file's document (None if unusable) and its own problems, cached by its text.

    Parsing and binding cost most of a load (regions.yaml is about 140 KB); only the files
    that changed since the last build are parsed again.
    """
    key = key_of("spec", generator_digest(), rel, cls.__qualname__, text)
    hit = load("spec", key)
    if isinstance(hit, tuple):
        return hit
    problems: list[SpecProblem] = []
    data = read_yaml(text, f"spec/{rel}", problems)
    if data is None:
        if not any(p.file == f"spec/{rel}" for p in problems):
            problems.append(SpecProblem(f"spec/{rel}", "(document)", "文件为空"))
        return None, problems
    binder = Binder(f"spec/{rel}")
    result = binder.parse(cls, data)
    problems.extend(binder.problems)
    store("spec", key, (result, problems), keep=SPEC_ENTRIES_KEPT)
    return result, problems


# Parsed spec files kept in the cache (a few builds' worth of every file).
SPEC_ENTRIES_KEPT = 100


def _about_unparsed(problem: SpecProblem, unparsed: set[str]) -> bool:
    return (
        any(repr(key) in problem.message for key in unparsed)
        and "未知的记录类型" in problem.message
    )
