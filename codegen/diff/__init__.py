"""``codegen diff``: classified changes between two editions of the spec, and the Markdown changelog."""
