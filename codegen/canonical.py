"""The canonical text of every spec file, as ``codegen fmt`` writes it."""

from __future__ import annotations

from pathlib import Path

from codegen.binding import dump
from codegen.loader_paths import (
    CODESETS_FILE,
    CURRENCIES_FILE,
    ERRATA_FILE,
    REGIONS_FILE,
    STANDARD_FILE,
    record_file,
)
from codegen.spec_docs import SpecDocs
from codegen.spec_yaml import dump_yaml


def canonical_texts(docs: SpecDocs) -> dict[str, str]:
    """Spec-relative path → canonical YAML text, for every spec document."""
    texts = {
        STANDARD_FILE: dump_yaml(dump(docs.standard)),
        CODESETS_FILE: dump_yaml(dump(docs.codesets)),
        ERRATA_FILE: dump_yaml(dump(docs.errata)),
        REGIONS_FILE: dump_yaml(dump(docs.regions)),
        CURRENCIES_FILE: dump_yaml(dump(docs.currencies)),
    }
    for record in docs.records:
        texts[record_file(record.key)] = dump_yaml(dump(record))
    return texts


def non_canonical(docs: SpecDocs, texts: dict[str, str]) -> list[str]:
    """Spec files (relative to spec/) whose text differs from the canonical layout."""
    canonical = canonical_texts(docs)
    return sorted(rel for rel, text in texts.items() if canonical.get(rel) != text)


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
