"""`codegen send` with the default outbox, ranges and resends; `codegen outbox status | requeue |
prune | migrate` on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import importlib
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from test_outbox_shared import make_v1

from codegen.cli.main import main

TOKEN = "cli-outbox-token"
ORG = "11440000MB2D0461X4"


@pytest.fixture()
def mock(pkg: ModuleType) -> ModuleType:
    return importlib.import_module(pkg.__name__ + ".mock")


@pytest.fixture()
def gateway(mock: ModuleType) -> Iterator[Any]:
    with mock.MockGateway(TOKEN) as server:
        yield server


@pytest.fixture()
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


def write_records(pkg: ModuleType, path: Path, count: int, seed: int = 0, **changes: Any) -> None:
    lines = []
    for i in range(count):
        record = copy.deepcopy(pkg.EXAMPLES["accept"])
        record["RowGuid"] = str(uuid.UUID(int=(seed << 32) + i))
        record.update(changes)
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(project: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--root", str(project), *args], env={"GDZW_TOKEN": TOKEN})


def test_send_uses_one_default_outbox_whatever_the_working_directory(
    pkg: ModuleType,
    project: Path,
    tmp_path: Path,
    gateway: Any,
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two runs of one organisation from two folders share one sequence: batch numbers never
    repeat and every reconciliation is accepted (the failure this replaces: 60001)."""
    target = ["--base-url", gateway.base_url, "--org-code", ORG]
    for n, folder in enumerate(("one", "two")):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        write_records(pkg, Path("accept.jsonl"), 120, seed=n)
        result = run(project, "send", "--interface", "accept", "accept.jsonl", *target)
        assert result.exit_code == 0, result.output
        assert "2 reconciliation records" in result.output
    files = list((state_home / "gdzw_uppro" / "outbox").iterdir())
    assert len(files) == 1 and files[0].name.startswith(ORG + "-127.0.0.1-")
    batches = {r["Cd_batch"] for r in gateway.records("reconciliation")}
    assert len(batches) == 4 and sorted(b[-5:] for b in batches) == [
        "00001",
        "00002",
        "00003",
        "00004",
    ]
    status = run(project, "outbox", "status", *target)
    assert status.exit_code == 0, status.output
    assert "done" in status.output and "240" in status.output
    assert not list(tmp_path.glob("**/gdzw-outbox.sqlite3"))


def test_send_refuses_an_outbox_of_another_target(
    pkg: ModuleType, project: Path, tmp_path: Path, gateway: Any, mock: ModuleType
) -> None:
    source = tmp_path / "accept.jsonl"
    write_records(pkg, source, 3)
    box = str(tmp_path / "box.sqlite3")
    args = ["send", "--interface", "accept", str(source), "--org-code", ORG, "--outbox", box]
    assert run(project, *args, "--base-url", gateway.base_url).exit_code == 0
    with mock.MockGateway(TOKEN) as other:
        refused = run(project, *args, "--base-url", other.base_url)
    assert refused.exit_code == 2
    assert "接口地址" in refused.output and gateway.base_url in refused.output
    other_org = run(
        project, *args[:-4], "--org-code", "91440101MA5C12345X", "--outbox", box,
        "--base-url", gateway.base_url,
    )  # fmt: skip
    assert other_org.exit_code == 2 and ORG in other_org.output


def test_sequence_range_and_mismatch_message(
    pkg: ModuleType, project: Path, tmp_path: Path, gateway: Any, state_home: Path
) -> None:
    source = tmp_path / "accept.jsonl"
    write_records(pkg, source, 5)
    base = ["send", "--interface", "accept", str(source), "--base-url", gateway.base_url]
    first = run(
        project, *base, "--org-code", ORG, "--outbox", str(tmp_path / "a.sqlite3"),
        "--sequence-range", "1-49999",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    # a second, independent outbox with no range: it starts at 00001 too
    write_records(pkg, source, 5, seed=1)
    clash = run(project, *base, "--org-code", ORG, "--outbox", str(tmp_path / "b.sqlite3"))
    assert clash.exit_code == 1
    assert "相同的批次号" in clash.output and "--sequence-range" in clash.output
    # with a disjoint range there is no clash
    write_records(pkg, source, 5, seed=2)
    apart = run(
        project, *base, "--org-code", ORG, "--outbox", str(tmp_path / "c.sqlite3"),
        "--sequence-range", "50000-99999",
    )  # fmt: skip
    assert apart.exit_code == 0, apart.output
    assert any(r["Cd_batch"].endswith("50000") for r in gateway.records("reconciliation"))
    changed = run(
        project, *base, "--org-code", ORG, "--outbox", str(tmp_path / "c.sqlite3"),
        "--sequence-range", "1-10",
    )  # fmt: skip
    assert changed.exit_code == 2 and "50000-99999" in changed.output
    bad = run(project, *base, "--org-code", ORG, "--sequence-range", "9-1")
    assert bad.exit_code == 2 and "序号段" in bad.output


@pytest.fixture()
def store(outbox_store: str) -> str:
    return outbox_store


def test_outbox_status_requeue_prune(
    pkg: ModuleType, project: Path, tmp_path: Path, mock: ModuleType, store: str
) -> None:
    source = tmp_path / "accept.jsonl"
    write_records(pkg, source, 120)
    with mock.MockGateway(TOKEN, errcode_rate=1.0) as failing:
        result = run(
            project, "send", "--interface", "accept", str(source), "--org-code", ORG,
            "--outbox", store, "--base-url", failing.base_url, "--max-attempts", "1",
        )  # fmt: skip
        assert result.exit_code == 1
        assert "dead batch" in result.output
        status = run(project, "outbox", "status", "--outbox", store)
        assert status.exit_code == 0, status.output
        assert "dead" in status.output and "60000" in status.output
        assert re.search(r"^dead\s+2\s+120$", status.output, re.M)
        first = re.findall(r"^dead (\S+) \(accept, 99 records, 1 tries\)", status.output, re.M)[0]
        one = run(project, "outbox", "requeue", "--outbox", store, "--batch", first)
        assert one.exit_code == 0 and "1 batches requeued" in one.output
        unknown = run(project, "outbox", "requeue", "--outbox", store, "--batch", "nope")
        assert unknown.exit_code == 2
        rest = run(project, "outbox", "requeue", "--outbox", store)
        assert "1 batches requeued" in rest.output
        failing.errcode_rate = 0.0
        again = run(
            project, "send", "--interface", "accept", str(source), "--org-code", ORG,
            "--outbox", store, "--base-url", failing.base_url,
        )  # fmt: skip
        assert again.exit_code == 0, again.output
        assert "120 skipped as unchanged, 2 batches delivered" in again.output
    pruned = run(project, "outbox", "prune", "--outbox", store, "--older-than-days", "0")
    assert pruned.exit_code == 0 and "120 delivered record bodies pruned" in pruned.output
    status = run(project, "outbox", "status", "--outbox", store)
    assert "pruned): 2" in status.output


def test_outbox_commands_need_a_target(project: Path, state_home: Path) -> None:
    result = run(project, "outbox", "status")
    assert result.exit_code == 2 and "--outbox" in result.output
    bad = run(project, "outbox", "status", "--outbox", "postgresql://nobody@127.0.0.1:1/none")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_old_default_outbox_is_reported_and_migrated(
    pkg: ModuleType, project: Path, tmp_path: Path, gateway: Any, state_home: Path
) -> None:
    make_v1(pkg, tmp_path / "gdzw-outbox.sqlite3")
    with sqlite3.connect(tmp_path / "gdzw-outbox.sqlite3") as db:  # its delivered batch reconciled
        db.execute("UPDATE batches SET reconciled_at = 'x' WHERE state = 'done'")
    source = tmp_path / "accept.jsonl"
    write_records(pkg, source, 2, seed=9)
    target = ["--org-code", ORG, "--base-url", gateway.base_url]
    sent = run(project, "send", "--interface", "accept", str(source), *target)
    assert sent.exit_code == 0, sent.output
    assert "gdzw-outbox.sqlite3" in sent.output and "codegen outbox migrate" in sent.output

    moved = run(project, "outbox", "migrate", *target)
    assert moved.exit_code == 0, moved.output
    assert "2 batches, 4 records moved" in moved.output
    assert not (tmp_path / "gdzw-outbox.sqlite3").exists()
    assert (tmp_path / "gdzw-outbox.sqlite3.migrated").exists()

    again = run(project, "send", "--interface", "accept", str(source), *target)
    assert again.exit_code == 0, again.output
    assert "migrate" not in again.output
    assert "2 batches delivered" in again.output  # the two migrated batches
