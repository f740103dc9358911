"""Typed models of the CNB files this buildpack writes (launch.toml) and reads (buildpack.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import toml_io

__all__ = ["Launch", "Process", "Target"]

_PROCESS_TYPE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Process:
    type: str
    command: list[str]  # Buildpack API >= 0.9: an array, every part always passed (no `args` to replace)
    default: bool = False
    working_dir: Optional[str] = None

    def __post_init__(self) -> None:
        if not _PROCESS_TYPE.match(self.type):
            raise ValueError(f"invalid process type {self.type!r}")
        if not self.command:
            raise ValueError("a process needs a command")

    def to_toml(self) -> dict[str, Any]:
        # Buildpack API >= 0.9: command is an array and `direct` is forbidden.
        table: dict[str, Any] = {"type": self.type, "command": list(self.command)}
        if self.default:
            table["default"] = True
        if self.working_dir:
            table["working-dir"] = self.working_dir
        return table


@dataclass(frozen=True)
class Launch:
    processes: list[Process] = field(default_factory=list)

    def write(self, layers_dir: Path) -> None:
        data: dict[str, Any] = {}
        if self.processes:
            data["processes"] = [p.to_toml() for p in self.processes]
        toml_io.write_atomic(layers_dir / "launch.toml", toml_io.dumps(data))


@dataclass(frozen=True)
class Target:
    os: str
    arch: str
    distro_name: str
    distro_version: str

    @classmethod
    def from_env(cls, environ: dict[str, str], machine: str) -> Target:
        """CNB_TARGET_* (Buildpack API >= 0.10), falling back to the machine's arch for older platforms."""
        fallback = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "amd64": "amd64"}.get(machine, machine)
        return cls(
            os=environ.get("CNB_TARGET_OS", "linux"),
            arch=environ.get("CNB_TARGET_ARCH") or fallback,
            distro_name=environ.get("CNB_TARGET_DISTRO_NAME", ""),
            distro_version=environ.get("CNB_TARGET_DISTRO_VERSION", ""),
        )
