"""What importing the generated package costs: CPU over a bare interpreter.

Run by hand (not by the tests): ``python benchmarks/import_budget.py [--runs 20]``.
The package is byte-compiled first; each case runs in a fresh interpreter, the cases
interleaved, ``runs`` times; the figure is the median user+sys CPU of the child
(``resource.getrusage(RUSAGE_CHILDREN)`` around each run) minus that of
``python -c pass``. Budgets (issue 12): ``import gdzw_uppro`` adds at most 30 ms, the
import plus a first ``validate("accept", …)`` at most 60 ms. Exits 1 when one is over.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "generated" / "python"

CASES: dict[str, tuple[str, float | None]] = {
    # name → (code run by `python -c`, budget in ms over `pass`, if any)
    "pass": ("pass", None),
    "import": ("import gdzw_uppro", 30.0),
    "import + validate": (
        "import gdzw_uppro as g; g.validate('accept', g.EXAMPLES['accept'])",
        60.0,
    ),
    "import + validate strict": (
        "import gdzw_uppro as g; g.validate('accept', g.EXAMPLES['accept'], 'strict')",
        None,
    ),
    "import + AcceptRecord.from_dict": (
        "import gdzw_uppro as g; g.AcceptRecord.from_dict(g.EXAMPLES['accept'])",
        None,
    ),
    "import + Client": ("from gdzw_uppro import Client", None),
}


def cpu_ms(code: str, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    compileall.compile_dir(str(PACKAGE_DIR), quiet=1)
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, (code, _budget) in CASES.items():
            times[name].append(cpu_ms(code, env))
    base = statistics.median(times["pass"])
    over = False
    print(f"python -c pass: {base:.1f} ms CPU (median of {args.runs})")
    print(f"{'case':<34} {'added ms':>9} {'budget':>7}")
    for name, (_code, budget) in CASES.items():
        if name == "pass":
            continue
        added = statistics.median(times[name]) - base
        verdict = "" if budget is None else f"{budget:>5.0f}{'' if added <= budget else ' OVER'}"
        over |= budget is not None and added > budget
        print(f"{name:<34} {added:>9.1f} {verdict:>7}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
