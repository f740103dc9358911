"""examples/kpack, checked statically (no Kubernetes here): the buildpack's id, version and published image agree
with buildpack.toml, the references between the resources resolve, and kpack's required fields are set."""

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from python_cnb.cnb import toml_io

REPO = Path(__file__).resolve().parents[2]
KPACK = REPO / "examples" / "kpack"
IMAGE_REPOSITORY = "ghcr.io/python-cnb/python"  # where scripts/package --publish puts releases
KPACK_API = "kpack.io/v1alpha2"


def _buildpack() -> Dict[str, Any]:
    return toml_io.read(REPO / "buildpack.toml")["buildpack"]


def _documents() -> List[Dict[str, Any]]:
    docs = []
    for path in sorted(KPACK.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def _one(kind: str, name: str = "") -> Dict[str, Any]:
    found = [d for d in _documents() if d["kind"] == kind and (not name or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name!r} in examples/kpack, found {len(found)}"
    return found[0]


def test_every_manifest_is_a_known_resource():
    kinds = sorted(d["kind"] for d in _documents())
    assert kinds == ["ClusterBuilder", "ClusterStack", "ClusterStore", "Image", "ServiceAccount"]
    for doc in _documents():
        assert doc["apiVersion"] == ("v1" if doc["kind"] == "ServiceAccount" else KPACK_API), doc["kind"]
        assert doc["metadata"]["name"], doc["kind"]


def test_store_serves_the_published_buildpack_version():
    bp = _buildpack()
    sources = [s["image"] for s in _one("ClusterStore")["spec"]["sources"]]
    assert sources == [f"{IMAGE_REPOSITORY}:{bp['version']}"]


def test_builder_orders_the_buildpack_id_and_version():
    bp = _buildpack()
    order = _one("ClusterBuilder")["spec"]["order"]
    assert order == [{"group": [{"id": bp["id"], "version": bp["version"]}]}]
    assert isinstance(order[0]["group"][0]["version"], str)


def test_builder_references_resolve():
    spec = _one("ClusterBuilder")["spec"]
    assert spec["tag"], "kpack requires the tag the builder image is pushed to"
    assert spec["stack"]["kind"] == "ClusterStack"
    _one("ClusterStack", spec["stack"]["name"])
    assert spec["store"]["kind"] == "ClusterStore"
    _one("ClusterStore", spec["store"]["name"])
    account = _one("ServiceAccount", spec["serviceAccountRef"]["name"])
    assert account["metadata"]["namespace"] == spec["serviceAccountRef"]["namespace"]


def test_stack_matches_the_example_builder():
    stack = _one("ClusterStack")["spec"]
    assert stack["id"], "kpack requires the stack id (checked against io.buildpacks.stack.id on both images)"
    builder_toml = toml_io.read(REPO / "examples" / "builder" / "builder.toml")
    assert stack["buildImage"]["image"] == builder_toml["build"]["image"]
    assert stack["runImage"]["image"] == builder_toml["run"]["images"][0]["image"]
    # heroku/heroku:24 and :24-build carry io.buildpacks.stack.id = "heroku-24"
    assert stack["id"] == "heroku-" + stack["runImage"]["image"].rsplit(":", 1)[1]


def test_image_uses_the_cluster_builder():
    image = _one("Image")
    builder = _one("ClusterBuilder")
    spec = image["spec"]
    assert spec["builder"] == {"kind": "ClusterBuilder", "name": builder["metadata"]["name"]}
    assert spec["tag"]
    account = _one("ServiceAccount", spec["serviceAccountName"])
    assert account["metadata"]["namespace"] == image["metadata"]["namespace"]
    git = spec["source"]["git"]
    assert git["url"] and git["revision"]
    assert (REPO / spec["source"]["subPath"] / "requirements.txt").is_file(), "the example app must exist here"
    for var in spec["build"]["env"]:
        assert set(var) == {"name", "value"} and isinstance(var["value"], str), var


@pytest.mark.parametrize("path", sorted(KPACK.glob("*.yaml")), ids=lambda p: p.name)
def test_manifests_have_no_tabs_or_trailing_whitespace(path: Path):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        assert "\t" not in line and line == line.rstrip(), f"{path.name}:{number}"
