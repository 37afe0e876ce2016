"""The SDK's version: tracelight's product version (server/version.ts, package.json), which pyproject.toml reads."""

__version__ = "0.1.0"
