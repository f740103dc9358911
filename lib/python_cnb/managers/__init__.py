"""How each lockfile package manager installs an app's dependencies into the buildpack's virtual environment.

One module per tool (uv, Poetry, Pipenv), each exporting a `MANAGER` built from the pieces in `base`. The modules are
pure: they say which tool, which files, which environment and which commands; the venv layer runs them.
"""
