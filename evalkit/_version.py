"""The evalkit version (one place; the package and every module read it here)."""

__version__ = "0.1.0"
