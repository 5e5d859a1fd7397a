"""The generated Python package's import name: its own module, so ``codegen validate``
can find the package without importing the model builder (and the spec loader)."""

PACKAGE = "gdzw_uppro"
