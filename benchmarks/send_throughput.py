"""Records per second sent to the mock gateway: batch_save vs one save per record.

Run by hand (not a test):  .venv/bin/python benchmarks/send_throughput.py [--records N]
Both sides run on this machine over loopback, so the numbers compare the two
ways of sending, not a real network.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generated" / "python"))

from gdzw_uppro import EXAMPLES  # noqa: E402
from gdzw_uppro.client import Client  # noqa: E402
from gdzw_uppro.mock import MockGateway  # noqa: E402


def records(count: int, seed: int) -> list[dict[str, object]]:
    out = []
    for i in range(count):
        record = copy.deepcopy(EXAMPLES["accept"])
        record["RowGuid"] = str(uuid.UUID(int=seed * 10_000_000 + i))
        out.append(record)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--records", type=int, default=5000, help="records per method (default 5000)"
    )
    args = parser.parse_args()
    token = "benchmark-token"
    with MockGateway(token) as gateway:
        client = Client(token, base_url=gateway.base_url)
        batch = records(args.records, 1)
        started = time.perf_counter()
        report = client.accept.batch_save(batch)
        batch_seconds = time.perf_counter() - started
        assert report.ok, report.failed[:1]

        single = records(args.records, 2)
        started = time.perf_counter()
        for record in single:
            client.accept.save(record)
        single_seconds = time.perf_counter() - started
        assert len(gateway.row_guids("accept")) == 2 * args.records

    print(f"{'method':<28}{'records':>10}{'seconds':>10}{'records/s':>12}")
    for name, seconds in (
        ("batch_save (99 per request)", batch_seconds),
        ("save (one per request)", single_seconds),
    ):
        print(f"{name:<28}{args.records:>10}{seconds:>10.2f}{args.records / seconds:>12.0f}")


if __name__ == "__main__":
    main()
