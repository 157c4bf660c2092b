"""Package data (read with importlib.resources); a package so that the build finds it
without a namespace search (pyproject.toml)."""
