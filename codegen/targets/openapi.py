"""OpenAPI 3.1: ``generated/openapi.json``, the description ``openapi_common`` builds."""

from __future__ import annotations

from codegen.model.types import Model
from codegen.targets.common import dump
from codegen.targets.openapi_common import openapi_document

__all__ = ["openapi_document", "render"]


def render(model: Model) -> dict[str, str]:
    return {"openapi.json": dump(openapi_document(model))}
