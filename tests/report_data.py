"""A small dataset with every kind of thing the validate report shows: invalid records of two
types, personal values (names, ID numbers) in problems, cross-record problems (a repeated
RowGuid, unknown projects, a reconciliation count) and a line that cannot be read."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

ACCEPTS = 30
PROCESSES = 12
# Personal values the dataset puts into problems; none may appear unmasked in a report.
PERSONAL_NAME = "李四"
ID_PREFIX = "44010619900101"


def phone_name(i: int) -> int:
    """A personal name field filled with a phone number (a type problem that shows it)."""
    return 13800000000 + i


def write_dataset(pkg: ModuleType, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    accepts = []
    for i in range(ACCEPTS):
        record = _record(pkg, "accept", i)
        if i % 5 == 1:
            record["ApplyerName"] = phone_name(i)
        elif i % 5 == 2:
            record["ApplyerPageType"] = "111"
            record["ApplyerPageCode"] = f"{ID_PREFIX}{i:04d}"
        elif i % 5 == 3:
            record["SLZTDM"] = "9"
        if i % 7 == 0:
            record["ContactName"] = [PERSONAL_NAME]
        accepts.append(record)
    accepts[10]["RowGuid"] = accepts[9]["RowGuid"]  # a second insert of one RowGuid
    lines = [json.dumps(r, ensure_ascii=False) for r in accepts]
    lines.insert(5, '{"RowGuid": "broken')  # a line that is not JSON
    (folder / "accept.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    processes = []
    for i in range(PROCESSES):
        record = _record(pkg, "process", 1000 + i)
        if i % 4 == 0:
            record["ProjectNo"] = f"11440000MB2D0461X44442011800001201906209{i:03d}"
        if i % 3 == 0:
            record["EventName"] = "9"
        processes.append(record)
    lines = [json.dumps(r, ensure_ascii=False) for r in processes]
    (folder / "process.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The example's Cd_count (1) differs from the accept records held for its batch.
    reconciliation = json.dumps(pkg.EXAMPLES["reconciliation"], ensure_ascii=False)
    (folder / "reconciliation.jsonl").write_text(reconciliation + "\n", encoding="utf-8")
    return folder


def _record(pkg: ModuleType, key: str, i: int) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(pkg.EXAMPLES[key])
    record["RowGuid"] = str(uuid.UUID(int=i + 1))
    return record
