"""What `codegen build` costs against datamodel-code-generator (issue 12, section 5).

Run by hand (not a test):

    .venv/bin/python benchmarks/build_budget.py [--repeat 5] [--edit-field accept:ProjectNo]
        [--no-cold]

The project (spec/, codegen/, templates/, generated/, pyproject.toml, …; not .git or
.venv) is copied to a temporary directory and its ``codegen`` byte-compiled there (as an
installed tool is; ``PYTHONDONTWRITEBYTECODE`` would otherwise make every run compile it),
and every command runs there with the copy's own code (``PYTHONPATH=COPY``, the
``codegen`` entry point named in the copy's pyproject.toml, ``--root COPY``, working
directory COPY), so the checkout is never written. One warm-up round, then ``--repeat``
rounds of, in turn:

- ``codegen build`` after a one-field edit: before each such run (not timed) the label
  of one field (``--edit-field``, default accept's ProjectNo, 办件编号) in
  ``spec/records/KEY.yaml`` gets a new suffix, different every round, so each of these
  builds really has something to render and write (the label is in the record's
  dataclass docstring, spec.py, the validator's messages, the workbook's header, the
  JSON Schema, OpenAPI and HTML reference);
- ``codegen build`` with nothing to change (``generated/`` is up to date);
- ``codegen build --check``;
- datamodel-code-generator making dataclasses from the copy's ``generated/openapi.json``
  (``datamodel-codegen --input generated/openapi.json --input-file-type openapi
  --output-model-type dataclasses.dataclass --output OUT``), the yardstick.

Black cache: ``$GDZW_CODEGEN_CACHE`` points at a private directory that the runs before
fill ("warm": the edited build sees the cache of the spec before the edit, the no-op
build and the check the cache of the current spec). Unless ``--no-cold``, two more
commands join each round with an empty cache directory made for each run ("empty"): an
edited build first, ``build --check`` last.
Every command is a whole process (start-up included, output to a file); wall and CPU
(user+sys) times, median and spread (min–max), and their ratios to
datamodel-code-generator taken round by round. Goals: a no-op build and a one-field-edit
build no slower than datamodel-code-generator; ``build --check`` at most half of its time.
Exits 1 when one is missed (by wall time).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchlib import MB, Run, Spread, interleaved, machine, ratios, run

REPO = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    ".coverage",
)
ENTRY = re.compile(r'^codegen\s*=\s*"([\w.]+):(\w+)"', re.MULTILINE)
YARDSTICK = "datamodel-code-generator"


def entry_point(project: Path) -> list[str]:
    """``python -c`` running the copy's ``codegen`` console script."""
    found = ENTRY.search((project / "pyproject.toml").read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit("no codegen entry point in pyproject.toml [project.scripts]")
    module, function = found.groups()
    code = f"import sys; from {module} import {function}; sys.exit({function}())"
    return [sys.executable, "-c", code, "--root", str(project)]


class FieldEdit:
    """Gives one field's label a new suffix each time it is called."""

    def __init__(self, project: Path, target: str) -> None:
        key, _, name = target.partition(":")
        self.path = project / "spec" / "records" / f"{key}.yaml"
        self.original = self.path.read_text(encoding="utf-8")
        pattern = rf"(- name: {re.escape(name)}\n(?:[ \t]+\w+:.*\n)*?[ \t]+label: )(.*)\n"
        found = re.search(pattern, self.original)
        if found is None:
            raise SystemExit(f"cannot find the label of {name} in {self.path}")
        self.start, self.end = found.span(2)
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        text = self.original[: self.end] + f"（改{self.count}）" + self.original[self.end :]
        self.path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=5, help="counted rounds (5)")
    parser.add_argument("--edit-field", default="accept:ProjectNo", help="KEY:Field to edit")
    parser.add_argument("--no-cold", action="store_true", help="skip the empty-cache runs")
    args = parser.parse_args()
    yardstick = shutil.which("datamodel-codegen") or str(
        Path(sys.executable).with_name("datamodel-codegen")
    )
    if not Path(yardstick).exists():
        raise SystemExit("datamodel-codegen is missing: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory(prefix="gdzw-build-times-") as temporary:
        root = Path(temporary)
        project = root / "project"
        shutil.copytree(REPO, project, ignore=IGNORED)
        if not compileall.compile_dir(project / "codegen", quiet=1):
            raise SystemExit("codegen does not byte-compile")
        warm = root / "black-cache"
        warm.mkdir()
        env = dict(os.environ, PYTHONPATH=str(project), GDZW_CODEGEN_CACHE=str(warm))
        codegen = entry_point(project)
        edit = FieldEdit(project, args.edit_field)
        outputs = root / "outputs"
        outputs.mkdir()
        counter = iter(range(1_000_000))

        def command(
            label: str,
            argv: list[str],
            before: Callable[[], None] | None = None,
            cold: bool = False,
        ) -> tuple[str, Callable[[], Run]]:
            def action() -> Run:
                if before is not None:
                    before()
                environment = env
                if cold:
                    empty = root / f"empty-cache-{next(counter)}"
                    empty.mkdir()
                    environment = dict(env, GDZW_CODEGEN_CACHE=str(empty))
                output = outputs / f"{len(label)}-{next(counter)}.txt"
                # Polled every 2 ms without sampling the tree's memory (that walk of /proc
                # would take CPU from the build on a shared machine); peak MB is the
                # largest process's high-water mark.
                result = run(
                    argv, cwd=project, env=environment, output=output, sample=False, interval=0.002
                )
                if result.returncode != 0:
                    tail = output.read_text(encoding="utf-8", errors="replace")[-800:]
                    print(f"{label} exited {result.returncode}:\n{tail}", file=sys.stderr)
                return result

            return label, action

        dmcg = [
            yardstick,
            "--input",
            str(project / "generated" / "openapi.json"),
            "--input-file-type",
            "openapi",
            "--output-model-type",
            "dataclasses.dataclass",
            "--output",
            str(root / "models.py"),
        ]
        noop = command("`codegen build`, nothing to change (cache warm)", [*codegen, "build"])
        check = command("`codegen build --check` (cache warm)", [*codegen, "build", "--check"])
        edited = command(
            "`codegen build` after a one-field edit (cache warm)", [*codegen, "build"], edit
        )
        yard = command(f"{YARDSTICK}: dataclasses from openapi.json", dmcg)
        commands = [noop, check, edited, yard]  # as shown
        order = [edited, noop, check, yard]  # as run: the warm cache holds the current spec
        if not args.no_cold:
            cold_check = command(
                "`codegen build --check` (cache empty)", [*codegen, "build", "--check"], cold=True
            )
            cold_edit = command(
                "`codegen build` after a one-field edit (cache empty)",
                [*codegen, "build"],
                edit,
                cold=True,
            )
            commands += [cold_check, cold_edit]
            order = [cold_edit, *order, cold_check]
        # The first build of the copy makes sure generated/ is up to date in it.
        first = run([*codegen, "build"], cwd=project, env=env, output=outputs / "first.txt")
        if first.returncode != 0:
            raise SystemExit((outputs / "first.txt").read_text(encoding="utf-8")[-2000:])
        results = interleaved(dict(order), args.repeat, warmup=1)
        rounds_left_clean = run(
            [*codegen, "build", "--check"], cwd=project, env=env, output=outputs / "last.txt"
        )

    base = results[commands[3][0]]
    print(
        f"## Build times: {args.repeat} interleaved rounds after one warm-up round, in a copy "
        f"of the project; edited field {args.edit_field} (its label)\n"
    )
    print(machine() + "\n")
    print(f"| command | wall s | ÷ {YARDSTICK} | CPU s | CPU ÷ {YARDSTICK} | peak MB | exit |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, _ in commands:
        runs = results[label]
        wall = Spread.of([r.wall for r in runs])
        versus = ratios([r.wall for r in runs], [r.wall for r in base])
        cpu_versus = ratios([r.cpu for r in runs], [r.cpu for r in base])
        codes = ",".join(str(c) for c in sorted({r.returncode for r in runs}))
        print(
            f"| {label} | {wall.show()} | {'—' if runs is base else versus.show()} "
            f"| {Spread.of([r.cpu for r in runs]).show()} "
            f"| {'—' if runs is base else cpu_versus.show()} "
            f"| {Spread.of([r.tree_peak for r in runs]).show(MB, 0)} | {codes} |"
        )
    print(
        "\nGoals (issue 12, section 5), medians of the round-by-round wall-time ratios (CPU "
        "in brackets: steadier than wall time on a loaded machine):\n"
    )
    missed = False
    for (label, _), limit in zip(commands[:3], (1.0, 0.5, 1.0), strict=True):
        ratio = ratios([r.wall for r in results[label]], [r.wall for r in base]).median
        cpu = ratios([r.cpu for r in results[label]], [r.cpu for r in base]).median
        missed |= ratio > limit
        print(
            f"- {label}: {ratio:.2f}× ({cpu:.2f}×) {YARDSTICK} — goal ≤ {limit:g}×: "
            f"{'met' if ratio <= limit else 'missed'}"
        )
    print(
        f"\nAfter the rounds `build --check` in the copy exited {rounds_left_clean.returncode} "
        "(0: the last build left generated/ consistent with the edited spec)."
    )
    return 1 if missed or rounds_left_clean.returncode else 0


if __name__ == "__main__":
    raise SystemExit(main())
