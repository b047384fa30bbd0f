"""metallb-lint: an offline linter for GitOps repositories that deploy MetalLB.

Data flows through one module per stage (see ../DESIGN.md):
discover -> loader -> render -> model -> engine (runs rules/) -> report.
"""

__version__ = "0.1.0"
