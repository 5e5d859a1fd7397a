"""Reading spec/: the typed documents, the loader with its checks (every problem with file and field, in one run), and the canonical layout."""
