"""geoapp: the application around the analyses — workspace, pipeline, maps, exports, CLI."""

__version__ = "0.1.0"
