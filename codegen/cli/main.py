"""The ``codegen`` command line."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import click

from codegen.project import find_project

# Command name → (module, attribute). Each is imported when it runs (or for --help), so
# `codegen validate` on a JSON file loads neither the build (Jinja, PyYAML, the model) nor
# the workbook code.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("codegen.cli.build", "build"),
    "diff": ("codegen.cli.diff", "diff"),
    "fmt": ("codegen.cli.fmt", "fmt"),
    "outbox": ("codegen.cli.outbox", "outbox"),
    "refresh-data": ("codegen.cli.refresh_data", "refresh_data"),
    "send": ("codegen.cli.send", "send"),
    "validate": ("codegen.cli.validate", "validate"),
    "vendor": ("codegen.cli.vendor", "vendor"),
    "xlsx": ("codegen.cli.xlsx", "xlsx"),
}


class LazyGroup(click.Group):
    """A group whose commands' modules load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
      python/pyproject.toml   the package as a distribution: pip install generated/python
      jsonschema/KEY.schema.json  a JSON Schema (2020-12) per record type
      openapi.json            OpenAPI 3.1: the 16 endpoints, headers, examples
      openapi-3.0.json        the same in OpenAPI 3.0.3, for tools that read only 3.0
      xlsx/KEY.xlsx           an Excel data-entry template per data record type
      docs/index.html         the HTML reference (fields, rules, code sets, errata)
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root if root is not None else find_project(Path.cwd())


if __name__ == "__main__":  # pragma: no cover
    main()
