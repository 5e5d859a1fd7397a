"""Piecewise formatting gives black's output for the whole module."""

from __future__ import annotations

from pathlib import Path

import black
import pytest
from black.mode import Mode, TargetVersion

from codegen.model.builder import build_model
from codegen.render.black_pieces import cut_module, top_level_pieces
from codegen.render.environment import BLACK_LINE_LENGTH, format_python, make_environment
from codegen.spec.loader import load_spec
from codegen.targets.python import package
from conftest import SPEC_DIR

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
        '"""Docstring."""',  # with the imports and X
        "# about Y",  # a comment between two assignments goes with the second
        "Z: int = 3",
        "# attached to f",
        "W = f(1,2)",
        "class C:",
        "if True:",  # with V
        'S = """',  # the comment-like line inside the string stays in it
        "def h(): ...",
    ]
    assert [blank for blank, _ in pieces] == [0, 0, 2, 2, 2, 2, 2, 0, 2]


# Comments between top-level statements, as black places them: after a definition (two
# blank lines above the comment, the source's below), between assignments, an indented one
# that stays in the block above, and stubs with no blank line between them.
COMMENTS = """import re
def f():
    return 1
# about the patterns

A = re.compile("a")
B = 2

# about C
C = 3
# directly above D, after a blank line and a comment

# again
D = 4
def g():
    return 2
    # the end of g, indented


## section
######################################################################

E = 5
@overload
def h(x: int) -> int: ...
@overload
def h(x: str) -> str: ...
def h(x): return x
class K:
    pass
# after K
def k(): pass
"""


@pytest.mark.parametrize("source", [SAMPLE, COMMENTS], ids=["sample", "comments"])
def test_joined_pieces_are_blacks_output(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GDZW_CODEGEN_CACHE", str(tmp_path))
    assert format_python(source, "sample.py") == black.format_str(source, mode=MODE)


# A long function and class of the kinds the skeleton cuts, with what must stay whole:
# a docstring, comments above and between statements, an import and a nested definition
# in the body (black's blank lines around them depend on what they are), a string across
# lines, a backslash continuation, a body on the definition's line, long lines that
# break differently at each indent.
LONG = '''import os
def validate(record: object, profile: str = "standard", length_unit: str = "char") -> list[str]:
    """Checks a record.

    Returns the problems."""
    problems: list[str] = []
    value: object

    # first field
    value = record.get("A")
    if value is None or value == "":
        problems.append(_required(_F_ACCEPT_ROW_GUID, "a long message text that does not fit", 123456))
    elif not isinstance(value, str):
        problems.append(_wrong_type(_F_ACCEPT_ROW_GUID, value, "字符串"))
    # second field, with a comment right above



    value = record.get("B")
    if value is not None:  # trailing comment
        for x in value:
            if x: problems.append(x)
    import re
    pattern = re.compile("x")
    def helper(a,b):
        return a+b
    total = helper(1,2)
    text = """line one
        line two"""
    joined = "a" + \\
        "b"
    if level >= 2:
        _check_embedded_date(problems, record, _F_ACCEPT_PROJECT_NO, _F_ACCEPT_APPLY_DATE, 31, "date_mismatch", "x")
    # closing comment
    return problems
def short(): return 1
class AcceptRecord:
    """Fields:

    project_no: 办件编号
    """
    row_guid: str
    project_no: str = field(default="", metadata={"label": "办件编号", "table": "表 3", "required": True, "x": 1})
    # comment above a method
    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        out["RowGuid"] = self.row_guid
        if self.project_no:
            out["ProjectNo"] = self.project_no
        return out
    @property
    def key(self) -> str: return "accept"
    a: int = 1
    b: int = 2
    c: int = 3
    d: int = 4
    e: int = 5
    f: int = 6
    g: int = 7
_FIELDS: Final = (
    FieldSpec('RowGuid', '记录唯一标识', True, 'String(50)', 'string', 50, None, None, 'row_guid', '表 3'),
    FieldSpec('ProjectNo', '办件编号', True, 'String(50)', 'string', 50, None, None, 'project_no', '表 3'),
    FieldSpec('A', 'a', True, 'String(5)', 'string', 5, None, None, 'a', '表 3'),
    FieldSpec('B', 'b', True, 'String(5)', 'string', 5, None, None, 'b', '表 3'),
    FieldSpec('C', 'c', True, 'String(5)', 'string', 5, None, None, 'c', '表 3'),
    FieldSpec('D', 'd', True, 'String(5)', 'string', 5, None, None, 'd', '表 3'),
    FieldSpec('E', 'e', True, 'String(5)', 'string', 5, None, None, 'e', '表 3'),
    FieldSpec('F', 'f', True, 'String(5)', 'string', 5, None, None, 'f', '表 3'),
    FieldSpec(
        'G', 'g', True,
        'String(5)', 'string', 5, None, None, 'g', '表 3'),
    FieldSpec('H', 'h', True, 'String(5)', 'string', 5, None, None, 'h', '表 3'),
    FieldSpec('I', 'i', True, 'String(5)', 'string', 5, None, None, 'i', '表 3'),
    FieldSpec('J', 'j', True, 'String(5)', 'string', 5, None, None, 'j', '表 3'),
    FieldSpec('K', 'k', True, 'String(5)', 'string', 5, None, None, 'k', '表 3'),
    FieldSpec('L', 'l', True, 'String(5)', 'string', 5, None, None, 'l', '表 3'),
    FieldSpec('M', 'm', True, 'String(5)', 'string', 5, None, None, 'm', '表 3'),
    FieldSpec('N', 'n', True, 'String(5)', 'string', 5, None, None, 'n', '表 3'),
    FieldSpec('O', 'o', True, 'String(5)', 'string', 5, None, None, 'o', '表 3'),
    FieldSpec('P', 'p', True, 'String(5)', 'string', 5, None, None, 'p', '表 3'),
    FieldSpec('Q', 'q', True, 'String(5)', 'string', 5, None, None, 'q', '表 3'),
    FieldSpec('R', 'r', True, 'String(5)', 'string', 5, None, None, 'r', '表 3'),
    FieldSpec('S', 's', True, 'String(5)', 'string', 5, None, None, 's', '表 3'),
    FieldSpec('T', 't', True, 'String(5)', 'string', 5, None, None, 't', '表 3'),
)
NAMES: Final[dict[str, str]] = {
    "a": "一",
    "b": "二",
    "c": "三", "d": "四",
    "e": "a value long enough that black has to break this entry of the mapping over lines x",
    "f": "六",
    "g": "七",
    "h": "八",
    "i": "九",
    "j": "十",
    "k": "十一",
    "l": "十二",
    "m": "十三",
    "n": "十四",
    "o": "十五",
    "p": "十六",
    "q": "十七",
    "r": "十八",
    "s": "十九",
    "t": "二十",
    "u": "二十一",
    "v": "二十二",
}
'''


def test_long_definitions_and_literals_are_cut_into_runs() -> None:
    skeletons = {
        piece.text.splitlines()[-1 if piece.text.startswith("import") else 0]: piece.skeleton
        for piece in cut_module(LONG)
    }
    function = skeletons[next(k for k in skeletons if k.startswith("def validate"))]
    assert function is not None
    kept = function.text
    # Kept in the skeleton: the docstring, the import, the nested definition, the string
    # across lines and the backslash continuation; the rest is in runs.
    for whole in ('"""Checks a record.', "import re", "def helper(a,b):", '"""line one', "\\\n"):
        assert whole in kept
    assert "record.get" not in kept and "_check_embedded_date" not in kept
    # A comment directly above a statement goes with it; one with blank lines below stays.
    assert [run.text.splitlines()[0] for run in function.runs][:3] == [
        "problems: list[str] = []",
        "# first field",
        'value = record.get("B")',
    ]
    assert "# second field" in kept
    assert all(not run.element for run in function.runs)
    literal = skeletons["_FIELDS: Final = ("]
    assert literal is not None and all(run.element for run in literal.runs)
    assert len(literal.runs) > 2


@pytest.mark.parametrize("source", [LONG], ids=["long"])
def test_joined_runs_are_blacks_output(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GDZW_CODEGEN_CACHE", str(tmp_path))
    assert format_python(source, "long.py") == black.format_str(source, mode=MODE)
    # The second time every piece and run comes from the cache: the same text.
    assert format_python(source + "\n", "long.py") == black.format_str(source, mode=MODE)


def test_every_rendered_module_formats_as_black_formats_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The modules the spec renders, before black, formatted piece by piece and run by run
    with an empty cache, are black's output for each whole module."""
    monkeypatch.setenv("GDZW_CODEGEN_CACHE", str(tmp_path))
    sources: dict[str, str] = {}

    def keep(source: str, name: str) -> str:
        sources[name] = source
        return source

    monkeypatch.setattr(package, "format_python", keep)
    package.render(build_model(load_spec(SPEC_DIR)), make_environment())
    assert len(sources) > 10
    cut = [name for name, source in sources.items() if any(p.skeleton for p in cut_module(source))]
    assert any("validators_" in name for name in cut) and any("spec.py" in n for n in cut)
    for name, source in sources.items():
        assert format_python(source, name) == black.format_str(source, mode=MODE), name
