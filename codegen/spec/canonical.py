"""The canonical text of every spec file, as ``codegen fmt`` writes it."""

from __future__ import annotations

from pathlib import Path

from codegen.build_cache import generator_digest, key_of, load, store
from codegen.spec.binding import dump
from codegen.spec.documents import SpecDocs
from codegen.spec.paths import (
    CODESETS_FILE,
    CURRENCIES_FILE,
    ERRATA_FILE,
    REGIONS_FILE,
    STANDARD_FILE,
    record_file,
)
from codegen.spec.yaml_io import dump_yaml

# How a spec file out of the canonical layout is reported (fmt --check, build, build --check).
NOT_CANONICAL = "不是规范布局，请运行 `codegen fmt` (not in canonical layout: run `codegen fmt`)"


def documents(docs: SpecDocs) -> dict[str, object]:
    """Spec-relative path → the document that file holds."""
    found: dict[str, object] = {
        STANDARD_FILE: docs.standard,
        CODESETS_FILE: docs.codesets,
        ERRATA_FILE: docs.errata,
        REGIONS_FILE: docs.regions,
        CURRENCIES_FILE: docs.currencies,
    }
    for record in docs.records:
        found[record_file(record.key)] = record
    return found


def canonical_texts(docs: SpecDocs) -> dict[str, str]:
    """Spec-relative path → canonical YAML text, for every spec document."""
    return {rel: canonical_text(doc) for rel, doc in documents(docs).items()}


def canonical_text(doc: object) -> str:
    """The canonical YAML text of one document, cached by its data (codegen.build_cache).

    PyYAML's pure-Python emitter is slow, and ``xlsx import``, ``fmt`` and the tests
    write the same documents again and again. The key is the ``repr`` of the plain data
    (dicts in key order, lists, str, int, float, bool, None), which tells every such value
    from every other; data of any other type is emitted uncached.
    """
    data = dump(doc)
    if not _plain(data):
        return dump_yaml(data)
    key = key_of("yaml", generator_digest(), repr(data))
    text = load("yaml", key)
    if not isinstance(text, str):
        text = dump_yaml(data)
        store("yaml", key, text, keep=TEXT_ENTRIES_KEPT)
    return text


_SCALARS = (str, int, float, bool, type(None))


def _plain(data: object) -> bool:
    """True if ``data`` is made only of the types whose repr tells them apart."""
    if type(data) in _SCALARS:
        return True
    if type(data) is list:
        return all(_plain(item) for item in data)
    if type(data) is dict:
        return all(type(k) in _SCALARS and _plain(v) for k, v in data.items())
    return False


def non_canonical(docs: SpecDocs, texts: dict[str, str]) -> list[str]:
    """Spec files (relative to spec/) whose text differs from the canonical layout.

    The answer for each file is cached by its text (codegen.build_cache): the document is
    a function of the text, and PyYAML's pure-Python emitter is slow.
    """
    found = documents(docs)
    bad = []
    for rel, text in texts.items():
        key = key_of("layout", generator_digest(), rel, text)
        canonical = load("layout", key)
        if not isinstance(canonical, bool):
            doc = found.get(rel)
            canonical = doc is not None and canonical_text(doc) == text
            store("layout", key, canonical, keep=LAYOUT_ENTRIES_KEPT)
        if not canonical:
            bad.append(rel)
    return sorted(bad)


# Layout answers and canonical texts kept in the cache.
LAYOUT_ENTRIES_KEPT = 200
TEXT_ENTRIES_KEPT = 400


def write_canonical(docs: SpecDocs, spec_dir: Path) -> list[str]:
    """Rewrites spec files whose text is not canonical; returns those it changed."""
    changed = []
    for rel, text in canonical_texts(docs).items():
        path = spec_dir / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            tmp.replace(path)
            changed.append(rel)
    return changed
