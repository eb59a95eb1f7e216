"""Stage 1, read: raw releases (CSV/XLSX cells, rows, workbooks) into observations, the clean step (one best
value per indicator-period), the plan's sections and lead units, department return forms and their returns,
and figure ids (figures.csv). Imports only core."""
