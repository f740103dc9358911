"""A Cloud Native Buildpack for Python applications."""

__version__ = "0.2.0"
