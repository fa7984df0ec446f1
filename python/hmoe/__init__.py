"""hmoe's Python side: the float64 reference of SPEC.md, layer configurations
that print as hmoe IR, and helpers to run them through hmoe-run."""
