"""The ``codegen`` command line: one module per command, registered on the group in ``main``."""
