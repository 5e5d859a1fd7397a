"""Shared fixtures: the spec is rendered once per test session, not per test.

The suite runs in parallel under pytest-xdist (``-n auto`` in pyproject.toml): each worker is
a session of its own, so session fixtures run once per worker, except the generated project,
which one worker writes for the whole run (below) so that every worker imports, and coverage
measures, the same files.
"""

from __future__ import annotations

import fcntl
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from codegen.build import Rendered, render_all, write_all
from codegen.model.types import Model
from codegen.spec.loader import LoadedSpec, load_spec

REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO / "spec"

# CI runs hypothesis derandomized: the same examples every run.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the whole run: the base temporary folder, which under xdist is the
    parent of the workers' own (pytest-of-user/pytest-N/popen-gwN)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """One process at a time (an advisory lock; the workers are processes on one machine)."""
    with open(lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """``name`` in the run's folder, made by ``make(path)`` in the first worker that asks
    (the others wait for it): for what every worker reads and none changes."""
    path = _run_dir(tmp_path_factory) / name
    with _locked(path.with_name(name + ".lock")):
        if not path.exists():
            make(path)
    return path


@pytest.fixture(scope="session")
def loaded() -> LoadedSpec:
    return load_spec(SPEC_DIR)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    # One worker renders (into the run's build cache); the others wait and read that.
    with _locked(_run_dir(tmp_path_factory) / "render.lock"):
        return render_all(SPEC_DIR)


@pytest.fixture(scope="session")
def model(rendered: Rendered) -> Model:
    return rendered.model


@pytest.fixture(scope="session")
def project(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root (spec/ + freshly generated/) the tests may read but not change.

    Written once per run by whichever worker needs it first: one set of generated files, so
    coverage of the runtime copies adds up over the workers instead of splitting per path."""

    def make(root: Path) -> None:
        shutil.copytree(SPEC_DIR, root / "spec")
        write_all(rendered.files, root / "generated")

    return once_per_run(tmp_path_factory, f"project-{rendered.spec_hash[:16]}", make)


@pytest.fixture(scope="session")
def pkg(project: Path) -> ModuleType:
    """The generated gdzw_uppro package, imported from this session's build."""
    python_dir = str(project / "generated" / "python")
    sys.path.insert(0, python_dir)
    sys.modules.pop("gdzw_uppro", None)
    return importlib.import_module("gdzw_uppro")


@pytest.fixture(scope="session")
def spec_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """spec/ exported as a workbook (``codegen xlsx export``) once per run; tests must not
    change it (copy it first)."""
    from click.testing import CliRunner

    from codegen.cli.main import main

    def export(path: Path) -> None:
        result = CliRunner().invoke(main, ["--root", str(REPO), "xlsx", "export", str(path)])
        assert result.exit_code == 0, result.output

    return once_per_run(tmp_path_factory, "spec.xlsx", export)


@pytest.fixture()
def spec_copy(tmp_path: Path) -> Path:
    """A private, writable copy of spec/ for tests that break it."""
    target = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, target)
    return target


POSTGRES_URL_ENV = "GDZW_TEST_POSTGRES_URL"


def _postgres_server() -> str:
    """The test server's URL from $GDZW_TEST_POSTGRES_URL; skip (outside CI) or fail (CI)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    problem = None
    if not url:
        problem = f"{POSTGRES_URL_ENV} is not set (no PostgreSQL server to test against)"
    else:
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=5).close()
        except Exception as exc:  # ImportError or any connection failure
            problem = f"PostgreSQL at {POSTGRES_URL_ENV} is not reachable: {exc}"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(problem)
    assert url is not None
    return url


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema, dropped afterwards."""
    import uuid
    from urllib.parse import quote

    import psycopg

    url = _postgres_server()
    schema = f"gdzw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where an outbox lives: a SQLite file, or a fresh PostgreSQL schema (each test runs on
    both; the PostgreSQL case skips, or fails under CI, without a server)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "outbox.sqlite3")


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run selects every test: no path narrower than tests/, no -k, -m or --lf."""
    option = config.option
    if option.keyword or option.markexpr or getattr(option, "deselect", None):
        return False
    if getattr(option, "lf", False) or getattr(option, "failedfirst", False):
        return False
    tests_dir = REPO / "tests"
    base = config.invocation_params.dir
    for arg in config.args:
        if "::" in arg or (base / arg).resolve() not in (REPO, tests_dir):
            return False
    return True


CACHE_ENV = "GDZW_CODEGEN_CACHE"


def pytest_configure(config: pytest.Config) -> None:
    # pyproject.toml's [tool.coverage.report] fail_under (90% of the sending runtime's lines)
    # holds for the whole suite; a single file or a -k selection covers less by design.
    # pytest-cov checks it in the main process (the xdist controller), after the tests ran;
    # 0 means "no minimum". The selection is known from the command line alone.
    plugin = config.pluginmanager.get_plugin("_cov")
    options = getattr(plugin, "options", None)
    if getattr(options, "cov_fail_under", None) and not _whole_suite(config):
        options.cov_fail_under = 0  # type: ignore[union-attr]
    # The build cache of this run, not the user's (~/.cache/gdzw-codegen): no test reads what
    # an earlier run or another checkout left there. Made in the main process before the
    # xdist workers start, so they inherit it and share it (writes to it are atomic).
    if not os.environ.get(CACHE_ENV) and not hasattr(config, "workerinput"):
        cache = tempfile.mkdtemp(prefix="gdzw-codegen-test-cache-")
        os.environ[CACHE_ENV] = cache

        def remove_cache() -> None:
            del os.environ[CACHE_ENV]
            shutil.rmtree(cache, ignore_errors=True)

        config.add_cleanup(remove_cache)


# Tests that take longest (mostly waiting on subprocesses, sockets and leases), run first so
# that no worker starts one of them when the others are nearly done.
SLOW_FIRST = (
    "test_outbox_chaos.py",
    "test_schemathesis.py",
    "test_end_to_end.py",
    "test_docs_browser.py",
    "test_xlsx_templates.py::test_libreoffice",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.nodeid.removeprefix("tests/")
        return next((n for n, slow in enumerate(SLOW_FIRST) if name.startswith(slow)), 99)

    items.sort(key=rank)  # stable: otherwise in file order
