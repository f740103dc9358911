"""Every metadata field has an invalidation reason, and an unchanged layer has none."""

import dataclasses

import pytest
from python_cnb.layers import python as python_layer
from python_cnb.layers import venv as venv_layer

PY = python_layer.PythonLayerMetadata(1, "3.13.15", "a" * 64, "amd64", "debian", "12")
VENV = venv_layer.VenvLayerMetadata(1, "3.13.15", "a" * 64, "25.2", "pip install -r requirements.txt", "b" * 64,
                                    "c" * 64, False, "")


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value + "-changed"


@pytest.mark.parametrize(("module", "base"), [(python_layer, PY), (venv_layer, VENV)])
def test_every_field_invalidates(module, base):
    assert module.cache_invalidation_reasons(base, base) == []
    for field in dataclasses.fields(base):
        changed = dataclasses.replace(base, **{field.name: _changed(getattr(base, field.name))})
        assert module.cache_invalidation_reasons(base, changed), field.name


def test_python_reasons_are_worded_for_users():
    new = dataclasses.replace(PY, python_version="3.14.7", distro_version="13")
    assert python_layer.cache_invalidation_reasons(PY, new) == [
        "The Python version has changed from 3.13.15 to 3.14.7",
        "The OS has changed from debian-12 to debian-13",
    ]


@pytest.mark.parametrize("data", [None, {}, {"layer_format": 1}, {**dataclasses.asdict(PY), "extra": 1},
                                  {**dataclasses.asdict(PY), "layer_format": None, "x": 2}])
def test_unknown_metadata_is_not_trusted(data):
    assert python_layer.PythonLayerMetadata.from_toml(data) is None


def test_pip_settings_digest_ignores_credentials_and_noise():
    base = venv_layer.pip_settings_digest({"PIP_INDEX_URL": "https://u:one@index.example/simple"})
    assert base == venv_layer.pip_settings_digest({"PIP_INDEX_URL": "https://u:two@index.example/simple",
                                                    "PIP_CERT": "/x", "PATH": "/bin"})
    assert base != venv_layer.pip_settings_digest({"PIP_INDEX_URL": "https://other.example/simple"})
    assert base != venv_layer.pip_settings_digest({"PIP_INDEX_URL": "https://u:one@index.example/simple",
                                                    "PIP_EXTRA_INDEX_URL": "https://x.example"})
