"""docs/platforms.md's examples, checked statically (no Kubernetes here): each YAML block parses, the kpack Image's
service binding is a Secret the buildpack reads as the platform projects it, and the Tekton and Shipwright examples
name only parameters the cited task and strategy versions define."""

import re
from pathlib import Path
from typing import Any, Dict, List

import yaml
from python_cnb.bindings import binding_settings, find_bindings

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"
# The parameters of the versions the e2e tests follow (tests/e2e/test_platforms_e2e.py cites file and commit).
TEKTON_BUILDPACKS_07 = {"APP_IMAGE", "BUILDER_IMAGE", "SOURCE_SUBPATH", "ENV_VARS", "PROCESS_TYPE", "RUN_IMAGE",
                        "CACHE_IMAGE", "SKIP_RESTORE", "USER_ID", "GROUP_ID", "PLATFORM_DIR"}
TEKTON_PHASES_03 = {"CNB_BUILD_IMAGE", "CNB_BUILDER_IMAGE", "CNB_CACHE_IMAGE", "CNB_ENV_VARS", "CNB_EXPERIMENTAL_MODE",
                    "CNB_GROUP_ID", "CNB_INSECURE_REGISTRIES", "CNB_LAYERS_DIR", "CNB_LOG_LEVEL",
                    "CNB_PLATFORM_API_SUPPORTED", "CNB_PLATFORM_API", "CNB_PLATFORM_DIR", "CNB_PROCESS_TYPE",
                    "CNB_RUN_IMAGE", "CNB_SKIP_LAYERS", "CNB_USER_ID", "APP_IMAGE", "SOURCE_SUBPATH", "TAGS",
                    "USER_HOME"}
SHIPWRIGHT_V3 = {"platform-api-version", "insecure-registries"}


def _blocks() -> List[Any]:
    return [list(yaml.safe_load_all(block)) for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]


def _kinds() -> Dict[str, Dict[str, Any]]:
    return {doc["kind"]: doc for docs in _blocks() for doc in docs if isinstance(doc, dict) and "kind" in doc}


def test_every_example_parses_and_each_platform_has_one():
    assert len(_blocks()) == 4
    assert {"Secret", "Image", "PipelineRun", "Build"} <= set(_kinds())


def test_the_kpack_binding_is_a_pip_binding_the_buildpack_reads(tmp_path):
    secret, image = _kinds()["Secret"], _kinds()["Image"]
    assert image["apiVersion"] == "kpack.io/v1alpha2"
    (service,) = image["spec"]["build"]["services"]
    assert (service["kind"], service["name"]) == ("Secret", secret["metadata"]["name"])
    assert secret["type"] == f"service.binding/{secret['stringData']['type']}"
    assert "secretKeyRef" not in str(image["spec"]["build"].get("env"))
    # kpack projects each stringData key as a file under <platform>/bindings/<name>/.
    binding = tmp_path / "bindings" / service["name"]
    binding.mkdir(parents=True)
    for key, value in secret["stringData"].items():
        (binding / key).write_text(value)
    settings = binding_settings(find_bindings({"SERVICE_BINDING_ROOT": str(tmp_path / "bindings")}), {})
    assert settings.env["PIP_INDEX_URL"] == "https://build:s3cret@pypi.example.com/simple/"
    assert "s3cret" not in " ".join(settings.notes)


def test_the_tekton_and_shipwright_examples_use_only_their_parameters():
    run = _kinds()["PipelineRun"]
    (build,) = [task for task in run["spec"]["pipelineSpec"]["tasks"] if task["taskRef"]["name"] == "buildpacks"]
    assert {param["name"] for param in build["params"]} <= TEKTON_BUILDPACKS_07
    (phases,) = [docs[0] for docs in _blocks() if isinstance(docs[0], list)]
    assert phases[0]["taskRef"]["name"] == "buildpacks-phases"
    assert {param["name"] for param in phases[0]["params"]} <= TEKTON_PHASES_03
    shipwright = _kinds()["Build"]
    assert shipwright["apiVersion"] == "shipwright.io/v1beta1"
    assert {param["name"] for param in shipwright["spec"]["paramValues"]} <= SHIPWRIGHT_V3
    assert shipwright["spec"]["strategy"]["kind"] == "ClusterBuildStrategy"
