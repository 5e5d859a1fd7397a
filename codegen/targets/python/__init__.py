"""The Python target: the vendorable package's templates view, and its runtime modules."""
