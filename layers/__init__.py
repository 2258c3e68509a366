"""What the data is: layer schemas, units, coordinate systems, reading and validation."""

from layers.errors import LayerError, Problem

__all__ = ["LayerError", "Problem"]
