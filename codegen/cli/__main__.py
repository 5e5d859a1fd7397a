"""``python -m codegen.cli``: the same as the ``codegen`` command."""

from codegen.cli.main import main

main()
