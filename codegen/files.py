"""Files written whole or not at all: the bytes go to a scratch file beside the target,
which is then renamed over it (a killed run leaves the old file, never half of a new one)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(path: Path, data: bytes, prefix: str, suffix: str = "") -> None:
    """Writes ``data`` to ``path`` through a scratch file named ``prefix`` + 8 random
    characters + ``suffix`` in the same folder, with the umask's permissions (mkstemp's
    would be 0600); OSError if it cannot."""
    handle, scratch = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(scratch, 0o666 & ~_umask())
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
