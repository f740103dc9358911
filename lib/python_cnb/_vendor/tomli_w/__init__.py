__all__ = ("dumps", "dump")
__version__ = "1.2.0"  # DO NOT EDIT THIS LINE MANUALLY. LET bump2version UTILITY DO IT

from ._writer import dump, dumps  # vendored: made relative (python_cnb/_vendor/README.md)
