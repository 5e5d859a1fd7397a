"""benchmarks/gen_records.py: the benchmarks' inputs are what they say they are.

Seeded and byte-for-byte repeatable; exactly the records asked for; valid records pass
every profile and broken ones fail with one to three errors; the mixed dataset is
consistent across records (unique RowGuids, every ProjectNo has its accept record, every
reconciliation count right). No timing is asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_records", REPO / "benchmarks" / "gen_records.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_records"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def generate(
    gen: ModuleType, project: Path, directory: Path, total: int, mix: str, seed: int = 7
) -> dict[str, list[dict[str, Any]]]:
    gen.generate(total, mix, seed, 0.5, None, directory, True, project / "generated")
    return {
        path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(directory.glob("*.jsonl"))
    }


def test_same_seed_same_bytes_other_seed_other_bytes(
    gen: ModuleType, project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(gen, project, tmp_path / name, 700, "mixed", seed)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "accept.jsonl").read_bytes() != (
        tmp_path / "c" / "accept.jsonl"
    ).read_bytes()


@pytest.mark.parametrize("total", [1, 2, 3, 100, 1000])
def test_mixed_writes_exactly_the_records_asked_for(
    gen: ModuleType, project: Path, pkg: ModuleType, tmp_path: Path, total: int
) -> None:
    data = generate(gen, project, tmp_path, total, "mixed")
    written = sum(len(records) for records in data.values())
    assert written == (0 if total == 1 else total)  # one lone record would need a batch too


def test_accept_only_is_accept_records_only(
    gen: ModuleType, project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    data = generate(gen, project, tmp_path, 500, "accept-only")
    assert list(data) == ["accept"]
    assert len(data["accept"]) == 500


def test_mixed_dataset_is_consistent_across_records(
    gen: ModuleType, project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    data = generate(gen, project, tmp_path, 2500, "mixed")
    assert set(data) == set(pkg.RECORD_KEYS)
    accepts = {r["ProjectNo"] for r in data["accept"]}
    held: Counter[tuple[str, str]] = Counter()
    tables = {str(k): str(v) for k, v in pkg.spec.RECONCILIATION_TABLES.items()}
    for key, records in data.items():
        if key == "reconciliation":
            continue
        guids = [r["RowGuid"] for r in records]
        assert len(set(guids)) == len(guids), key
        assert {r["ProjectNo"] for r in records} <= accepts, key
        held.update((tables[key], r["Cd_Batch"]) for r in records)
    counted = {(r["Table_name"], r["Cd_batch"]): r["Cd_count"] for r in data["reconciliation"]}
    assert len(counted) == len(data["reconciliation"])
    assert counted == dict(held)


def test_valid_records_pass_every_profile_broken_ones_fail_one_to_three_times(
    gen: ModuleType, project: Path, pkg: ModuleType, tmp_path: Path
) -> None:
    data = generate(gen, project, tmp_path, 2500, "mixed")
    invalid = 0
    for key, records in data.items():
        for record in records:
            found = pkg.errors(pkg.validate(key, record))
            if found:
                invalid += 1
                assert 1 <= len(found) <= 3, (key, [(p.field, p.code) for p in found])
            else:
                for profile in ("gateway", "strict"):
                    assert pkg.errors(pkg.validate(key, record, profile)) == [], (key, profile)
    business = sum(len(r) for k, r in data.items() if k != "reconciliation")
    assert 0.4 * business < invalid < 0.6 * business  # --invalid-share 0.5
