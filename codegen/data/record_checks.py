"""Each record of a file checked on its own: normalized, validated, its problems placed,
its keys for the cross-record index taken; a large JSON Lines file across processes.

:class:`RecordChecker` yields the records' results a piece at a time
(:class:`codegen.data.pieces.PieceResult`: counts, the problems' text, the index rows),
always in the order of the file, whether the records were checked in this process or in
worker processes (``jobs``). For workers the file is cut into pieces of about
``CHUNK_BYTES`` just after a line end (the line number each piece starts at is
counted here, at C speed); each worker reads its pieces itself and returns their
results, which are taken back in the order the pieces were handed out, round robin,
at most two per worker in flight (memory stays bounded, and no worker ever waits on a
task this process is still writing). Everything that depends on one record alone is
done in a worker, down to each problem's text; what spans records (the running totals,
the record numbers, the output's order, the cross-record index) stays with the caller,
which takes the pieces in input order. Parallel work pays only on large files (``PARALLEL_MIN_BYTES``); workbooks and
JSON arrays are read in this process. The workers are plain processes over pipes,
without the helper threads of ``multiprocessing.Pool`` (each thread would reserve
its own stack and allocator arena: address space a capped run does not have).
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing import reduction
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, NamedTuple

from codegen.data import jsonstream, record_files
from codegen.data.datasets import DatasetRules, entry_rows, index_entry
from codegen.data.fast_json import decode_flat
from codegen.data.idle import IDLE_SAMPLE, IdleProbe, auto_jobs
from codegen.data.jsonstream import Item, RawLine
from codegen.data.pieces import PieceLine, PieceResult, line_text, summarize
from codegen.data.record_results import Finding, RecordResult

__all__ = [
    "Finding",
    "PieceResult",
    "RecordChecker",
    "RecordResult",
    "Settings",
    "WorkerError",
    "check_item",
    "finding",
]

#: A JSON Lines file at least this large is checked by worker processes (with --jobs
#: not 1): below it starting the workers costs more than they save.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
#: Lines checked at a time in this process; bytes of a file a worker takes at a time.
CHUNK_LINES = 1000
CHUNK_BYTES = 1024 * 1024


#: Workers are handed the open file (SCM_RIGHTS) and read it with pread. Where the
#: handle must be acknowledged on the same socket (macOS), the acknowledgement would
#: mix with a worker's results in flight: there, and without pread, one process checks.
_CAN_HAND_FILES = hasattr(os, "pread") and not getattr(reduction, "ACKNOWLEDGE", True)


class WorkerError(Exception):
    """A worker process died or failed; ``--jobs 1`` checks without workers."""


class Settings(NamedTuple):
    """What checking one record needs besides the record (sent once to each worker)."""

    profile: str
    length_unit: str
    rules: DatasetRules


def finding(problem: Any, at: str = "") -> Finding:
    """A generated ``Problem`` as a finding at ``at`` ("": the record's place)."""
    p = problem
    return Finding(at, p.message, p.code, p.severity != "error", p.field, p.rule, p.value)


def check_item(
    package: ModuleType, settings: Settings, key: str, path: Path, item: Item, file: str = ""
) -> RecordResult:
    """One record read from ``path`` (``item``) checked as type ``key``; ``file`` is
    ``str(path)`` when the caller has it (one object for many results pickles once)."""
    file = file or str(path)
    sheet = getattr(item, "sheet", None)
    if isinstance(sheet, str) and sheet:
        row = getattr(item, "row", None)
        line = row if isinstance(row, int) else None
    else:
        sheet, line = None, item.line
    if item.error is not None:
        broken = Finding(
            "" if sheet is None else record_files.where(path, item), item.error, None, False
        )
        return RecordResult(
            file, key, item.number, line, sheet, (broken,), 1, item.error, item.unreadable, ()
        )
    value = item.value
    renamed: tuple[Any, ...] = ()
    if isinstance(value, dict):
        normalized = package.normalize(key, value)
        value, renamed = normalized.record, tuple(normalized.renamed)
    problems = package.validate(key, value, settings.profile, settings.length_unit)
    findings = []
    errors = 0
    for p in problems:
        at = "" if sheet is None else record_files.where(path, item, p.field, renamed)
        found = finding(p, at)
        errors += not found.warning
        findings.append(found)
    entry = index_entry(settings.rules, key, value) if isinstance(value, dict) else ()
    return RecordResult(
        file, key, item.number, line, sheet, tuple(findings), errors, None, False, entry
    )


def check_lines(
    package: ModuleType, settings: Settings, key: str, path: Path, lines: Iterable[RawLine]
) -> list[RecordResult]:
    """Raw JSON Lines decoded and checked (one chunk, in this or a worker process)."""
    decoder = jsonstream.make_decoder()
    file = str(path)
    results = []
    for number, line_no, raw, error in lines:
        if raw is None:
            item = Item(number, line_no, error=error, unreadable=True)
        else:
            value, problem = jsonstream.decode_raw_line(decoder, raw, line_no)
            if problem is None:
                item = Item(number, line_no, value)
            else:
                item = Item(number, line_no, error=problem, unreadable=True)
        results.append(check_item(package, settings, key, path, item, file))
    return results


FileIds = Callable[[str, "str | None"], int]


def check_lines_summarized(
    package: ModuleType,
    settings: Settings,
    key: str,
    file: str,
    lines: Iterable[RawLine],
    offset: int,
    file_id: int,
) -> PieceResult:
    """Raw JSON Lines decoded, checked and summarized in one loop: what
    ``summarize(check_lines(...))`` gives without a report, minus the objects made per
    record and per problem on the way (an Item, a RecordResult, each Finding), which
    cost as much as normalizing a record. Lines are numbered ``offset`` + 1 on."""
    decoder = jsonstream.make_decoder()
    normalize, validate = package.normalize, package.validate
    profile, unit, rules = settings.profile, settings.length_unit, settings.rules
    # A record whose keys are all wire names is what normalize() would return (as a copy,
    # which this loop does not need): then it is not called.
    wire_names = frozenset(str(f.wire_name) for f in package.spec.FIELDS[key])
    invalid = errors = warnings = unreadable = count = 0
    texts: list[PieceLine] = []
    rows: dict[str, list[tuple[object, ...]]] = {}
    value: object = None
    for number, line_no, raw, error in lines:
        count += 1
        number -= offset
        if raw is not None:
            value = decode_flat(raw)
            if value is None:
                value, error = jsonstream.decode_json_line(decoder, raw, line_no)
        if error is not None:  # the line cannot be read: one error, nothing to index
            invalid, errors, unreadable = invalid + 1, errors + 1, unreadable + 1
            texts.append((number, line_no, "", line_text(error, None, False)))
            continue
        if type(value) is dict and not value.keys() <= wire_names:
            value = normalize(key, value).record
        bad = 0
        for problem in validate(key, value, profile, unit):
            warning = problem.severity != "error"
            bad += not warning
            texts.append((number, line_no, "", line_text(problem.message, problem.code, warning)))
            warnings += warning
        if bad:
            invalid, errors = invalid + 1, errors + bad
        if type(value) is dict:
            for table, row in entry_rows(index_entry(rules, key, value), file_id, number, line_no):
                rows.setdefault(table, []).append(row)
    return PieceResult(file, key, count, invalid, errors, warnings, unreadable, texts, rows, None)


class RecordChecker:
    """Checks files record by record; a context manager (it may hold worker processes).

    ``jobs`` 1 checks everything in this process; more uses up to that many workers for
    each JSON Lines file of at least ``PARALLEL_MIN_BYTES``; 0 the idle processors
    (:mod:`codegen.data.idle`, measured while the first such file is checked). The results come as
    :class:`PieceResult` pieces, the same, in the same order, either way. ``file_ids``
    gives the cross-record index's id of a file (and sheet); ``keep`` keeps every
    record's own result in its piece (for a report).
    """

    def __init__(
        self,
        package: ModuleType,
        settings: Settings,
        file_ids: FileIds,
        jobs: int = 1,
        keep: bool = False,
    ) -> None:
        self.package = package
        self.settings = settings
        self.file_ids = file_ids
        self.jobs = max(0, jobs)  # 0: decided while the first large file is checked
        if not _CAN_HAND_FILES:  # not Linux: see _CAN_HAND_FILES
            self.jobs = 1
        self.keep = keep
        self._workers: _Workers | None = None
        self._probe: IdleProbe | None = None
        self._files = 0  # large files handed to workers so far

    def __enter__(self) -> RecordChecker:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Workers are told to finish, or stopped at once when an exception ends the run."""
        if self._workers is not None:
            self._workers.stop(gently=kind is None)
            self._workers = None

    def pieces(self, key: str, path: Path) -> Generator[PieceResult, None, None]:
        """Every record of ``path`` checked, in file order, in pieces numbered from 1 (the
        caller adds the records of the pieces before); OSError if it cannot be read. One
        file at a time: a file's pieces not taken are dropped when the next one starts."""
        file = str(path)
        if path.suffix.lower() in record_files.XLSX_SUFFIXES:
            yield from self._serial(key, path)
            return
        with open(path, "rb") as stream:
            if jsonstream.is_array(stream):
                yield from self._serial(key, path)
            elif os.fstat(stream.fileno()).st_size < PARALLEL_MIN_BYTES or self.jobs == 1:
                lines = jsonstream.raw_json_lines(stream, self._limit)
                yield from _check_chunks(
                    self.package,
                    self.settings,
                    key,
                    file,
                    self.file_ids(file, None),
                    self.keep,
                    lines,
                )
            else:
                yield from self._large(key, file, stream)

    def _summarize(
        self, file: str, key: str, results: list[RecordResult], offset: int
    ) -> PieceResult:
        def file_id(sheet: str | None) -> int:
            return self.file_ids(file, sheet)

        return summarize(file, key, results, offset, file_id, self.keep)

    def _serial(self, key: str, path: Path) -> Iterator[PieceResult]:
        file = str(path)
        results: list[RecordResult] = []
        offset = 0
        for item in record_files.read_records(path, key, self.package):
            results.append(check_item(self.package, self.settings, key, path, item, file))
            if len(results) >= CHUNK_LINES:
                yield self._summarize(file, key, results, offset)
                offset += len(results)
                results = []
        if results:
            yield self._summarize(file, key, results, offset)

    def _large(self, key: str, file: str, stream: BinaryIO) -> Iterator[PieceResult]:
        """A large JSON Lines file in pieces of about CHUNK_BYTES: by workers, or in this
        process. With ``jobs`` 0 the first pieces are checked here while the idle
        processors are measured (IDLE_SAMPLE seconds of work, not a pause); the rest by
        as many workers, or here when that is one."""
        # A JSON Lines file has no sheets: one id for all its records, known beforehand.
        task = (key, file, self.file_ids(file, None), self.keep)
        pieces = _pieces(stream, CHUNK_BYTES)
        if self.jobs == 0:
            if self._probe is None:
                self._probe = IdleProbe()
            for piece in pieces:
                yield from self._here(task, stream, *piece)
                if self._probe.elapsed() >= IDLE_SAMPLE:
                    self.jobs = auto_jobs(self._probe.processors())
                    break
            else:
                return  # the file ended first: the next large file measures on
        if self.jobs == 1:
            for piece in pieces:
                yield from self._here(task, stream, *piece)
        else:
            yield from self._parallel(task, stream, pieces)

    def _here(
        self, task: tuple[str, str, int, bool], stream: BinaryIO, start: int, end: int, line: int
    ) -> Iterator[PieceResult]:
        """A piece checked in this process, read through the file's open stream (as
        ``--jobs 1`` reads it, even if the file is replaced meanwhile)."""
        key, file, file_id, keep = task
        piece = _Piece(_stream_reader(stream), start, end)
        lines = jsonstream.raw_json_lines(piece, self._limit, line)  # type: ignore[arg-type]
        yield from _check_chunks(self.package, self.settings, key, file, file_id, keep, lines)

    def _parallel(
        self,
        task: tuple[str, str, int, bool],
        stream: BinaryIO,
        pieces: Iterator[tuple[int, int, int]],
    ) -> Iterator[PieceResult]:
        """The pieces handed to the workers round robin, their results taken back in file
        order, two pieces per worker in flight at most."""
        workers = self._workers
        if workers is not None and not workers.broken:
            workers.drain()  # left by a file whose pieces were not all taken, if any
        self._files += 1
        mine = self._files  # a file's pieces left untaken must not read this one's
        handle = stream.fileno()  # each worker gets the open file itself, not its name
        in_flight: deque[int] = deque()  # the worker of each piece handed out, in file order
        try:
            for sent, piece in enumerate(pieces):
                if workers is None:  # started with the first piece left for them
                    workers = self._workers = _Workers(self.jobs, self.package, self.settings)
                worker = sent % workers.count
                workers.send(worker, (*task, *piece), handle)
                in_flight.append(worker)
                while len(in_flight) >= 2 * workers.count:
                    yield from self._taken(workers, in_flight.popleft(), mine)
            while workers is not None and in_flight:
                yield from self._taken(workers, in_flight.popleft(), mine)
        except KeyboardInterrupt:
            raise  # Ctrl-C reached the workers too: nothing more comes from them
        except BaseException as exc:
            # The file broke off (OSError) or the caller stopped: the results still on
            # their way are read and dropped, so the workers start the next file clean.
            # A caller that stops has an error of its own (Ctrl-C while it printed, say,
            # which the workers got too): dead workers are then its to stop, not news.
            # Once another file has started, what is in flight is that file's.
            if workers is not None and not workers.broken and self._files == mine:
                workers.drain(quietly=isinstance(exc, GeneratorExit))
            raise

    def _taken(self, workers: _Workers, worker: int, mine: int) -> Iterator[PieceResult]:
        """The results of ``worker``'s oldest piece of file number ``mine``. Taken up
        again after another file's pieces started, it refuses: what the workers send is
        that file's (and what was this one's was dropped when it started)."""
        for result in workers.results(worker):
            yield result
            if self._files != mine:
                raise RuntimeError(
                    "另一个文件已开始检查 (another file's pieces were started since)"
                )

    @property
    def _limit(self) -> int:
        return int(self.package.spec.BODY_MAX_BYTES)


def _check_chunks(
    package: ModuleType,
    settings: Settings,
    key: str,
    file: str,
    file_id: int,
    keep: bool,
    lines: Iterator[RawLine],
) -> Iterator[PieceResult]:
    """Raw JSON Lines checked a chunk at a time (``_chunks``), each chunk's piece numbered
    from 1 after the chunks before: memory is bounded by a chunk, however many records or
    problems a piece of the file holds."""
    offset = 0
    for chunk in _chunks(lines):
        if keep:
            results = check_lines(package, settings, key, Path(file), chunk)
            piece = summarize(file, key, results, offset, lambda sheet: file_id, keep)
        else:
            piece = check_lines_summarized(package, settings, key, file, chunk, offset, file_id)
        yield piece
        offset += piece.size


def _stream_reader(stream: BinaryIO) -> Callable[[int, int], bytes]:
    """Reads at an offset of an open stream and puts its position back (the pieces are cut
    from the same stream as they are read)."""

    def read_at(offset: int, size: int) -> bytes:
        back = stream.tell()
        stream.seek(offset)
        data = stream.read(size)
        stream.seek(back)
        return data

    return read_at


def _chunks(lines: Iterator[RawLine]) -> Iterator[list[RawLine]]:
    """Lists of at most CHUNK_LINES lines holding about CHUNK_BYTES at most (a line may be
    as long as a request body: a thousand of them would not fit in memory)."""
    chunk: list[RawLine] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line.raw or b"")
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk
            chunk = []
            size = 0
    if chunk:
        yield chunk


def _line_ends(block: bytes, start: int, end: int, after_cr: bool) -> int:
    """Line ends ("\n", "\r\n", "\r") in ``block[start:end]``; ``after_cr``: the byte
    before ``start`` was a "\r" (so a "\n" at ``start`` ends no new line)."""
    ends = block.count(b"\n", start, end)
    if block.find(b"\r", start, end) >= 0:  # not the usual case: two more counts
        ends += block.count(b"\r", start, end) - block.count(b"\r\n", start, end)
    return ends - (after_cr and block.startswith(b"\n", start))


def _pieces(stream: BinaryIO, size: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line number) of pieces of ``stream`` cut just after a line end
    (a piece grows past ``size`` while no line ends; only counts are kept here)."""
    start, position, first_line = 0, 0, 1
    ends = 0  # line ends counted in the piece so far
    after_cr = False
    while True:
        block = stream.read(size)
        if not block:
            break
        # After the last line end known whole: a "\n", or a "\r" not last in the block
        # (a "\n" may follow in the next one). A file whose lines end in "\r" alone is
        # cut too, not handed to one worker whole.
        cut = max(block.rfind(b"\n"), block.rfind(b"\r", 0, len(block) - 1)) + 1
        if cut == 0:
            ends += _line_ends(block, 0, len(block), after_cr)
        else:
            ends += _line_ends(block, 0, cut, after_cr)
            yield start, position + cut, first_line
            start, first_line = position + cut, first_line + ends
            ends = _line_ends(block, cut, len(block), False)
        after_cr = block.endswith(b"\r")
        position += len(block)
    if position > start:
        yield start, position, first_line


class _Piece:
    """The bytes ``start`` to ``end`` of an open file, read like a stream through
    ``read_at(offset, size)``, which leaves the file's own position alone."""

    def __init__(self, read_at: Callable[[int, int], bytes], start: int, end: int) -> None:
        self.read_at = read_at
        self.at = start
        self.end = end

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.at
        size = left if size < 0 else min(size, left)
        if size <= 0:
            return b""
        data = self.read_at(self.at, size)
        self.at += len(data)
        if not data:  # the file is shorter now: the piece ends here
            self.end = self.at
        return data


class _Workers:
    """Worker processes, each with a pipe: tasks out, results back, in order per worker.

    A piece's results come back as messages of one chunk each, then ("end", None); a
    piece whose file cannot be read ends with ("oserror", message) instead, which the
    caller gets as the OSError a read in this process would raise."""

    def __init__(self, count: int, package: ModuleType, settings: Settings) -> None:
        # fork: a worker starts with the package already imported; spawn elsewhere.
        if "fork" in multiprocessing.get_all_start_methods():
            context: Any = multiprocessing.get_context("fork")
        else:  # pragma: no cover - not Linux
            context = multiprocessing.get_context("spawn")
        out_dir = str(Path(package.__file__ or "").resolve().parent.parent.parent)
        self.count = count
        self.broken = False  # a worker failed: nothing more is read from any
        self.queued = [0] * count  # pieces handed to each worker and not read to their end
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        try:
            for _ in range(count):
                ours, theirs = context.Pipe()
                self.pipes.append(ours)
                # A forked worker holds copies of this process's ends of every pipe so far:
                # it closes them, or it would never see this process go (killed, say).
                inherited = list(self.pipes) if context.get_start_method() == "fork" else []
                process = context.Process(
                    target=_work, args=(theirs, out_dir, settings, inherited), daemon=True
                )
                process.start()
                theirs.close()
                self.processes.append(process)
        except OSError as exc:  # say, no more processes allowed: those started are stopped
            self.stop(gently=False)
            raise WorkerError(f"无法启动工作进程 (cannot start a worker process): {exc}") from None

    def send(self, worker: int, task: tuple[Any, ...], handle: int) -> None:
        """A piece to check, and the open file it is in (passed over the pipe: the worker
        reads the very file this process opened, whatever happens to its name since)."""
        try:
            self.pipes[worker].send(task)
            reduction.send_handle(self.pipes[worker], handle, self.processes[worker].pid)
        except (OSError, RuntimeError):
            # It died while it had nothing to do, or did not acknowledge the handle: a
            # worker's failure, not the file's.
            self.broken = True
            raise WorkerError("工作进程意外退出 (a worker process ended unexpectedly)") from None
        self.queued[worker] += 1

    def results(self, worker: int) -> Iterator[PieceResult]:
        """The results of the oldest piece handed to ``worker``, a chunk at a time."""
        while True:
            status, payload = self._receive(worker)
            if status == "chunk":
                yield PieceResult(*payload)
                continue
            self.queued[worker] -= 1  # the piece is over
            if status == "oserror":
                raise OSError(payload)
            return

    def drain(self, quietly: bool = False) -> None:
        """Every piece handed out and not yet read to its end: its results dropped.
        ``quietly``: a worker found dead leaves them broken, without a WorkerError."""
        try:
            for worker in range(self.count):
                while self.queued[worker]:
                    try:
                        for _ in self.results(worker):
                            pass
                    except OSError:
                        pass  # that piece's own read error: it is over all the same
        except WorkerError:
            if not quietly:
                raise

    def _receive(self, worker: int) -> tuple[str, Any]:
        try:
            status, payload = self.pipes[worker].recv()
        except (EOFError, OSError):
            self.broken = True
            raise WorkerError("工作进程意外退出 (a worker process ended unexpectedly)") from None
        if status == "error":
            self.broken = True
            raise WorkerError(f"工作进程出错 (a worker process failed):\n{payload}")
        return status, payload

    def stop(self, gently: bool) -> None:
        gently = gently and not self.broken  # a broken worker may never read its None
        if gently:
            try:
                self.drain()  # a worker still sending results would never read its None
            except WorkerError:
                gently = False
        for pipe, process in zip(self.pipes, self.processes, strict=False):
            if gently:
                try:
                    pipe.send(None)
                except OSError:
                    process.terminate()
            else:
                process.terminate()
        for process in self.processes:
            process.join()
        for pipe in self.pipes:
            pipe.close()


def _work(pipe: Connection, out_dir: str, settings: Settings, inherited: list[Connection]) -> None:
    """A worker's loop: pieces of files in, their results out a chunk at a time, until
    None (or until the main process is gone)."""
    from codegen.data.generated_package import load_generated_package

    for connection in inherited:
        connection.close()
    try:
        package = load_generated_package(Path(out_dir))
        while True:
            task = pipe.recv()
            if task is None:
                return
            handle = reduction.recv_handle(pipe)
            try:
                for result in _check_piece(package, settings, handle, *task):
                    pipe.send(("chunk", result))
                pipe.send(("end", None))
            except ConnectionError:
                raise  # the pipe to the main process, not the file
            except OSError as exc:  # the file cannot be read (now): as this process would say
                pipe.send(("oserror", str(exc)))
            except Exception:  # a bug: reported by the main process, as it would be serially
                pipe.send(("error", traceback.format_exc()))
            finally:
                os.close(handle)
    except (KeyboardInterrupt, EOFError, ConnectionError):
        return  # interrupted, or the main process is gone: nothing to report to


def _check_piece(
    package: ModuleType,
    settings: Settings,
    handle: int,
    key: str,
    file: str,
    file_id: int,
    keep: bool,
    start: int,
    end: int,
    line: int,
) -> Iterator[tuple[Any, ...]]:
    """One piece of the JSON Lines file open as ``handle`` (``file`` names it in
    messages), checked and summarized a chunk at a time, each sent back as a plain tuple
    (a named tuple pickles its class by name: slower, and nothing to gain). Read with
    pread: the main process reads the same open file, at its own position."""
    limit = int(package.spec.BODY_MAX_BYTES)

    def read_at(offset: int, size: int) -> bytes:
        return os.pread(handle, size, offset)

    lines = jsonstream.raw_json_lines(_Piece(read_at, start, end), limit, line)  # type: ignore[arg-type]
    for piece in _check_chunks(package, settings, key, file, file_id, keep, lines):
        yield tuple(piece)
