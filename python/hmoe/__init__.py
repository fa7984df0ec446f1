"""hmoe's Python package.

- The compiler (`hmoe.compile`, `hmoe.LayerSpec`, `hmoe.build`,
  `hmoe.parse`, `hmoe.MLIRError`; `hmoe.compiler`): layers built by hmoe's
  C++ builders and JIT-compiled in-process. Needs the extension module
  `hmoe._hmoe` (built into build/python_packages/hmoe).
- `hmoe.torch`: an HMoE layer as a PyTorch nn.Module, exported to a
  compiled layer.
- `hmoe.reference`: the float64 reference of the numerical contract
  (docs/numerics.md); `hmoe.layer`, `hmoe.run`: the integration tests'
  layer descriptions and hmoe-run helpers (NumPy only).
"""

_COMPILER_NAMES = ("compile", "load", "build", "parse", "LayerSpec", "Level", "Gate",
                   "Strategy", "Expert", "CompiledLayer", "Module", "MLIRError")


def __getattr__(name):
    # The compiler is imported on first use, so that the NumPy-only modules
    # work without the extension.
    if name in _COMPILER_NAMES:
        from . import compiler
        return getattr(compiler, name)
    raise AttributeError(f"module 'hmoe' has no attribute '{name}'")
