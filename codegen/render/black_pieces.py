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
  around it as any one-line statement does, which is what the placeholder is.

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
class Skeleton:
    """A definition with runs of plain statements replaced by placeholder lines.

    ``text`` is the definition's piece with each run in ``runs`` (its indent, its text
    dedented) replaced by the line ``indent + PLACEHOLDER + number``.
    """

    text: str
    runs: tuple[tuple[int, str], ...]

    @staticmethod
    def placeholder(indent: int, number: int) -> str:
        return f"{' ' * indent}{PLACEHOLDER}{number}\n"


def cut_module(source: str) -> list[Piece]:
    """``top_level_pieces``, each definition with its skeleton where one helps."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    # (line where a piece starts, blank lines before, the definition it holds)
    cuts: list[tuple[int, int, ast.stmt | None]] = [(0, 0, None)]
    previous: ast.stmt | None = None
    previous_end = 0  # the line after the previous statement (0-based)
    for node in tree.body:
        start = _first_line(node)
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1  # comments directly above belong to the statement
        if isinstance(node, _DEFINITIONS):
            cuts.append((start, 2, node))
        elif isinstance(previous, _DEFINITIONS):
            cuts.append((start, 2, None))
        elif isinstance(node, _ASSIGNMENTS) and isinstance(previous, _ASSIGNMENTS):
            blank = sum(1 for line in lines[previous_end:start] if not line.strip())
            cuts.append((start, min(blank, 2), None))
        previous = node
        previous_end = node.end_lineno or node.lineno
    cuts.append((len(lines), 0, None))
    pieces: list[Piece] = []
    for (start, blank, held), (end, _, _) in zip(cuts, cuts[1:], strict=False):
        text = "".join(lines[start:end]).strip("\n")
        if not text.strip():
            continue
        skeleton = None
        if isinstance(held, _DEFINITIONS) and end - start >= SPLIT_MIN_LINES:
            skeleton = _skeleton(lines, start, end, held)
        pieces.append(Piece(blank if pieces else 0, text + "\n", skeleton))
    return pieces


def _first_line(node: ast.stmt) -> int:
    """The 0-based line a statement starts on, its decorators included."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]) - 1


def _skeleton(lines: list[str], start: int, end: int, node: ast.stmt) -> Skeleton | None:
    """The skeleton of the definition ``node`` filling ``lines[start:end]``, or None when
    nothing in it can be cut out safely."""
    text = "".join(lines[start:end])
    if PLACEHOLDER in text or any(mark in text for mark in _WHOLE):
        return None
    # After the definition, up to the next piece: blank lines and column-0 comments only.
    for line in lines[node.end_lineno or node.lineno : end]:
        if line.strip() and not line.startswith("#"):
            return None
    runs = _Runs(lines).of_body(node)
    if not runs:
        return None
    out: list[str] = []
    texts: list[tuple[int, str]] = []
    position = start
    for number, (first, last, indent) in enumerate(runs):
        out += lines[position:first]
        out.append(Skeleton.placeholder(indent, number))
        dedented = (line[indent:] if line.strip() else "\n" for line in lines[first:last])
        texts.append((indent, "".join(dedented)))
        position = last
    out += lines[position:end]
    return Skeleton("".join(out).strip("\n") + "\n", tuple(texts))


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
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return False  # a docstring, or ``...`` (a stub body)
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
