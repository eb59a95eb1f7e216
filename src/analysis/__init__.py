"""Haimen modern service industry plan monitor (2022-2024).

The package holds all logic of the pipeline, one module per stage:
ingest (read raw releases) -> clean (choose best values) -> validate ->
forecast -> assess -> render. Notebooks import it; it never imports them.
"""
import os
import sys

# Great Expectations must never phone home: the suite runs offline.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

# jsonschema (imported by Great Expectations and altair) imports rfc3987_syntax when it is installed,
# which builds a Lark grammar at import: about 3 s of CPU in every process that validates, a fifth of
# a quarter's run. It only serves jsonschema's optional "iri"/"iri-reference" format checks, which
# nothing here uses (our schemas and GE's configurations name no such format). A None entry in
# sys.modules makes `import rfc3987_syntax` raise ImportError, which jsonschema handles by leaving
# those two checks out. Set only when nothing has imported the package yet.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
