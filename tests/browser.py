"""Headless Chromium and a loopback web server, for tests that look at pages as a person would.

Chromium is driven through its command line only (``--dump-dom``, ``--screenshot``) with
a virtual time budget, so pages finish their scripts and loads before the DOM is read;
its console lines go to stderr (``--enable-logging=stderr``), where errors are scanned for.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_NEEDED = "Chromium (`apt-get install chromium`; .ci/run installs it)"
# Flags that keep a headless run quiet, offline and reproducible: no background
# services, no first-run UI, and nothing fetched but what the page asks for.
_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Every host name but loopback fails to resolve: a page that reaches for the network
    # (a CDN, fonts, telemetry) gets a load error in its console instead.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--lang=zh-CN",
)
VIRTUAL_TIME_MS = 15000


@dataclass(frozen=True)
class PageRun:
    dom: str
    console: tuple[str, ...]  # the page's console lines, errors included

    @property
    def console_errors(self) -> tuple[str, ...]:
        return tuple(line for line in self.console if _is_error(line))


def _is_error(line: str) -> bool:
    # Chromium logs every console call at INFO, so errors are told by their text:
    # uncaught exceptions, and console.error as re-marked by the host page.
    return '"Uncaught' in line or "[console.error]" in line or "Failed to load" in line


def _chromium(url: str, profile: Path, *action: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        *_FLAGS,
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
        *action,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def load_page(url: str, profile: Path) -> PageRun:
    done = _chromium(url, profile, "--dump-dom")
    console = tuple(line for line in done.stderr.splitlines() if ":CONSOLE" in line)
    return PageRun(done.stdout, console)


def screenshot(url: str, profile: Path, target: Path, size: str = "1280,2000") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    _chromium(url, profile, f"--screenshot={target}", f"--window-size={size}")
    assert target.read_bytes().startswith(b"\x89PNG"), f"no screenshot at {target}"
    return target


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    failures: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).isdigit() and int(code) >= 400:
            self.failures.append(f"{code} {self.path}")


@contextmanager
def serve(directory: Path) -> Iterator[tuple[str, list[str]]]:
    """Serves ``directory`` on 127.0.0.1 (a free port); yields the base URL and a list
    that collects every request answered with 4xx/5xx."""
    failures: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"failures": failures})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", failures
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
