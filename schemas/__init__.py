"""JSON Schemas written for metallb-lint, installed as `linter.schemas`."""
