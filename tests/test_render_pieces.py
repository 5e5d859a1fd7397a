"""Piecewise formatting gives black's output for the whole module."""

from __future__ import annotations

from pathlib import Path

import black
import pytest
from black.mode import Mode, TargetVersion

from codegen.render.black_pieces import top_level_pieces
from codegen.render.environment import BLACK_LINE_LENGTH, format_python

MODE = Mode(target_versions={TargetVersion.PY310}, line_length=BLACK_LINE_LENGTH)

SAMPLE = '''"""Docstring."""
from __future__ import annotations
import re
X = 1
# about Y

Y = {"a": 1,
  "b": 2}



Z: int = 3
# attached to f
@decorator
def f(a,b):
    return a+b
W = f(1,2)
class C:
    """Doc."""
    def m(self): return 1
if True:
    def g(): pass
V = 2
S = """
# not a comment
"""
def h(): ...
'''


def test_pieces_cut_at_definitions_and_between_assignments() -> None:
    pieces = top_level_pieces(SAMPLE)
    firsts = [piece.splitlines()[0] for _, piece in pieces]
    assert firsts == [
        '"""Docstring."""',  # with the imports, X and the comment a blank line above Y
        'Y = {"a": 1,',
        "Z: int = 3",
        "# attached to f",
        "W = f(1,2)",
        "class C:",
        "if True:",  # with V
        'S = """',  # the comment-like line inside the string stays in it
        "def h(): ...",
    ]
    assert [blank for blank, _ in pieces] == [0, 1, 2, 2, 2, 2, 2, 0, 2]


@pytest.mark.parametrize("source", [SAMPLE], ids=["sample"])
def test_joined_pieces_are_blacks_output(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GDZW_CODEGEN_CACHE", str(tmp_path))
    assert format_python(source, "sample.py") == black.format_str(source, mode=MODE)
