"""A Cloud Native Buildpack for Python applications."""

__version__ = "0.1.0"
