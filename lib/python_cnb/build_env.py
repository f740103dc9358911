"""The one build environment every later decision and subprocess starts from: the platform's values (pack --env, the
dashboard) over the app's .s2i/environment, the variable names of the S2I Python image and of Google's and Paketo's
buildpacks resolved to the reference builder's, and the secrets to mask in the log. Resolved once, at the start of
the build. Index credentials from service bindings (bindings.py) join it last, for the build only, and so does a
HOME the build's commands can write to when the platform's is not (launch_tuning's rule, the one run time uses)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from .bindings import binding_settings, find_bindings
from .google_paketo_compat import Setting, resolve_google_paketo_variables
from .launch_tuning import make_home, places_env, places_notices, temp_dir, writable_dir
from .redact import secrets_in_env
from .s2i import read_environment
from .s2i_compat import resolve_s2i_variables

__all__ = ["GOOGLE_PAKETO_VARIABLES", "S2I_VARIABLES", "SERVICE_BINDINGS", "BuildEnv", "resolve_build_env"]

# The log sections of the notes.
S2I_VARIABLES = "Variables of the S2I Python image"
GOOGLE_PAKETO_VARIABLES = "Variables of Google's and Paketo's buildpacks"
SERVICE_BINDINGS = "Service bindings"
PLACES = "Where the build writes"


@dataclass(frozen=True)
class BuildEnv:
    env: Mapping[str, str]  # what the build reads: .s2i/environment < platform, the aliases resolved
    platform: Mapping[str, str]  # the platform's values as given (pack --env), for launch-time defaults
    s2i_file: Mapping[str, str]  # .s2i/environment as written
    root: Path  # the source's root (.s2i/ and BP_PYTHON_MANIFEST paths are relative to it)
    # The log's first sections: (title, one line per variable of another builder's that was set).
    sections: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)  # reference name -> the alias that gave its value
    secrets: Tuple[str, ...] = ()  # values to mask in the log
    python_version: Optional[Setting] = None  # GOOGLE_PYTHON_VERSION, BP_CPYTHON_VERSION, ...
    vendor_dir: Optional[Setting] = None  # GOOGLE_VENDOR_PIP_DEPENDENCIES or BP_PIP_DEST_PATH

    def get(self, name: str, default: str = "") -> str:
        return self.env.get(name, default)

    def named(self, name: str) -> str:
        """The variable the user set for `name` (its alias when that gave the value), for error messages."""
        return self.sources.get(name, name)


def resolve_build_env(root: Path, platform: Mapping[str, str]) -> BuildEnv:
    s2i_file = read_environment(root)
    # Values from the platform win over .s2i/environment, as in s2i.
    given: Dict[str, str] = {**s2i_file, **platform}
    s2i = resolve_s2i_variables(given)
    others = resolve_google_paketo_variables(s2i.env)
    # Index credentials from service bindings: build-only values, after everything the user set.
    bindings = binding_settings(find_bindings(platform), others.env)
    # kpack, Tekton and OpenShift may give the build a HOME it cannot write to (HOME=/ for an arbitrary uid).
    places = make_home(places_env(platform, writable_dir, os.getuid()))
    return BuildEnv(env={**others.env, **bindings.env, **places}, platform=dict(platform), s2i_file=s2i_file,
                    root=root,
                    sections=((S2I_VARIABLES, s2i.notes), (GOOGLE_PAKETO_VARIABLES, others.notes),
                              (SERVICE_BINDINGS, bindings.notes),
                              (PLACES, tuple(places_notices(platform, places, temp_dir(platform, writable_dir))))),
                    sources={**s2i.sources, **others.sources},
                    secrets=tuple(dict.fromkeys((*secrets_in_env(given), *bindings.secrets))),
                    python_version=others.python_version, vendor_dir=others.vendor_dir)
