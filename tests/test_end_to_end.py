"""The generated client, outbox and CLI against the generated mock gateway on loopback."""

from __future__ import annotations

import copy
import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from codegen.cli.main import main

TOKEN = "e2e-token"
ORG = "11440000MB2D0461X4"


@pytest.fixture(scope="module", autouse=True)
def _import_submodules(pkg: ModuleType) -> None:
    importlib.import_module("gdzw_uppro.mock")


@pytest.fixture()
def gateway(pkg: ModuleType) -> Iterator[Any]:
    with pkg.mock.MockGateway(TOKEN) as server:
        yield server


def fast_retry(pkg: ModuleType, attempts: int = 10) -> Any:
    return pkg.client.RetryPolicy(attempts=attempts, backoff=0.001, ceiling=0.01, deadline=30.0)


def records(pkg: ModuleType, key: str, count: int, seed: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        record = copy.deepcopy(pkg.EXAMPLES[key])
        record["RowGuid"] = str(uuid.UUID(int=(seed << 32) + i))
        out.append(record)
    return out


@pytest.mark.parametrize(
    "key", ["accept", "process", "result", "specialprocedure", "material", "correction", "receive"]
)
def test_save_and_batch_save_for_every_record_type(pkg: ModuleType, gateway: Any, key: str) -> None:
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url)
    group = client.group(key)
    assert group.save(records(pkg, key, 1, seed=1)[0]).err_code == "0"
    batch = records(pkg, key, 150, seed=2)
    report = group.batch_save(batch)
    assert report.ok and report.requests == 2
    assert gateway.row_guids(key) == {r["RowGuid"] for r in batch} | {
        records(pkg, key, 1, seed=1)[0]["RowGuid"]
    }


def test_dataclass_records_are_sent_canonical(pkg: ModuleType, gateway: Any) -> None:
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url)
    record = pkg.AcceptRecord.from_dict(pkg.EXAMPLES["accept"])
    client.accept.save(record)
    stored = gateway.records("accept")
    assert len(stored) == 1 and stored[0]["ApplyDate"] == "2019-06-20 09:30:00"


def test_reconciliation_save_and_batch_save(pkg: ModuleType, gateway: Any) -> None:
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url)
    accept = records(pkg, "accept", 3)
    process = records(pkg, "process", 2)
    client.accept.batch_save(accept)
    client.process.batch_save(process)
    batch = accept[0]["Cd_Batch"]
    one = {
        "Table_name": "up_pro_accept_v3",
        "Cd_batch": batch,
        "Cd_count": 3,
        "Cd_time": "2019-06-20 10:00:00",
    }
    assert client.reconciliation.save(one).err_code == "0"
    two = dict(one, Table_name="up_pro_process_v3", Cd_count=2)
    assert client.reconciliation.batch_save([one, two]).ok
    with pytest.raises(pkg.client.ErrCodeError) as info:
        client.reconciliation.save(dict(one, Cd_count=4))
    assert info.value.err_code == pkg.spec.STATUSES["reconciliation_mismatch"].err_code


def test_wrong_token_is_refused(pkg: ModuleType, gateway: Any) -> None:
    client = pkg.client.Client("not-the-token", base_url=gateway.base_url)
    with pytest.raises(pkg.client.HttpStatusError) as info:
        client.accept.save(pkg.EXAMPLES["accept"])
    assert info.value.status == 401
    assert info.value.err_code == pkg.spec.STATUSES["bad_signature"].err_code
    assert "not-the-token" not in str(info.value)
    assert gateway.row_guids("accept") == set()


def test_stale_timestamp_is_refused(pkg: ModuleType, gateway: Any) -> None:
    import time

    client = pkg.client.Client(TOKEN, base_url=gateway.base_url, clock=lambda: time.time() - 3600)
    with pytest.raises(pkg.client.HttpStatusError) as info:
        client.accept.save(pkg.EXAMPLES["accept"])
    assert info.value.err_code == pkg.spec.STATUSES["stale_timestamp"].err_code


def test_missing_header_is_refused(pkg: ModuleType, gateway: Any) -> None:
    inner = pkg.client.UrllibTransport()

    def without_nonce(request: Any) -> Any:
        headers = {k: v for k, v in request.headers.items() if k != "x-tif-nonce"}
        return inner(pkg.client.HttpRequest(request.url, headers, request.body, request.timeout))

    client = pkg.client.Client(TOKEN, base_url=gateway.base_url, transport=without_nonce)
    with pytest.raises(pkg.client.HttpStatusError) as info:
        client.accept.save(pkg.EXAMPLES["accept"])
    assert info.value.err_code == pkg.spec.STATUSES["missing_header"].err_code
    assert "x-tif-nonce" in (info.value.err_msg or "")


def test_oversize_batch_is_refused(pkg: ModuleType, gateway: Any) -> None:
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url, validate=False)
    too_many = records(pkg, "accept", pkg.spec.BATCH_MAX_RECORDS + 1)
    with pytest.raises(pkg.client.HttpStatusError) as info:
        client.post("accept", "batch_save", too_many, too_many)
    assert info.value.err_code == pkg.spec.STATUSES["batch_too_large"].err_code
    assert gateway.row_guids("accept") == set()


def test_invalid_record_is_refused_by_client_and_gateway(pkg: ModuleType, gateway: Any) -> None:
    bad = dict(pkg.EXAMPLES["accept"], ApplyType="12")
    client = pkg.client.Client(TOKEN, base_url=gateway.base_url)
    with pytest.raises(pkg.InvalidRecordError):
        client.accept.save(bad)
    assert gateway.request_count == 0
    unchecked = pkg.client.Client(TOKEN, base_url=gateway.base_url, validate=False)
    with pytest.raises(pkg.client.HttpStatusError) as info:
        unchecked.accept.save(bad)
    assert info.value.err_code == pkg.spec.STATUSES["invalid_record"].err_code
    assert "ApplyType" in (info.value.err_msg or "")


SENDER = """
import sys
from pathlib import Path
from gdzw_uppro.client import Client, RetryPolicy
from gdzw_uppro.outbox import Outbox

base_url, outbox_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
# A short timeout and deadline keep the lease short: after the kill, the batch the killed
# sender held is taken over once its lease (the request's worst case, 3 s, plus 5 s) ends.
client = Client(
    {token!r}, base_url=base_url, timeout=1.0,
    retry=RetryPolicy(attempts=20, backoff=0.001, ceiling=0.01, deadline=2.0),
)
with Outbox(outbox_path, {org!r}, max_attempts=100) as outbox:
    if not outbox.batches():
        import copy, uuid
        from gdzw_uppro import EXAMPLES
        records = []
        for i in range(count):
            record = copy.deepcopy(EXAMPLES["accept"])
            record["RowGuid"] = str(uuid.UUID(int=i))
            records.append(record)
        report = outbox.enqueue("accept", records)
        print("enqueued", report.accepted, flush=True)
    outbox.deliver_all(client, on_batch=lambda b: print(b.state, b.cd_batch, flush=True))
    print("finished", flush=True)
"""


def test_ten_thousand_records_through_faults_and_a_kill(
    pkg: ModuleType, project: Path, tmp_path: Path
) -> None:
    """10,000 records, 20% injected faults (seeded), the sender killed mid-run and restarted:
    the gateway ends with exactly 10,000 distinct RowGuids and every reconciliation matches."""
    count = 10_000
    script = tmp_path / "sender.py"
    script.write_text(SENDER.format(token=TOKEN, org=ORG), encoding="utf-8")
    outbox_path = tmp_path / "outbox.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(project / "generated" / "python"))
    with pkg.mock.MockGateway(TOKEN, seed=20191, fault_rate=0.2) as gateway:
        args = [sys.executable, str(script), gateway.base_url, str(outbox_path), str(count)]
        child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["enqueued", str(count)]
        delivered = 0
        while delivered < 30:
            line = child.stdout.readline()
            assert line, "the sender stopped before it was killed"
            delivered += line.startswith("done ")
        child.kill()
        child.wait()
        assert len(gateway.row_guids("accept")) < count  # killed mid-run

        restarted = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        assert restarted.returncode == 0, restarted.stderr[-2000:]
        assert restarted.stdout.splitlines()[-1] == "finished"

        assert gateway.row_guids("accept") == {str(uuid.UUID(int=i)) for i in range(count)}
        client = pkg.client.Client(TOKEN, base_url=gateway.base_url, retry=fast_retry(pkg, 20))
        with pkg.outbox.Outbox(outbox_path, ORG) as outbox:
            assert outbox.counts() == {"done": count}
            reconciliation = outbox.reconciliation_records()
            assert sum(r["Cd_count"] for r in reconciliation) == count
            for r in reconciliation:
                assert gateway.count("accept", r["Cd_batch"]) == r["Cd_count"]
            # The gateway answers errCode 0 only when each count equals what it holds.
            assert outbox.send_reconciliation(client) == len(reconciliation)


def test_codegen_send_cli(pkg: ModuleType, project: Path, tmp_path: Path, gateway: Any) -> None:
    data = records(pkg, "accept", 120, seed=7)
    bad = dict(pkg.EXAMPLES["accept"], RowGuid=str(uuid.uuid4()), ApplyType="12")
    source = tmp_path / "accept.jsonl"
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [*data, bad]) + "\n", encoding="utf-8"
    )
    args = [
        "--root",
        str(project),
        "send",
        "--interface",
        "accept",
        str(source),
        "--base-url",
        gateway.base_url,
        "--org-code",
        ORG,
        "--outbox",
        str(tmp_path / "ob.sqlite3"),
    ]
    result = CliRunner().invoke(main, args, env={"GDZW_TOKEN": TOKEN})
    assert result.exit_code == 1, result.output  # one record was refused
    assert "#121" in result.output and "ApplyType（申请类型）" in result.output
    assert (
        "121 read, 1 refused, 0 skipped as unchanged, 2 batches delivered, 0 failed, "
        "2 reconciliation records" in result.output
    )
    assert gateway.row_guids("accept") == {r["RowGuid"] for r in data}
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in data) + "\n", encoding="utf-8"
    )
    again = CliRunner().invoke(main, args, env={"GDZW_TOKEN": TOKEN})
    assert again.exit_code == 0, again.output
    assert "120 read, 0 refused, 120 skipped as unchanged, 0 batches delivered" in again.output
    forced = CliRunner().invoke(main, [*args, "--resend"], env={"GDZW_TOKEN": TOKEN})
    assert forced.exit_code == 0, forced.output
    assert "120 read, 0 refused, 0 skipped as unchanged, 2 batches delivered" in forced.output
    missing_token = CliRunner().invoke(main, args, env={"GDZW_TOKEN": ""})
    assert missing_token.exit_code == 2 and "GDZW_TOKEN" in missing_token.output
