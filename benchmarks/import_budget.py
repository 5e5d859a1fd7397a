"""What `import gdzw_uppro` costs a program that uses it (issue 12, section 1).

Run by hand (not a test):

    .venv/bin/python benchmarks/import_budget.py [--repeat 20] [--importtime]

The package (``generated/python/gdzw_uppro``) is copied to a temporary directory and
byte-compiled there (``compileall``), so no run pays for compiling and the checkout gets
no ``__pycache__``; every command runs with ``PYTHONPATH`` set to that copy. These
commands take turns, ``--repeat`` rounds after one warm-up round:

- ``python -c pass`` (the bare interpreter);
- ``python -c "import gdzw_uppro"``;
- ``python -c "import gdzw_uppro; gdzw_uppro.validate('accept', RECORD)"``, RECORD being
  the accept example written into the command as a literal (so no other module is needed
  to make it); the same with the strict profile (which loads the division list);
- ``import gdzw_uppro; gdzw_uppro.AcceptRecord.from_dict(RECORD)`` (the dataclasses);
- ``from gdzw_uppro import Client`` (http.client, ssl, logging).

Each run's user+sys CPU comes from ``os.wait4``. The added cost of a command is its CPU
minus the bare interpreter's in the same round; reported as the median with the spread
(min–max) of those differences, against the budgets: import at most 30 ms, import and a
first validate at most 60 ms (exits 1 when one is missed). Wall times are shown for
information. ``--importtime`` also prints the slowest imports under ``python -X importtime``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import Run, Spread, interleaved, machine, run

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "generated" / "python" / "gdzw_uppro"
LABELS = {
    "pass": "`python -c pass`",
    "import": '`python -c "import gdzw_uppro"`',
    "import + validate": "`python -c \"import gdzw_uppro; gdzw_uppro.validate('accept', …)\"`",
    "import + validate strict": "the same, `validate('accept', …, 'strict')`",
    "import + from_dict": "`import gdzw_uppro; gdzw_uppro.AcceptRecord.from_dict(…)`",
    "import Client": '`python -c "from gdzw_uppro import Client"`',
}
BUDGETS = {"import": 0.030, "import + validate": 0.060}
LOADED = (
    "import sys\n{code}\n"
    "names = sorted(m for m in sys.modules if m.split('.')[0] == 'gdzw_uppro')\n"
    "print(len(sys.modules), ' '.join(n.removeprefix('gdzw_uppro.') for n in names[1:]))\n"
)


def example_literal(path: Path) -> str:
    """The accept example as a Python literal (read with the package, in a child process)."""
    code = "import gdzw_uppro; print(repr(dict(gdzw_uppro.EXAMPLES['accept'])))"
    env = dict(os.environ, PYTHONPATH=str(path))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def loaded_modules(code: str, env: dict[str, str]) -> str:
    """How many modules ``code`` leaves loaded, and which of the package's."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(code=code)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    count, _, names = done.stdout.strip().partition(" ")
    return f"{count} modules in all; of the package: {names or '(only its __init__)'}"


def importtime(code: str, env: dict[str, str], top: int) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if found:
            rows.append((int(found.group(1)), int(found.group(2)), found.group(4)))
    rows.sort(reverse=True)
    return [
        f"| `{name}` | {own / 1000:.1f} | {total / 1000:.1f} |" for own, total, name in rows[:top]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=20, help="counted rounds (20)")
    parser.add_argument("--package", type=Path, default=PACKAGE, help="the package directory")
    parser.add_argument("--importtime", action="store_true", help="show -X importtime's top")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="gdzw-import-") as temporary:
        root = Path(temporary)
        shutil.copytree(
            args.package, root / "gdzw_uppro", ignore=shutil.ignore_patterns("__pycache__")
        )
        if not compileall.compile_dir(root / "gdzw_uppro", quiet=1):
            raise SystemExit("the package does not byte-compile")
        env = dict(os.environ, PYTHONPATH=str(root))
        record = example_literal(root)
        codes = {
            "pass": "pass",
            "import": "import gdzw_uppro",
            "import + validate": f"import gdzw_uppro; gdzw_uppro.validate('accept', {record})",
            "import + validate strict": (
                f"import gdzw_uppro; gdzw_uppro.validate('accept', {record}, 'strict')"
            ),
            "import + from_dict": f"import gdzw_uppro; gdzw_uppro.AcceptRecord.from_dict({record})",
            "import Client": "from gdzw_uppro import Client",
        }
        check = subprocess.run(
            [sys.executable, "-c", codes["import + validate"] + "; print('ok')"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check.stdout.strip() != "ok":
            raise SystemExit(f"import + validate fails: {check.stderr.strip()[-500:]}")
        actions = {
            name: (
                lambda c=code: run([sys.executable, "-c", c], env=env, sample=False, interval=0.002)
            )
            for name, code in codes.items()
        }
        results: dict[str, list[Run]] = interleaved(actions, args.repeat, warmup=1)
        modules = {
            name: loaded_modules(code, env) for name, code in codes.items() if name != "pass"
        }
        slowest = importtime(codes["import + validate"], env, 12) if args.importtime else []

    base = results["pass"]
    print(
        f"## Import cost: byte-compiled `gdzw_uppro`, {args.repeat} interleaved rounds "
        "after one warm-up round\n"
    )
    print(machine() + "\n")
    print("| command | CPU ms (user+sys) | added CPU ms vs `pass` | budget | wall ms |")
    print("| --- | ---: | ---: | --- | ---: |")
    verdicts = []
    missed = False
    for name, runs in results.items():
        cpu = Spread.of([r.cpu for r in runs])
        wall = Spread.of([r.wall for r in runs])
        if name == "pass":
            added, budget = "—", "—"
        else:
            extra = Spread.of([r.cpu - b.cpu for r, b in zip(runs, base, strict=True)])
            added = extra.show(1000, 1)
            limit = BUDGETS.get(name)
            if limit is None:
                budget = "—"
            else:
                met = extra.median <= limit
                missed |= not met
                budget = f"≤ {limit * 1000:.0f} ms: {'met' if met else 'missed'}"
            verdicts.append(f"- {name}: {modules[name]}")
        print(
            f"| {LABELS[name]} | {cpu.show(1000, 1)} | {added} | {budget} | {wall.show(1000, 0)} |"
        )
    print("\nModules loaded:\n")
    print("\n".join(verdicts))
    if slowest:
        print("\n`-X importtime` of import + validate, slowest first (ms):\n")
        print("| module | self | cumulative |\n| --- | ---: | ---: |")
        print("\n".join(slowest))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
