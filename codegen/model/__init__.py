"""The frozen model every target renders, built once from the checked spec documents."""
