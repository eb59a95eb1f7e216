"""Stage 4, tell: the house style and charts, the briefing's words and tables, what changed, the annex, the replay's
evolution report, and rendering to PDF (Typst) and Word. Imports every earlier stage, never run."""
