"""Problems found in the spec itself, reported with file and field."""

from __future__ import annotations

from dataclasses import dataclass

#: Characters a problem's place and message keep; values quoted in them can be
#: anything a hostile file holds, and a report must stay readable.
PATH_MAX_CHARS = 200
MESSAGE_MAX_CHARS = 1000


@dataclass(frozen=True)
class SpecProblem:
    file: str
    path: str
    message: str
    # The file could not be read at all (not UTF-8, not a regular file, too large,
    # a damaged workbook): exit 2 rather than 1.
    unreadable: bool = False

    def __post_init__(self) -> None:
        for name, limit in (("path", PATH_MAX_CHARS), ("message", MESSAGE_MAX_CHARS)):
            value = getattr(self, name)
            if len(value) > limit:
                object.__setattr__(
                    self, name, f"{value[:limit]}…（已截断，共 {len(value)} 个字符）"
                )

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class SpecError(Exception):
    """The spec has problems; every one is listed, none is fatal alone."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        # Grouped by file, each file's problems in the order they were found.
        self.problems = sorted(problems, key=lambda p: p.file)
        super().__init__(f"{len(self.problems)} problem(s) in the spec")

    @property
    def exit_code(self) -> int:
        """2 when a file could not be read, else 1 (a spec that says something wrong)."""
        return 2 if any(p.unreadable for p in self.problems) else 1

    def report(self) -> str:
        lines = [
            f"规范文件有 {len(self.problems)} 处问题 (spec has {len(self.problems)} problem(s)):"
        ]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)
