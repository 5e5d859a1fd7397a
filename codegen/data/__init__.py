"""Reading record files (JSON, JSON Lines, filled templates) with bounds, and the dataset checks across records: what validate and send read."""
