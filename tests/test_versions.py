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
from codegen.targets.python.revision import CODE_DIGEST, GENERATOR_REVISION, code_digest
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
    assert pkg.VERSION == model.version
    # The package's own release: the spec's version and the generator's revision.
    assert pkg.__version__ == f"{model.version}.{GENERATOR_REVISION}"
    assert f'content="{model.version}"' in str(rendered.files["docs/index.html"])


def test_a_new_edition_changes_the_version(spec_copy: Path, model: Model) -> None:
    edit(spec_copy, "standard.yaml", lambda d: d["transcription"].update(edition=model.edition + 1))
    bumped = build_model(load_spec(spec_copy))
    assert bumped.version != model.version
    assert bumped.version.endswith(f".{model.edition + 1}")
    assert openapi_document(bumped)["info"]["version"] == bumped.version


def test_the_generator_revision_is_bumped_with_the_generated_code(
    rendered: Rendered, model: Model
) -> None:
    """A change to the package's code (not merely to the spec's hash or version) needs a new
    revision, so pip sees a new version."""
    digest = code_digest(model, rendered.files)
    assert digest == CODE_DIGEST, (
        "生成的 Python 包代码已改变：请在 codegen/targets/python/revision.py 中把 "
        f"GENERATOR_REVISION 改为 {GENERATOR_REVISION + 1}，CODE_DIGEST 改为 {digest!r} "
        "(the generated package's code changed: bump the revision and set the digest)"
    )


def test_the_code_digest_ignores_the_spec_hash_but_not_the_code(
    rendered: Rendered, model: Model
) -> None:
    files = dict(rendered.files)
    init = "python/gdzw_uppro/__init__.py"
    text = str(files[init])
    stamped = {**files, init: text.replace(model.spec_hash, "0" * 64)}
    assert code_digest(model, stamped) == code_digest(model, files)
    edited = {**files, init: text + "# a fix\n"}
    assert code_digest(model, edited) != code_digest(model, files)
