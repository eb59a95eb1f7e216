"""Stage 2, check: plausibility rules, the tables the checks run on, Great Expectations suites for the data and
the returns, offline Data Docs, and data coverage. Imports core and inputs."""
