"""What every stage may use: paths, input errors, the config registries, cell parsers, quarters, atomic storage,
escaping and wording, provenance, Excel writing, table display and the CJK font.

Nothing here imports a stage package (inputs, checks, model, report, run)."""
