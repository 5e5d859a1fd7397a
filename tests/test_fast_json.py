"""The optional fast JSON decoder (orjson) gives exactly what ``json`` gives, or steps aside.

Every line of a hostile corpus is decoded with the fast decoder on and forced off: the
same value (same types) or the same error message. Then ``codegen validate`` reads the
whole corpus both ways: the same output, summary and exit code.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli.main import main
from codegen.data import fast_json, jsonstream

pytest.importorskip("orjson", reason="the fast extra (orjson) is not installed")

DEEP_OK = 500
REPO = Path(__file__).resolve().parent.parent


def _nested(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


CORPUS: list[bytes] = [
    # lone surrogates, escaped and as (invalid) UTF-8 bytes; a proper pair
    b'{"RowGuid": "\\ud800"}',
    b'{"RowGuid": "x\\udc00y"}',
    b'{"RowGuid": "\\ud83d\\ude00"}',
    b'{"RowGuid": "\xed\xa0\x80"}',
    b'{"\\ud800": 1}',
    # NaN and the infinities
    b'{"Cd_count": NaN}',
    b'{"Cd_count": Infinity}',
    b'{"Cd_count": -Infinity}',
    b"NaN",
    # huge and edge integers
    b'{"Cd_count": 9223372036854775807}',
    b'{"Cd_count": 9223372036854775808}',
    b'{"Cd_count": 18446744073709551615}',
    b'{"Cd_count": 18446744073709551616}',
    b'{"Cd_count": -9223372036854775808}',
    b'{"Cd_count": -9223372036854775809}',
    b'{"Cd_count": 123456789012345678901234}',
    b'{"Cd_count": -0}',
    b'{"Cd_count": ' + b"9" * 4300 + b"}",
    b'{"Cd_count": ' + b"9" * 4301 + b"}",
    # floats, huge and tiny
    b'{"Cd_count": 1.5}',
    b'{"Cd_count": 1e400}',
    b'{"Cd_count": -1e400}',
    b'{"Cd_count": 1e-400}',
    b'{"Cd_count": 0.30000000000000004}',
    b'{"Cd_count": 1E2}',
    b'{"Cd_count": -0.0}',
    b'{"Cd_count": 1.' + b"1" * 5000 + b"}",
    # deep nesting: decodable, at orjson's limit, beyond Python's
    _nested(10),
    _nested(DEEP_OK),
    _nested(1023),
    _nested(1025),
    _nested(100_000),
    # duplicate keys: json keeps the last value at the first key's place
    b'{"a": 1, "b": 2, "a": 3}',
    b'{"a": 1, "b": 2, "a": 3, "c": 4, "b": "five"}',
    b'{"RowGuid": "x", "RowGuid": null}',
    # byte-order marks inside a line (the first line's is dropped before decoding)
    b'\xef\xbb\xbf{"a": 1}',
    b'{"a": "\xef\xbb\xbf"}',
    # invalid UTF-8: a stray byte, a cut sequence, an overlong encoding, Latin-1 text
    b'{"a": "\xff"}',
    b'{"a": "\xe4\xb8"}',
    b'{"a": "\xc0\xaf"}',
    b'{"BSLYY": "caf\xe9"}',
    # strings: controls, escapes, non-ASCII keys and values
    b'{"a": "\x01"}',
    b'{"a": "tab\there"}',
    b'{"a": "\\u0000\\/\\b\\f\\n\\r\\t\\"\\\\"}',
    b'{"a": "\x7f"}',
    b'{"\xe5\x8a\x9e\xe4\xbb\xb6": "\xe5\xb9\xbf\xe4\xb8\x9c"}',
    b'{"a": "\\u4e2d\\u6587"}',
    b'{"a": "\\x41"}',
    b"{'a': 1}",
    # white space and extra data
    b' \t{"a": 1} \t',
    b'{"a": 1}\xe3\x80\x80',
    b'\x0c{"a": 1}',
    b'{"a": 1}\x0b',
    b'{"a": 1} {"b": 2}',
    b'{"a": 1},',
    # not an object, or not a flat one
    b"[1, 2]",
    b'"text"',
    b"42",
    b"true",
    b"null",
    b"{}",
    b'{"a": {"b": 1}}',
    b'{"a": [1, "x"]}',
    b'{"a": true, "b": false, "c": null, "d": 0}',
    # syntax json and orjson might judge differently
    b'{"a": 01}',
    b'{"a": 1.}',
    b'{"a": .5}',
    b'{"a": +1}',
    b'{"a": 1,}',
    b'{"a" 1}',
    b'{"a": tru}',
    b'{"a": "unterminated}',
    b"",
    b"{",
]


@pytest.fixture()
def fallback_restored() -> Iterator[None]:
    yield
    fast_json.use_fast(True)


def decode(raw: bytes, fast: bool) -> tuple[str, str | None]:
    """(repr of the value, error) with the fast decoder on or off; repr tells 1 from 1.0."""
    fast_json.use_fast(fast)
    value, error = jsonstream.decode_raw_line(jsonstream.make_decoder(), raw, 7)
    return repr(value), error


@pytest.mark.parametrize("raw", CORPUS, ids=range(len(CORPUS)))
def test_both_decoders_agree_on_hostile_lines(raw: bytes, fallback_restored: None) -> None:
    assert fast_json.use_fast(True)
    assert decode(raw, True) == decode(raw, False)


def test_the_fast_path_is_taken_for_flat_records(fallback_restored: None) -> None:
    """Not vacuous: flat records come from orjson, the rest from json."""
    assert fast_json.use_fast(True)
    assert fast_json.decode_flat(b'{"a": "x", "b": 1, "c": null, "d": true}') is not None
    for raw in (b'{"a": 1.5}', b'{"a": 18446744073709551616}', b'{"a": "\\ud800"}', b"[1]"):
        assert fast_json.decode_flat(raw) is None
    fast_json.use_fast(False)
    assert fast_json.fast_name() == "json"
    assert fast_json.decode_flat(b'{"a": "x"}') is None


def _mutations(seed: int, count: int) -> Iterator[bytes]:
    """Valid records with seeded byte edits: deletions, insertions of JSON's own
    characters, flipped digits and quotes."""
    rng = random.Random(seed)
    base = [
        json.dumps({"RowGuid": "r1", "Cd_count": 12, "ProjectNo": "广东-1", "X": None}),
        json.dumps({"a": "\u4e2d", "b": True, "c": -5, "d": "\\"}, ensure_ascii=False),
    ]
    alphabet = b'{}[]":,.-+eE0123456789 \\u\xff\xed\xa0tfn'
    for _ in range(count):
        line = bytearray(rng.choice(base).encode("utf-8"))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(line) + 1)
            action = rng.random()
            if action < 0.4 and at < len(line):
                del line[at]
            else:
                line.insert(at, rng.choice(alphabet))
        yield bytes(line)


def test_both_decoders_agree_on_mutated_lines(fallback_restored: None) -> None:
    for raw in _mutations(2019, 3000):
        assert decode(raw, True) == decode(raw, False), raw


def _corpus_file(path: Path) -> Path:
    """The corpus as JSON Lines, with a BOM first, blank lines, CRLF ends and a line over
    the record limit between them."""
    limit = jsonstream.DEFAULT_RECORD_MAX_BYTES
    overlong = b'{"a": "' + b"x" * (limit + 10) + b'"}'
    lines = [b"\xef\xbb\xbf" + CORPUS[0], b"", b" \t", "\u3000".encode()]
    lines += CORPUS[1:20] + [overlong] + CORPUS[20:]
    path.write_bytes(b"\n".join(lines[:30]) + b"\r\n" + b"\n".join(lines[30:]) + b"\n")
    return path


def test_validate_reads_the_corpus_the_same_either_way(
    project: Path, tmp_path: Path, fallback_restored: None
) -> None:
    path = _corpus_file(tmp_path / "accept.jsonl")
    outcomes = []
    for fast in (True, False):
        fast_json.use_fast(fast)
        result = CliRunner().invoke(
            main, ["--root", str(project), "validate", "--interface", "accept", str(path)]
        )
        outcomes.append((result.exit_code, result.stdout, result.stderr))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 2  # lines that cannot be read
    assert "超过" in outcomes[0][1] and "UTF-8" in outcomes[0][1]


def test_the_environment_forces_the_standard_decoder(project: Path, tmp_path: Path) -> None:
    """``GDZW_CODEGEN_JSON=json`` in a fresh process: the same bytes out as with orjson."""
    path = _corpus_file(tmp_path / "accept.jsonl")
    command = [sys.executable, "-m", "codegen.cli.main", "--root", str(project), "validate"]
    outputs = []
    for env_value in ("", "json"):
        env = {"GDZW_CODEGEN_JSON": env_value, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [*command, "--interface", "accept", str(path)], capture_output=True, env=env, cwd=REPO
        )
        outputs.append((done.returncode, done.stdout, done.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 2 and b"Traceback" not in outputs[0][2]
