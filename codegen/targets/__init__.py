"""Targets: each turns the model into files, as a mapping of path (relative to
``generated/``) to text. None writes anything; ``codegen.build`` does."""
