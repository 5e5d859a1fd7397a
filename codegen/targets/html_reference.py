"""A reference people read: ``generated/docs/index.html``.

One self-contained page (inline CSS, no scripts, fonts or links off the page) so it
works offline and can be mailed or opened from a file share: per record type its
endpoints, field table, rules and valid examples; the code sets; the errata; a worked
signing example. Layout lives in ``templates/html/``; this module only gathers what
the model does not already say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jinja2

from codegen.model import Model, Record
from codegen.signing_example import signing_example
from codegen.targets.common import batch_example, generated_comment

PATH = "docs/index.html"
TEMPLATE = "html/reference.html.jinja"


@dataclass(frozen=True)
class FieldUse:
    """A field drawing on a code set, for the code set's "used by" list."""

    record: Record
    wire_name: str
    label: str


@dataclass(frozen=True)
class RecordExamples:
    single: str
    batch: str


def render(model: Model, env: jinja2.Environment) -> dict[str, str]:
    if not env.autoescape:
        # The standard's text holds "<", "&" and quotes; unescaped it would break the page.
        raise ValueError("the HTML reference needs an autoescaping environment")
    template = env.get_template(TEMPLATE)
    text = template.render(
        model=model,
        comment=generated_comment(model),
        signing=signing_example(model),
        examples={r.key: _examples(r) for r in model.records},
        codeset_uses=_codeset_uses(model),
        request_url=_request_url(model),
    )
    return {PATH: text}


def _examples(record: Record) -> RecordExamples:
    return RecordExamples(
        single=pretty_json(record.example), batch=pretty_json(batch_example(record))
    )


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _codeset_uses(model: Model) -> dict[str, tuple[FieldUse, ...]]:
    uses: dict[str, list[FieldUse]] = {cs.id: [] for cs in model.codesets}
    for record in model.records:
        for field in record.fields:
            if field.codeset is not None:
                uses[field.codeset.id].append(FieldUse(record, field.wire_name, field.label))
    return {key: tuple(value) for key, value in uses.items()}


def _request_url(model: Model) -> str:
    """The signed example request goes to the first environment's first endpoint."""
    return model.gateway.environments[0].api_root + model.endpoints[0].path
