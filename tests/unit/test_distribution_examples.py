"""examples/registry (the Buildpack Registry index entry and request) and examples/builder agree with
buildpack.toml. The e2e suite builds with the example builder; these are the fast, static checks."""

import json
import re
from pathlib import Path

from python_cnb.cnb import toml_io

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "examples" / "registry"
IMAGE_REPOSITORY = "ghcr.io/python-cnb/python"
# the digest is known only once published (examples/registry/README.md); a real one may replace the placeholder
ADDR = re.compile(re.escape(IMAGE_REPOSITORY) + r"@sha256:(\$\{DIGEST\}|[0-9a-f]{64})")


def _buildpack():
    return toml_io.read(REPO / "buildpack.toml")["buildpack"]


def _index_path(namespace: str, name: str) -> Path:
    """The Buildpack Registry specification's index layout."""
    if len(name) <= 2:
        folder = Path(str(len(name)))
    elif len(name) == 3:
        folder = Path("3") / name[:2]
    else:
        folder = Path(name[:2]) / name[2:4]
    return folder / f"{namespace}_{name}"


def test_registry_index_entry_agrees_with_buildpack_toml():
    bp = _buildpack()
    namespace, name = bp["id"].split("/")
    assert re.fullmatch(r"[a-z0-9\-.]{1,253}", namespace) and re.fullmatch(r"[a-z0-9\-.]{1,253}", name)
    files = [p.relative_to(REGISTRY) for p in REGISTRY.rglob("*") if p.is_file() and p.suffix != ".md"]
    assert files == [_index_path(namespace, name)]
    lines = (REGISTRY / files[0]).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert all(line == json.dumps(e, separators=(",", ":")) for line, e in zip(lines, entries)), "minified JSON"
    assert entries[-1] == {"ns": namespace, "name": name, "version": bp["version"], "yanked": False,
                           "addr": entries[-1]["addr"]}
    assert ADDR.fullmatch(entries[-1]["addr"]), entries[-1]["addr"]


def test_registry_request_agrees_with_the_entry():
    bp = _buildpack()
    title, _, body = (REGISTRY / "issue.md").read_text().partition("\n")
    assert title == f"ADD {bp['id']}@{bp['version']}"
    request = toml_io.loads(body)
    assert request["id"] == bp["id"] and request["version"] == bp["version"]
    entry = json.loads((REGISTRY / "py" / "th" / "python-cnb_python").read_text().splitlines()[-1])
    assert request["addr"] == entry["addr"]


def test_example_builder_agrees_with_buildpack_toml():
    bp = _buildpack()
    builder = toml_io.read(REPO / "examples" / "builder" / "builder.toml")
    assert builder["buildpacks"] == [{"id": bp["id"], "uri": f"docker://{IMAGE_REPOSITORY}:{bp['version']}"}]
    assert builder["order"] == [{"group": [{"id": bp["id"], "version": bp["version"]}]}]
    assert re.fullmatch(r"\d+\.\d+\.\d+", builder["lifecycle"]["version"]), "pin the lifecycle"
    assert "stack" not in builder, "[stack] is deprecated; [build] and [[run.images]] replace it"
    declared = {(t["os"], t["arch"]) for t in toml_io.read(REPO / "buildpack.toml")["targets"]}
    assert {(t["os"], t["arch"]) for t in builder["targets"]} == declared
