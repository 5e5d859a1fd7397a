"""Turning things into output deterministically: the Jinja environments, black's formatting
(cached by content), and workbooks saved as stable bytes with shared styling."""
