"""The canonical text of a spec document, cached by its data (codegen.build_cache ``yaml``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.spec.canonical import canonical_text, documents
from codegen.spec.loader import load_spec
from codegen.spec.yaml_io import dump_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GDZW_CODEGEN_CACHE", str(cache))
    return cache


def test_cached_text_is_the_canonical_text(private_cache: Path) -> None:
    docs = documents(load_spec(ROOT / "spec").docs)
    chosen = ["standard.yaml", "codesets.yaml", "records/accept.yaml"]
    on_disk = {rel: (ROOT / "spec" / rel).read_text(encoding="utf-8") for rel in chosen}
    first = {rel: canonical_text(docs[rel]) for rel in chosen}  # emitted, then stored
    entries = sorted((private_cache / "yaml").glob("*/*.pickle"))
    assert len(entries) == len(chosen)
    second = {rel: canonical_text(docs[rel]) for rel in chosen}  # read from the cache
    assert first == second == on_disk
    assert sorted((private_cache / "yaml").glob("*/*.pickle")) == entries


@pytest.mark.parametrize(
    "values",
    [
        [1, "1", True, 1.0, None, "null"],
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
        [{1: "x"}, {"1": "x"}, {True: "x"}],
        [["a"], "['a']", "a"],
    ],
)
def test_data_that_differs_only_in_type_or_order_is_not_mixed_up(
    private_cache: Path, values: list[object]
) -> None:
    for _ in range(2):  # the second pass reads the cache
        assert [canonical_text(v) for v in values] == [dump_yaml(v) for v in values]


def test_other_data_is_emitted_uncached(private_cache: Path) -> None:
    assert canonical_text({"a": {1, 2}}) == dump_yaml({"a": {1, 2}})
    assert not (private_cache / "yaml").exists()
