"""Stage 3, judge: forecast members and ensemble, the uncertainty they carry, the evidence ladder, the reader of
each target type, the verdict, department returns as evidence, and the assessment of every target.
Imports core, inputs and checks."""
