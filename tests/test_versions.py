"""The spec's version (standard year + transcription edition) is carried by every artefact."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

from codegen.build import Rendered
from codegen.model.builder import build_model
from codegen.model.types import Model
from codegen.spec.loader import LoadedSpec, load_spec
from codegen.targets.openapi import openapi_document
from spec_edits import edit


def test_version_is_the_standards_year_and_the_edition(loaded: LoadedSpec, model: Model) -> None:
    std = loaded.docs.standard
    year = re.search(r"(\d{4})$", std.standard.id)
    assert year is not None
    assert model.edition == std.transcription.edition
    assert model.version == f"{year.group(1)}.{std.transcription.edition}"


def test_generated_artefacts_carry_the_version(
    rendered: Rendered, model: Model, pkg: ModuleType
) -> None:
    openapi = json.loads(str(rendered.files["openapi.json"]))
    assert openapi["info"]["version"] == model.version
    assert pkg.__version__ == model.version
    assert pkg.VERSION == model.version
    assert f'content="{model.version}"' in str(rendered.files["docs/index.html"])


def test_a_new_edition_changes_the_version(spec_copy: Path, model: Model) -> None:
    edit(spec_copy, "standard.yaml", lambda d: d["transcription"].update(edition=model.edition + 1))
    bumped = build_model(load_spec(spec_copy))
    assert bumped.version != model.version
    assert bumped.version.endswith(f".{model.edition + 1}")
    assert openapi_document(bumped)["info"]["version"] == bumped.version
