"""Mutation check: do the tests catch deliberate one-line faults? Run by hand, not by pytest.

    .venv/bin/python benchmarks/mutation_check.py [--only NAME ...] [--list]

For each fault in FAULTS: copy the project to a temporary directory, replace the one line,
rebuild generated/ with the copy's own code (``python -m codegen.cli --root COPY build``
with PYTHONPATH=COPY), run only the tests that should catch the fault, and report it caught
(the tests fail) or survived (they pass). Each fault's tests are first run on an unchanged
copy, where they must pass, so a catch is the fault's doing; a fault whose copy does not
build never reached the tests and counts against the run too. Exit 1 if any fault is not
caught; 2 if a fault no longer applies (its old text is not in its file exactly once:
retarget the entry).

Tests run with CI=1: hypothesis derandomized (the same examples every run), and a test
missing something CI installs fails rather than skips.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fault:
    name: str
    path: str  # relative to the repository root
    old: str  # exact text, found exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest arguments: test files, -k selectors
    description: str


# The faults. Entries are data: when code moves (the outbox, client and mock are about to
# leave templates/python/*.jinja for plain modules), change path/old/new here.
FAULTS: tuple[Fault, ...] = (
    Fault(
        name="outbox-running-total",
        path="templates/python/outbox.py.jinja",
        old="int(row[2]) + size <= BODY_MAX_BYTES",
        new="size <= BODY_MAX_BYTES",
        tests=("tests/test_outbox.py", "-k", "body"),
        description="the outbox checks only the new record's size, not the batch's running total",
    ),
    Fault(
        name="outbox-replaced-record-size",
        path="templates/python/outbox.py.jinja",
        old="if int(total) - int(old) + size <= BODY_MAX_BYTES:",
        new="if True:",
        tests=("tests/test_outbox.py", "-k", "body"),
        description="a newer version replaces the waiting one in place, however big it is",
    ),
    Fault(
        name="service-object-code-9",
        path="templates/python/validators.py.jinja",
        old="{{ cs.constant_name }}: Final = frozenset({{ cs.values|py }})",
        new=(
            "{{ cs.constant_name }}: Final = frozenset({{ cs.values|py }})"
            "{{ ' - {\"9\"}' if cs.id == 'service_object' else '' }}"
        ),
        tests=("tests/test_code_sets.py",),
        description="code 9 (其他组织) dropped from 服务对象 in the validators",
    ),
    Fault(
        name="schema-max-length",
        path="codegen/targets/common.py",
        old='s["maxLength"] = f.max_length',
        new="pass",
        tests=("tests/test_schemas.py",),
        description="no maxLength in the JSON Schemas nor in openapi.json (which embeds them)",
    ),
    Fault(
        name="schema-pattern-end",
        path="codegen/patterns.py",
        old='return f"^(?:{pattern}){END}"',
        new='return f"^(?:{pattern})$"',
        tests=("tests/test_schemas.py",),
        description='format patterns end with "$", which lets a final newline through',
    ),
    Fault(
        name="signing-recipe",
        path="templates/python/signing.py.jinja",
        old='message = "".join(parts[name] for name in {{ model.gateway.signature.concatenation|py }})',
        new='message = parts["timestamp"] + parts["token"] + parts["nonce"]',
        tests=("tests/test_client.py", "-k", "sign"),
        description="the signature leaves out the trailing timestamp of 6.3.2's recipe",
    ),
    Fault(
        name="cd-batch-sequence",
        path="templates/python/outbox.py.jinja",
        old="number = 1 if row is None else int(row[0]) + 1",
        new="number = 1 if row is None else int(row[0]) + 2",
        tests=("tests/test_outbox.py", "-k", "cd_batch or sequence"),
        description="the Cd_Batch daily sequence skips a number",
    ),
    Fault(
        name="mock-timestamp-window",
        path="templates/python/mock.py.jinja",
        old="if abs(skew) > self.window:",
        new="if skew > self.window:",
        tests=("tests/test_mock_gateway.py", "-k", "timestamp or window"),
        description="the mock lets timestamps any amount in the past through",
    ),
    Fault(
        name="validator-max-length",
        path="templates/python/kinds/string.jinja",
        old='if (len(value.encode("utf-8")) if utf8 else len(value)) > {{ f.max_length|py }}:',
        new='if (len(value.encode("utf-8")) if utf8 else len(value)) >= {{ f.max_length|py }}:',
        tests=("tests/test_schemas.py", "tests/test_validators.py"),
        description="the validators refuse a string of exactly its maximum length",
    ),
    Fault(
        name="mock-cli-sigint",
        path="templates/python/mock.py.jinja",
        old="for signum in (signal.SIGINT, signal.SIGTERM):",
        new="for signum in (signal.SIGTERM,):",
        tests=("tests/test_mock_gateway.py", "-k", "cli_serves"),
        description="the mock's CLI leaves SIGINT to Python (no stop when started with it ignored)",
    ),
)

REPO = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache"
)
TIMEOUT = 1800


@dataclass(frozen=True)
class Outcome:
    fault: Fault
    result: str  # caught, survived, build failed, baseline failed
    detail: str
    seconds: float


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd), "CI": "1"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def pytest(project: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    return run(command, project)


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def apply(fault: Fault, project: Path) -> None:
    path = project / fault.path
    text = path.read_text(encoding="utf-8")
    if text.count(fault.old) != 1:
        raise LookupError(
            f"{fault.name}: {fault.old!r} occurs {text.count(fault.old)} times in {fault.path}"
        )
    path.write_text(text.replace(fault.old, fault.new), encoding="utf-8")


def check_applies(faults: tuple[Fault, ...]) -> list[str]:
    problems = []
    for fault in faults:
        path = REPO / fault.path
        count = path.read_text(encoding="utf-8").count(fault.old) if path.exists() else 0
        if count != 1:
            problems.append(f"{fault.name}: old text found {count} times in {fault.path}")
    return problems


def try_fault(fault: Fault, pristine: Path, work: Path) -> Outcome:
    started = time.monotonic()
    project = work / fault.name
    shutil.copytree(pristine, project)
    apply(fault, project)
    build = run([sys.executable, "-m", "codegen.cli", "--root", str(project), "build"], project)
    if build.returncode != 0:  # the fault never reached the tests: fix the entry
        detail = f"codegen build failed: {last_line(build.stdout + build.stderr)}"
        return Outcome(fault, "build failed", detail, time.monotonic() - started)
    tests = pytest(project, fault.tests)
    shutil.rmtree(project, ignore_errors=True)
    seconds = time.monotonic() - started
    if tests.returncode == 0:
        return Outcome(fault, "survived", last_line(tests.stdout), seconds)
    failed = [
        line.split(" ")[1]
        for line in tests.stdout.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return Outcome(fault, "caught", failed[0] if failed else last_line(tests.stdout), seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", metavar="NAME", help="run only these faults")
    parser.add_argument("--list", action="store_true", help="list the faults and exit")
    args = parser.parse_args()
    faults = tuple(f for f in FAULTS if not args.only or f.name in args.only)
    if args.list:
        for f in FAULTS:
            print(f"{f.name}: {f.path}: {f.description}")
        return 0
    stale = check_applies(faults)
    if stale:
        print("\n".join(stale), file=sys.stderr)
        return 2

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="gdzw-mutation-") as tmp:
        work = Path(tmp)
        pristine = work / "pristine"
        shutil.copytree(REPO, pristine, ignore=IGNORED)
        probe = run([sys.executable, "-c", "import codegen; print(codegen.__file__)"], pristine)
        assert probe.stdout.strip().startswith(str(pristine)), probe.stdout + probe.stderr
        for tests in dict.fromkeys(f.tests for f in faults):
            started = time.monotonic()
            baseline = pytest(pristine, tests)
            print(f"baseline {' '.join(tests)}: {last_line(baseline.stdout)}", flush=True)
            if baseline.returncode != 0:
                for fault in (f for f in faults if f.tests == tests):
                    outcomes.append(
                        Outcome(
                            fault,
                            "baseline failed",
                            baseline.stdout[-2000:],
                            time.monotonic() - started,
                        )
                    )
        failed = {o.fault.name for o in outcomes}
        for fault in faults:
            if fault.name in failed:
                continue
            outcome = try_fault(fault, pristine, work)
            outcomes.append(outcome)
            print(
                f"{outcome.result:>8}  {fault.name} ({outcome.seconds:.0f} s): {outcome.detail}",
                flush=True,
            )

    print()
    print("| fault | file | what it breaks | tests run | result | first failing test |")
    print("| --- | --- | --- | --- | --- | --- |")
    for o in sorted(outcomes, key=lambda o: faults.index(o.fault)):
        selection = " ".join(o.fault.tests)
        by = f"`{o.detail.split('::')[-1]}`" if o.result == "caught" else o.detail
        print(
            f"| `{o.fault.name}` | `{o.fault.path}` | {o.fault.description} | `{selection}` "
            f"| {o.result} | {by} |"
        )
    caught = sum(o.result == "caught" for o in outcomes)
    print(f"\n{caught} of {len(faults)} faults caught")
    return 0 if caught == len(faults) else 1


if __name__ == "__main__":
    sys.exit(main())
