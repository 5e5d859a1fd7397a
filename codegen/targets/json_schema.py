"""JSON Schema (draft 2020-12) for each record: ``generated/jsonschema/<key>.schema.json``.

The schema itself is ``codegen.targets.common.record_schema`` (OpenAPI embeds the same);
see there for what it expresses and what it leaves to the validators.
"""

from __future__ import annotations

from codegen.model import Model
from codegen.targets.common import dump, record_schema


def render(model: Model) -> dict[str, str]:
    return {f"jsonschema/{r.schema_file}": dump(record_schema(model, r)) for r in model.records}
