"""Cross-record checks over a dataset of mixed record types, kept in an on-disk index.

Pass 1 streams every record into a SQLite index (never into Python sets): each
record's (type, RowGuid, Cd_Batch) with where it was read, accept records'
ProjectNo values (and an accept list's), the ProjectNo each referencing record
names, and every reconciliation record's (Table_name, Cd_batch, Cd_count).
Pass 2 asks the index for

- ``duplicate_row_guid``: a RowGuid seen before in records of the same type
  (each later occurrence, with the first place it was seen). Records of one
  RowGuid read in order are a change log: a later record whose Cd_Operation is
  ``U`` (update) or ``D`` (delete) changes the earlier one and is no duplicate;
  a later ``I`` (insert) or one without Cd_Operation is;
- ``unknown_project``: a ProjectNo that no accept record in the set (nor the
  accept list) has;
- ``reconciliation_count``: a reconciliation record whose Cd_count differs from
  the distinct RowGuids held for its table and batch (zero when the set has no
  record of that batch at all).

Memory stays flat: rows are written with ``executemany`` in batched
transactions, indexes are built once after loading, and problems are read from
cursors in the order the records were read.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Final

ACCEPT_KEY: Final = "accept"
PROJECT_NO: Final = "ProjectNo"
#: Cd_Operation values that change an earlier record of the same RowGuid (L295: U 更新, D 删除).
CHANGES: Final = ("U", "D")

DUPLICATE_ROW_GUID: Final = "duplicate_row_guid"
UNKNOWN_PROJECT: Final = "unknown_project"
RECONCILIATION_COUNT: Final = "reconciliation_count"
#: Cross-record problem code → Chinese label.
CROSS_PROBLEM_LABELS: Final[dict[str, str]] = {
    DUPLICATE_ROW_GUID: "记录唯一标识重复",
    UNKNOWN_PROJECT: "办件编号无受理记录",
    RECONCILIATION_COUNT: "对账数量不符",
}

#: Rows buffered before one ``executemany`` + commit.
BATCH_ROWS: Final = 20_000
_FORMAT: Final = "gdzw-codegen dataset index 2"
# Indexes an earlier version wrote, which --index may replace too.
_EARLIER_FORMATS: Final = ("gdzw-codegen dataset index 1",)

_SCHEMA: Final = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL, sheet TEXT);
CREATE TABLE rows (
    record_key TEXT NOT NULL, row_guid TEXT NOT NULL, cd_batch TEXT, change INTEGER NOT NULL,
    file INTEGER NOT NULL, number INTEGER NOT NULL, line INTEGER
);
CREATE TABLE accepts (project_no TEXT NOT NULL);
CREATE TABLE refs (
    record_key TEXT NOT NULL, project_no TEXT NOT NULL,
    file INTEGER NOT NULL, number INTEGER NOT NULL, line INTEGER
);
CREATE TABLE reconciliations (
    table_name TEXT NOT NULL, cd_batch TEXT NOT NULL, cd_count INTEGER NOT NULL,
    file INTEGER NOT NULL, number INTEGER NOT NULL, line INTEGER
);
CREATE TABLE tables (table_name TEXT PRIMARY KEY, record_key TEXT NOT NULL);
"""
_INSERTS: Final[dict[str, str]] = {
    "rows": "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?)",
    "accepts": "INSERT INTO accepts VALUES (?)",
    "refs": "INSERT INTO refs VALUES (?, ?, ?, ?, ?)",
    "reconciliations": "INSERT INTO reconciliations VALUES (?, ?, ?, ?, ?, ?)",
}
_INDEXES: Final = """
CREATE INDEX IF NOT EXISTS rows_guid ON rows (record_key, row_guid);
CREATE INDEX IF NOT EXISTS accepts_project ON accepts (project_no);
"""
_BATCH_INDEX: Final = (
    "CREATE INDEX IF NOT EXISTS rows_batch ON rows (record_key, cd_batch, row_guid)"
)
# Later occurrences of a (type, RowGuid) with the first one, in reading order.
_DUPLICATES: Final = """
WITH firsts AS (
    SELECT record_key, row_guid, MIN(rowid) AS first FROM rows
    GROUP BY record_key, row_guid HAVING COUNT(*) > 1
)
SELECT r.record_key, r.row_guid, r.file, r.number, r.line, f.file, f.number, f.line
FROM firsts
JOIN rows AS r ON r.record_key = firsts.record_key AND r.row_guid = firsts.row_guid
JOIN rows AS f ON f.rowid = firsts.first
WHERE r.rowid <> firsts.first AND r.change = 0
ORDER BY r.rowid
"""
_UNKNOWN_PROJECTS: Final = """
SELECT record_key, project_no, file, number, line FROM refs
WHERE NOT EXISTS (SELECT 1 FROM accepts WHERE accepts.project_no = refs.project_no)
ORDER BY rowid
"""
_RECONCILIATIONS: Final = """
SELECT c.table_name, t.record_key, c.cd_batch, c.cd_count, c.file, c.number, c.line,
    (SELECT COUNT(DISTINCT r.row_guid) FROM rows AS r
     WHERE r.record_key = t.record_key AND r.cd_batch = c.cd_batch)
FROM reconciliations AS c JOIN tables AS t ON t.table_name = c.table_name
ORDER BY c.rowid
"""


class DatasetError(Exception):
    """The index cannot be used (e.g. ``--index`` names a file that is not one)."""


@dataclass(frozen=True)
class DatasetRules:
    """What the cross-record checks need to know about the record types."""

    row_guid_keys: frozenset[str]  # types whose RowGuid must be unique (within the type)
    referencing_keys: frozenset[str]  # types whose ProjectNo must name an accept record
    reconciliation_keys: frozenset[str]  # types holding Table_name, Cd_batch and Cd_count
    tables: Mapping[str, str]  # reconciliation Table_name → record type
    labels: Mapping[str, str]  # record type → Chinese name
    # The system fields' wire names, from the package's spec.py (the model's facts):
    row_guid: str
    batch: str
    operation: str  # Cd_Operation: I, U or D
    reconciliation_fields: tuple[str, str, str]  # Table_name, Cd_batch, Cd_count
    # False when only RowGuids are checked across records (``validate --interface``): the
    # index then holds no ProjectNo or reconciliation rows nobody would ask for.
    across_types: bool = True


def rules_from_package(package: ModuleType, across_types: bool = True) -> DatasetRules:
    """The rules for the generated package's record types (its ``spec`` metadata);
    ``across_types`` False checks RowGuids alone (see :attr:`DatasetRules.across_types`)."""
    spec = package.spec
    fields = {key: {str(f.wire_name) for f in spec.FIELDS[key]} for key in spec.RECORD_KEYS}
    row_guid = str(spec.ROW_GUID)
    recon = (str(spec.RECON_TABLE), str(spec.RECON_BATCH), str(spec.RECON_COUNT))
    return DatasetRules(
        row_guid_keys=frozenset(k for k, names in fields.items() if row_guid in names),
        referencing_keys=frozenset(
            k for k, names in fields.items() if PROJECT_NO in names and k != ACCEPT_KEY
        ),
        reconciliation_keys=frozenset(k for k, names in fields.items() if set(recon) <= names),
        tables={str(table): str(key) for key, table in spec.RECONCILIATION_TABLES.items()},
        labels={str(key): str(label) for key, label in spec.RECORD_LABELS.items()},
        row_guid=row_guid,
        batch=str(spec.CD_BATCH),
        operation=str(spec.CD_OPERATION),
        reconciliation_fields=recon,
        across_types=across_types,
    )


@dataclass(frozen=True)
class Place:
    """Where a record was read: ``file:#3 (line 4)``, or ``file 受理!7:7`` in a workbook."""

    file: str
    number: int
    line: int | None = None  # the line of JSON Lines, the row of a workbook
    sheet: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.file} {self.sheet}!{self.line}:{self.line}"
        return f"{self.file}:#{self.number}" + (f" (line {self.line})" if self.line else "")


@dataclass(frozen=True)
class CrossProblem:
    """A problem between records; always an error."""

    code: str
    place: Place
    message: str
    severity: str = "error"


class DatasetIndex:
    """The on-disk key index of one dataset; a context manager.

    ``path`` None keeps the index in a temporary file removed on close; a given
    path is created (or an earlier index there replaced) and kept.
    """

    def __init__(self, rules: DatasetRules, path: Path | None = None) -> None:
        self.rules = rules
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if path is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="codegen-validate-")
            path = Path(self._scratch.name) / "index.sqlite3"
        else:
            _clear_earlier_index(path)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode = OFF")  # scratch data: rebuilt on every run
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT INTO meta VALUES ('format', ?)", (_FORMAT,))
        self._db.executemany("INSERT INTO tables VALUES (?, ?)", sorted(rules.tables.items()))
        self._db.commit()
        self._files: dict[tuple[str, str | None], int] = {}
        self._file_names: dict[int, tuple[str, str | None]] = {}
        self._pending: dict[str, list[tuple[object, ...]]] = {name: [] for name in _INSERTS}
        self._buffered = 0

    def __enter__(self) -> DatasetIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._buffered:
            self.flush()
        self._db.close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    # ------------------------------------------------------------ pass 1

    def file_id(self, file: str, sheet: str | None = None) -> int:
        """The id under which records read from ``file`` (its ``sheet``) are stored."""
        known = self._files.get((file, sheet))
        if known is not None:
            return known
        cursor = self._db.execute("INSERT INTO files (path, sheet) VALUES (?, ?)", (file, sheet))
        new_id = int(cursor.lastrowid or 0)
        self._files[(file, sheet)] = new_id
        self._file_names[new_id] = (file, sheet)
        return new_id

    def add(
        self, key: str, record: Mapping[str, object], file: int, number: int, line: int | None
    ) -> None:
        """Records what the checks need from one (normalized) record of type ``key``."""
        self.add_entry(index_entry(self.rules, key, record), file, number, line)

    def add_entry(self, entry: IndexEntry, file: int, number: int, line: int | None) -> None:
        """Stores an :func:`index_entry` (made anywhere, e.g. in a worker process) for the
        record read at (file, number, line)."""
        for table, row in entry_rows(entry, file, number, line):
            self._queue(table, row)

    def add_rows(self, table: str, rows: list[tuple[object, ...]]) -> None:
        """Stores rows made by :func:`entry_rows` (many records' at once)."""
        self._pending[table].extend(rows)
        self._buffered += len(rows)
        if self._buffered >= BATCH_ROWS:
            self.flush()

    def add_accept_list(self, lines: Iterable[str]) -> int:
        """Adds ProjectNo values known upstream (one a line; blank and ``#`` lines skipped)."""
        added = 0
        for line in lines:
            value = line.strip()
            if value and not value.startswith("#"):
                self._queue("accepts", (value,))
                added += 1
        return added

    def flush(self) -> None:
        """Writes the buffered rows in one transaction."""
        for table, rows in self._pending.items():
            if rows:
                self._db.executemany(_INSERTS[table], rows)
                rows.clear()
        self._db.commit()
        self._buffered = 0

    def _queue(self, table: str, row: tuple[object, ...]) -> None:
        self._pending[table].append(row)
        self._buffered += 1
        if self._buffered >= BATCH_ROWS:
            self.flush()

    # ------------------------------------------------------------ pass 2

    def problems(self) -> Iterator[CrossProblem]:
        """Every cross-record problem: duplicates, unknown projects, reconciliation counts."""
        self.flush()
        self._db.executescript(_INDEXES)
        yield from self.duplicate_row_guids()
        yield from self.unknown_projects()
        yield from self.reconciliation_mismatches()

    def duplicate_row_guids(self) -> Iterator[CrossProblem]:
        """Later records of a (type, RowGuid) that are not a change (Cd_Operation U or D)."""
        self.flush()
        self._db.executescript(_INDEXES)
        for key, guid, file, number, line, f_file, f_number, f_line in self._db.execute(
            _DUPLICATES
        ):
            first = self._place(f_file, f_number, f_line)
            message = (
                f"RowGuid（记录唯一标识）{guid!r} 在{self._label(key)}记录中重复，"
                f"首次出现于 {first}"
            )
            yield CrossProblem(DUPLICATE_ROW_GUID, self._place(file, number, line), message)

    def unknown_projects(self) -> Iterator[CrossProblem]:
        listed = self._db.execute("SELECT 1 FROM accepts LIMIT 1").fetchone() is not None
        for key, project_no, file, number, line in self._db.execute(_UNKNOWN_PROJECTS):
            message = (
                f"{self._label(key)}的 ProjectNo（办件编号）{project_no!r} 没有对应的"
                f"{self._label(ACCEPT_KEY)}记录（数据集与已受理清单中都没有）"
                if listed
                else f"{self._label(key)}的 ProjectNo（办件编号）{project_no!r} 没有对应的"
                f"{self._label(ACCEPT_KEY)}记录（数据集中没有受理记录）"
            )
            yield CrossProblem(UNKNOWN_PROJECT, self._place(file, number, line), message)

    def reconciliation_mismatches(self) -> Iterator[CrossProblem]:
        if self._db.execute("SELECT 1 FROM reconciliations LIMIT 1").fetchone() is None:
            return
        self._db.execute(_BATCH_INDEX)
        for table, key, batch, count, file, number, line, held in self._db.execute(
            _RECONCILIATIONS
        ):
            if held == count:
                continue
            if held == 0:
                message = (
                    f"对账记录数 Cd_count 为 {count}，但数据集中没有表 {table}"
                    f"（{self._label(key)}）批次 {batch} 的任何记录"
                )
            else:
                message = (
                    f"对账记录数 Cd_count 为 {count}，数据集中表 {table}"
                    f"（{self._label(key)}）批次 {batch} 有 {held} 条记录（按 RowGuid 计）"
                )
            yield CrossProblem(RECONCILIATION_COUNT, self._place(file, number, line), message)

    def count(self, table: str) -> int:
        """Rows stored in one of the index's tables (for reports and tests)."""
        if table not in _INSERTS:
            raise ValueError(f"unknown index table {table!r}")
        self.flush()
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _place(self, file: int, number: int, line: int | None) -> Place:
        path, sheet = self._file_names[file]
        return Place(path, number, line, sheet)

    def _label(self, key: str) -> str:
        label = self.rules.labels.get(key)
        return f"{label}（{key}）" if label else key


#: What one record adds to the index: (table, values without the place) pairs.
IndexEntry = tuple[tuple[str, tuple[object, ...]], ...]


def index_entry(rules: DatasetRules, key: str, record: Mapping[str, object]) -> IndexEntry:
    """What the cross-record checks need from one (normalized) record of type ``key``: a
    pure function of the record, so it can be computed where the record was validated."""
    entry: list[tuple[str, tuple[object, ...]]] = []
    row_guid = _text(record.get(rules.row_guid))
    if key in rules.row_guid_keys and row_guid is not None:
        change = 1 if record.get(rules.operation) in CHANGES else 0
        entry.append(("rows", (key, row_guid, _text(record.get(rules.batch)), change)))
    if not rules.across_types:
        return tuple(entry)
    project_no = _text(record.get(PROJECT_NO))
    if key == ACCEPT_KEY and project_no is not None:
        entry.append(("accepts", (project_no,)))
    elif key in rules.referencing_keys and project_no is not None:
        entry.append(("refs", (key, project_no)))
    if key in rules.reconciliation_keys:
        table, batch, count = (record.get(n) for n in rules.reconciliation_fields)
        if _text(table) is not None and _text(batch) is not None and _is_count(count):
            entry.append(("reconciliations", (table, batch, count)))
    return tuple(entry)


def entry_rows(
    entry: IndexEntry, file: int, number: int, line: int | None
) -> Iterator[tuple[str, tuple[object, ...]]]:
    """(table, row) of each part of an :func:`index_entry` for the record read at (file,
    number, line); an ``accepts`` row is the ProjectNo alone (the place is not needed)."""
    for table, values in entry:
        yield table, values if table == "accepts" else (*values, file, number, line)


def renumbered(table: str, rows: list[tuple[object, ...]], base: int) -> list[tuple[object, ...]]:
    """:func:`entry_rows` rows of ``table`` whose record numbers count ``base`` more."""
    if table == "accepts" or base == 0:
        return rows
    return [(*row[:-2], row[-2] + base, row[-1]) for row in rows]  # type: ignore[operator]


def _clear_earlier_index(path: Path) -> None:
    """Removes an earlier index at ``path``; refuses to touch any other file."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    except sqlite3.Error:
        row = None
    if row is None or (row[0] != _FORMAT and row[0] not in _EARLIER_FORMATS):
        raise DatasetError(
            f"{path} 已存在且不是 codegen validate 的索引文件，不会覆盖 "
            f"(exists and is not a codegen validate index; not overwritten)"
        )
    path.unlink()


def _text(value: object) -> str | None:
    """A key worth indexing: non-empty text SQLite can store (UTF-8 cannot encode a lone
    surrogate; the record's own check reports it as ``unencodable``)."""
    if not isinstance(value, str) or value == "":
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return value


def _is_count(value: object) -> bool:
    """An integer SQLite can hold (the validator reports any other Cd_count)."""
    return isinstance(value, int) and not isinstance(value, bool) and _INT64 <= value < -_INT64


_INT64: Final = -(2**63)
