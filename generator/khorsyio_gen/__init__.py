"""khorsyio-gen: the ``khorsyio`` command (spec, code generation, wiring checks)."""

from khorsyio_gen.errors import GenError, SpecError
from khorsyio_gen.spec import Spec

__version__ = "0.3.0.dev0"

__all__ = ["GenError", "Spec", "SpecError", "__version__"]
