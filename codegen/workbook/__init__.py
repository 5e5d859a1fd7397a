"""The spec as one Excel workbook, both ways (export and import), and the cell and styling helpers every workbook uses."""
