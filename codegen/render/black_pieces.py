"""Where rendered Python can be cut so that black formats each piece on its own.

black's output for a module is the same as its output for pieces of it, joined, when
each cut falls where black's decisions do not depend on what is on the other side:

- ``top_level_pieces``: before and after each top-level definition, and between two
  top-level assignments (black's blank lines there do not depend on the neighbours);
- ``Skeleton``: inside a long definition (a validator function, a record class), each
  run of plain statements of a function or class body becomes one placeholder line.
  black formats the skeleton (the definition with its placeholders: its header, its
  docstring, the blank lines between statements) and each run on its own, dedented, at
  the line length less its indent, and the runs are put back in place of their
  placeholders. black measures every line with its indent, so a statement formatted at
  column 0 with 100 - n columns breaks where it breaks at column n with 100; and a
  plain statement (not a definition, an import or a string) weighs on the blank lines
  around it as any one-line statement does, which is what the placeholder is. Likewise
  a long literal written one element per line with a magic trailing comma (spec.py's
  field tables): black puts each element on lines of its own and formats it alone, so
  a few elements at a time are formatted inside a list of their own.

An edit then costs black's time for the runs it touched, not for the definition.
tests/test_render_pieces.py checks the joined pieces against black's output for the
whole module, for hand-made awkward code and for every module the spec renders.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
# Statements left in the skeleton: black's blank lines around them depend on what they are.
_KEPT = (*_DEFINITIONS, ast.Import, ast.ImportFrom)
# Lines that may be a nested definition or a decorator (a matrix product continued on a
# new line matches too: that statement just stays in the skeleton).
_NESTED_DEFINITION = re.compile(r"^[ \t]*(?:@|def\b|async\b|class\b)", re.MULTILINE)
# A comment black reads as an encoding declaration when it is on a file's first two lines.
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)
# Text whose formatting black ties to its place or its neighbours (fmt: off/skip regions,
# tabs, form feeds): a definition holding any of it is formatted whole.
_WHOLE = ("fmt:", "yapf:", "\t", "\f")
PLACEHOLDER = "_gdzw_black_run_"
# A definition shorter than this is formatted whole: cutting it saves little and costs a
# black call per run the first time.
SPLIT_MIN_LINES = 24
# Elements of a literal are cut out a few lines at a time: one black call per element
# would cost more than it saves the first time.
ELEMENT_LINES = 4


def top_level_pieces(source: str) -> list[tuple[int, str]]:
    """``source`` cut where black's blank lines do not depend on what is around the cut:
    (blank lines before the piece, the piece).

    Cuts fall before and after each top-level function and class definition (black puts
    exactly two blank lines there) and between two top-level assignments (black keeps the
    blank lines the source has, at most two). A piece starts with the comment lines
    directly above its first statement, and a definition's with its decorators; other
    statements (the docstring, imports, ``if`` blocks) stay in the piece around them.
    """
    return [(piece.blank, piece.text) for piece in cut_module(source)]


@dataclass(frozen=True)
class Piece:
    """One piece of a module: the blank lines before it, its text and, when the piece is a
    single top-level definition, that definition's skeleton (or None)."""

    blank: int
    text: str
    skeleton: Skeleton | None


@dataclass(frozen=True)
class Run:
    """A run of source cut out of a skeleton: statements of a body (``indent`` columns in,
    ``text`` dedented), or elements of a bracketed literal (``element``: ``text`` is the
    elements' lines as they stand, four columns in, each with its trailing comma)."""

    indent: int
    text: str
    element: bool = False

    def placeholder(self, number: int) -> str:
        """The line that stands for the run in the skeleton."""
        return f"{' ' * self.indent}{PLACEHOLDER}{number}{',' if self.element else ''}\n"

    def source(self) -> str:
        """What black formats for the run: elements inside a list of their own (black
        formats each element of an exploded literal by itself, four columns in)."""
        return f"{ELEMENT_HEAD}{self.text}{ELEMENT_TAIL}" if self.element else self.text

    def unwrap(self, formatted: str) -> str | None:
        """The run's lines from black's output for ``source()`` (None: not as expected)."""
        if not self.element:
            prefix = " " * self.indent
            lines = formatted.splitlines(keepends=True)
            return "".join(prefix + line if line.strip() else line for line in lines)
        if formatted.startswith(ELEMENT_HEAD) and formatted.endswith(ELEMENT_TAIL):
            return formatted[len(ELEMENT_HEAD) : -len(ELEMENT_TAIL)]
        return None


ELEMENT_HEAD = "_ = [\n"
ELEMENT_TAIL = "]\n"


@dataclass(frozen=True)
class Skeleton:
    """A piece with runs of it replaced by placeholder lines (``Run.placeholder``)."""

    text: str
    runs: tuple[Run, ...]


def cut_module(source: str) -> list[Piece]:
    """``top_level_pieces``, each long definition or literal with its skeleton."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    cuts: list[tuple[int, int]] = [(0, 0)]  # (line where a piece starts, blank lines before)
    held: list[list[ast.stmt]] = [[]]  # the statements of each piece
    previous: ast.stmt | None = None
    previous_end = 0  # the line after the previous statement (0-based)
    for node in tree.body:
        start = _first_line(node)
        after_block = hasattr(previous, "body")  # an indented comment there is the block's
        if (
            isinstance(previous, _DEFINITIONS)
            and "..." in lines[previous_end - 1]
            and all(line.strip() for line in lines[previous_end:start])
        ):
            # No cut right below a definition: black keeps no blank line after a stub
            # (``def f(): ...``) when the source has none, so the two share a piece.
            pass
        elif isinstance(node, _DEFINITIONS):
            # Comments directly above go with a definition (black moves its blank lines
            # above them); ones with a blank line below keep their own blank lines.
            start = _comments_above(lines, previous_end, start, after_block, detached=False)
            cuts.append((start, 2))
            held.append([])
        elif isinstance(previous, _DEFINITIONS) or (
            isinstance(node, _ASSIGNMENTS) and isinstance(previous, _ASSIGNMENTS)
        ):
            # Every comment since the previous statement goes with this one: black puts two
            # blank lines after a definition, and keeps the source's (at most two) after an
            # assignment, before the first of them.
            start = _comments_above(lines, previous_end, start, after_block, detached=True)
            blank = sum(1 for line in lines[previous_end:start] if not line.strip())
            cuts.append((start, 2 if isinstance(previous, _DEFINITIONS) else min(blank, 2)))
            held.append([])
        held[-1].append(node)
        previous = node
        previous_end = node.end_lineno or node.lineno
    cuts.append((len(lines), 0))
    pieces: list[Piece] = []
    for (start, blank), (end, _), nodes in zip(cuts, cuts[1:], held, strict=False):
        text = "".join(lines[start:end]).strip("\n")
        if not text.strip():
            continue
        skeleton = None
        if len(nodes) == 1 and end - start >= SPLIT_MIN_LINES and _cuttable(lines, start, end):
            skeleton = _skeleton(lines, start, end, nodes[0])
        pieces.append(Piece(blank if pieces else 0, text + "\n", skeleton))
    return pieces


def _comments_above(
    lines: list[str], previous_end: int, start: int, after_block: bool, detached: bool
) -> int:
    """The first line of the comments above ``lines[start]`` that go with its statement:
    those directly above, or (``detached``) every one back to the previous statement, but
    not an indented one after a block (black keeps it in the block)."""
    first = start
    while start > previous_end:
        line = lines[start - 1]
        if not line.strip():
            if not detached:
                break
        elif line.startswith("#") or (not after_block and line.lstrip().startswith("#")):
            first = start - 1
        else:
            break
        start -= 1
    return first


def _first_line(node: ast.stmt) -> int:
    """The 0-based line a statement starts on, its decorators included."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]) - 1


def _cuttable(lines: list[str], start: int, end: int) -> bool:
    text = "".join(lines[start:end])
    return PLACEHOLDER not in text and not any(mark in text for mark in _WHOLE)


def _skeleton(lines: list[str], start: int, end: int, node: ast.stmt) -> Skeleton | None:
    """The skeleton of the piece ``lines[start:end]`` holding only ``node`` (a definition,
    or an assignment of a bracketed literal), or None when nothing in it can be cut out
    safely."""
    # After the statement, up to the next piece: blank lines and column-0 comments only.
    for line in lines[node.end_lineno or node.lineno : end]:
        if line.strip() and not line.startswith("#"):
            return None
    if isinstance(node, _DEFINITIONS):
        spans = [
            (first, last, Run(indent, _dedent(lines[first:last], indent)))
            for first, last, indent in _Runs(lines).of_body(node)
        ]
    elif isinstance(node, _ASSIGNMENTS) and node.value is not None:
        spans = _elements(lines, node, node.value)
    else:
        return None
    if not spans:
        return None
    out: list[str] = []
    position = start
    for number, (first, last, run) in enumerate(spans):
        out += lines[position:first]
        out.append(run.placeholder(number))
        position = last
    out += lines[position:end]
    return Skeleton("".join(out).strip("\n") + "\n", tuple(run for _, _, run in spans))


def _dedent(lines: list[str], indent: int) -> str:
    return "".join(line[indent:] if line.strip() else "\n" for line in lines)


_CLOSING = {ast.Tuple: b")", ast.List: b"]", ast.Set: b"}", ast.Dict: b"}"}


def _elements(lines: list[str], node: ast.stmt, value: ast.expr) -> list[tuple[int, int, Run]]:
    """The elements of a literal written one or more whole lines each, four columns in,
    each with its comma, the opening bracket ending the statement's first line and the
    closing one alone on the last (a magic trailing comma: black keeps it exploded)."""
    closing = _CLOSING.get(type(value))
    if closing is None:
        return []
    if isinstance(value, ast.Dict):
        if any(key is None for key in value.keys):  # a ``**mapping`` entry
            return []
        starts: list[ast.expr] = [key for key in value.keys if key is not None]
        ends: list[ast.expr] = list(value.values)
    else:
        starts = ends = list(getattr(value, "elts", []))
    if len(starts) < 2:  # one element and a comma is not a magic trailing comma for (x,)
        return []
    opening = lines[value.lineno - 1].encode()[value.col_offset :]
    if opening.rstrip(b"\n") not in (b"(", b"[", b"{") or value.lineno != node.lineno:
        return []
    position = value.lineno  # the line after the opening bracket (0-based)
    spans: list[tuple[int, int, Run]] = []
    for first, last in zip(starts, ends, strict=True):
        end = last.end_lineno or last.lineno
        after = lines[end - 1].encode()[last.end_col_offset or 0 :]
        if first.lineno - 1 != position or first.col_offset != 4 or after != b",\n":
            return []
        text = "".join(lines[position:end])
        if "#" in text or '"""' in text or "'''" in text or "\\\n" in text:
            return []  # a comment, or a string across lines: the literal stays whole
        if spans and spans[-1][1] == position and position - spans[-1][0] < ELEMENT_LINES:
            begin, _, run = spans.pop()  # a short element joins the run before it
            spans.append((begin, end, Run(4, run.text + text, element=True)))
        else:
            spans.append((position, end, Run(4, text, element=True)))
        position = end
    if len(spans) < 2:  # a lone placeholder in a tuple would not keep it exploded
        return []
    last_line = lines[position] if position < len(lines) else ""
    if (
        value.end_lineno != position + 1
        or (node.end_lineno or node.lineno) != position + 1
        or last_line.encode() != closing + b"\n"
    ):
        return []
    return spans


class _Runs:
    """Finds the runs of plain statements in a definition's body, and in the bodies of
    the definitions nested in it: (first line, line after the last, indent)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def of_body(self, node: ast.stmt) -> list[tuple[int, int, int]]:
        """The runs in ``node``'s body; none when a cut there might not be black's."""
        body: list[ast.stmt] = getattr(node, "body", [])
        if not body or body[0].lineno <= node.lineno:
            return []  # the body starts on the definition's line
        indent = body[0].col_offset
        runs: list[tuple[int, int, int]] = []
        run: list[int] | None = None  # [first, last) of the run being collected
        floor = node.lineno  # comments above the first statement: not above the header
        previous_end: int | None = None
        for statement in body:
            if statement.col_offset != indent:
                return []
            start = _first_line(statement)
            if previous_end is not None and start < previous_end:
                return []  # two statements on one line
            while start > floor and self._comment_at(start - 1, indent):
                start -= 1  # comments directly above go with the statement
            if previous_end is not None and not all(
                not line.strip() or self._comment_line(line, indent)
                for line in self.lines[previous_end:start]
            ):
                return []  # a comment black might give to the block above
            end = statement.end_lineno or statement.lineno
            if self._plain(statement, start, end, indent):
                if run is not None and run[1] == start:
                    run[1] = end
                else:
                    if run is not None:
                        runs.append((run[0], run[1], indent))
                    run = [start, end]
            else:
                if run is not None:
                    runs.append((run[0], run[1], indent))
                    run = None
                if isinstance(statement, _DEFINITIONS):
                    runs += self.of_body(statement)
            previous_end = floor = end
        if run is not None:
            runs.append((run[0], run[1], indent))
        return runs

    def _comment_at(self, index: int, indent: int) -> bool:
        return self._comment_line(self.lines[index], indent)

    @staticmethod
    def _comment_line(line: str, indent: int) -> bool:
        return line.startswith(" " * indent + "#")

    def _plain(self, statement: ast.stmt, start: int, end: int, indent: int) -> bool:
        """Whether ``statement`` can become a placeholder: a statement black treats as any
        other line for blank lines, whose text survives being dedented."""
        if isinstance(statement, _KEPT):
            return False
        if isinstance(statement, ast.Expr) and isinstance(
            statement.value, (ast.Constant, ast.JoinedStr)
        ):
            return False  # a docstring (black's, alone), or ``...`` (a stub body)
        text = "".join(self.lines[start:end])
        prefix = " " * indent
        return not (
            '"""' in text
            or "'''" in text  # a string across lines would change when dedented
            or "\\\n" in text  # so would a line continued with a backslash
            or _NESTED_DEFINITION.search(text)
            or _CODING.search("".join(self.lines[start : start + 2]))
            or any(line.strip() and not line.startswith(prefix) for line in self.lines[start:end])
        )
