"""The ``codegen`` command line."""

from __future__ import annotations

from pathlib import Path

import click

from codegen.project import find_project


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project directory holding spec/ and generated/ (default: the nearest folder "
    "from the working directory upward that holds spec/ and pyproject.toml).",
)
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """gdzw-codegen: GDZW 0003-2019（广东政务服务网办件过程数据采集接口规范）的代码生成器.

    The standard is transcribed once in spec/; `codegen build` turns it into
    everything under generated/:

    \b
      python/gdzw_uppro/      the Python package (stdlib only): records, validators,
                              client, outbox, mock gateway, examples
      jsonschema/KEY.schema.json  a JSON Schema (2020-12) per record type
      openapi.json            OpenAPI 3.1: the 16 endpoints, headers, examples
      openapi-3.0.json        the same in OpenAPI 3.0.3, for tools that read only 3.0
      xlsx/KEY.xlsx           an Excel data-entry template per data record type
      docs/index.html         the HTML reference (fields, rules, code sets, errata)
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root if root is not None else find_project(Path.cwd())


# Registered here, each defined in its own module.
from codegen.cli.build import build  # noqa: E402
from codegen.cli.diff import diff  # noqa: E402
from codegen.cli.fmt import fmt  # noqa: E402
from codegen.cli.outbox import outbox  # noqa: E402
from codegen.cli.refresh_data import refresh_data  # noqa: E402
from codegen.cli.send import send  # noqa: E402
from codegen.cli.validate import validate  # noqa: E402
from codegen.cli.xlsx import xlsx  # noqa: E402

main.add_command(build)
main.add_command(fmt)
main.add_command(send)
main.add_command(xlsx)
main.add_command(diff)
main.add_command(validate)
main.add_command(refresh_data)
main.add_command(outbox)


if __name__ == "__main__":  # pragma: no cover
    main()
