"""The generated package's release: the spec's version plus the generator's revision.

``pip install generated/python`` gives a distribution whose version is the spec's
(standard year and transcription edition, ``2019.3``) followed by ``GENERATOR_REVISION``:
``2019.3.1``. A fix to the generated code with the spec unchanged then ships as a new
version. Bump ``GENERATOR_REVISION`` and set ``CODE_DIGEST`` whenever the package's code
changes; tests/test_versions.py recomputes the digest and names both values when they are
stale. The revision never goes back, also across editions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final

from codegen.model.types import Model

GENERATOR_REVISION: Final = 2

# code_digest() of the package this revision generates.
CODE_DIGEST: Final = "ec1e593aa2305b5d0f17b5c5aa09db29054965ad457b12221685e8c3f7da0cc1"

# Each generated module (and pyproject.toml) starts with this many do-not-edit lines (spec hash
# and edition).
HEADER_LINES: Final = 3


def package_version(model: Model) -> str:
    """The distribution's version and the package's ``__version__``."""
    return f"{model.version}.{GENERATOR_REVISION}"


def code_digest(model: Model, files: Mapping[str, str | bytes]) -> str:
    """SHA-256 of the Python target's files (``python/...``) less what every spec edit or
    revision changes anyway: the do-not-edit lines, the spec's hash and both versions."""
    digest = hashlib.sha256()
    for path in sorted(files):
        if not path.startswith("python/"):
            continue
        content = files[path]
        text = content if isinstance(content, str) else content.decode("utf-8")
        if path.endswith((".py", ".toml")):  # both start with the do-not-edit lines
            text = "".join(text.splitlines(keepends=True)[HEADER_LINES:])
        text = text.replace(package_version(model), "{package_version}")
        text = text.replace(model.version, "{version}").replace(model.spec_hash, "{spec_hash}")
        digest.update(path.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()
