"""Errata quote what the standard prints where they say it does (issue 13)."""

from __future__ import annotations

import re

from printed_examples import standard_lines

from codegen.model.types import Model
from codegen.spec.documents import ErratumDoc

GROUPS = {
    "7.2": "accept",
    "7.3": "process",
    "7.4": "result",
    "7.5": "specialprocedure",
    "7.6": "material",
    "7.7": "correction",
    "7.8": "receive",
    "7.9": "reconciliation",
}


def erratum(model: Model, erratum_id: str) -> ErratumDoc:
    return next(e for e in model.errata if e.id == erratum_id)


def test_path_places_quote_each_groups_printed_urls(model: Model) -> None:
    lines = [line.strip().replace("\t", " ") for line in standard_lines()]
    places = erratum(model, "paths-upro-vs-uppro").places
    for group, key in GROUPS.items():
        for clause in (f"{group}.2", f"{group}.6"):
            own = [p for p in places if p.where.startswith(f"{clause} ")]
            assert own, clause
            for place in own:
                assert place.says in lines, (clause, place.says)  # verbatim, one printed line
                assert f"/{key}/" in place.says, (clause, place.says)
                cited = [int(n) for n in re.findall(r"L(\d+)", place.where)]
                assert cited and lines[cited[0] - 1] == place.says, (clause, cited)
                prefix = "/uppro/" if "/uppro/" in place.says else "/upro/"
                for n in cited:  # every line it cites uses the prefix it names
                    assert prefix in lines[n - 1] and prefix in place.where, (clause, n)


def test_gbt_erratum_names_every_rowguid_that_misspells_it(model: Model) -> None:
    lines = standard_lines()
    printed = [
        n
        for n, line in enumerate(lines, start=1)
        if line.startswith("RowGuid") and "GBT 17969.8" in line
    ]
    assert printed == [1025, 1179, 1367]
    wheres = " ".join(p.where for p in erratum(model, "gbt-spelled-without-slash").places)
    for n in printed:
        assert f"L{n}" in wheres, n


def test_table_2_note_without_nonce_is_an_erratum(model: Model) -> None:
    lines = standard_lines()
    note = erratum(model, "table2-note-omits-nonce")
    assert note.places[0].says == lines[172].strip()
    assert "{{nonce}}" not in lines[172]
    assert "x-tif-nonce" in model.gateway.header_names
    assert next(h for h in model.gateway.headers if h.name == "x-tif-nonce").required


def test_empty_project_co_erratum_cites_the_three_examples(model: Model) -> None:
    lines = standard_lines()
    places = erratum(model, "example-empty-optional").places
    for n in (347, 408, 459):
        assert lines[n - 1].strip() == '"ProjectCo": "",'
        assert any(f"L{n}" in p.where for p in places), n
