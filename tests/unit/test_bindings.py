"""Service bindings of type pip and netrc: where they are found, what they add to the build env, what wins, the
secrets to mask, Poetry's source credentials, and the errors. Small directories of plain files."""

from pathlib import Path

import pytest
from python_cnb.bindings import binding_settings, find_bindings
from python_cnb.build_env import SERVICE_BINDINGS, resolve_build_env
from python_cnb.errors import BindingInvalid, render_error
from python_cnb.package_managers.poetry import source_credentials


def _binding(root: Path, name: str, kind: str, files: dict) -> Path:
    (root / name).mkdir(parents=True)
    (root / name / "type").write_text(kind + "\n")
    for file, text in files.items():
        (root / name / file).write_text(text)
    return root


def test_pip_conf_becomes_pip_settings_and_netrc_becomes_netrc(tmp_path):
    root = _binding(tmp_path, "a-index", "pip", {"pip.conf": (
        "[global]\nindex-url = https://u:pa55word-long@idx.example/simple\ntimeout = 60\n"
        "[install]\nextra-index-url = https://idx2.example/simple\n  https://idx3.example/simple\n")})
    _binding(root, "b-netrc", "netrc", {".netrc": "machine idx.example login u password netrc-secret-1\n"})
    _binding(root, "c-db", "postgresql", {"host": "db"})
    bindings = find_bindings({"SERVICE_BINDING_ROOT": str(root)})
    assert [(b.name, b.type) for b in bindings] == [("a-index", "pip"), ("b-netrc", "netrc")]
    settings = binding_settings(bindings, {})
    assert settings.env == {"PIP_INDEX_URL": "https://u:pa55word-long@idx.example/simple",
                            "PIP_EXTRA_INDEX_URL": "https://idx2.example/simple https://idx3.example/simple",
                            "NETRC": str(root / "b-netrc" / ".netrc")}
    assert "netrc-secret-1" in settings.secrets and "pa55word-long" in settings.secrets
    assert all("pa55word" not in note and "netrc-secret" not in note for note in settings.notes)


def test_the_build_env_wins_and_the_platform_dir_is_the_default_root(tmp_path):
    _binding(tmp_path / "bindings", "idx", "pip", {"pip.conf": "[global]\nindex-url = https://a.example/simple\n"})
    bindings = find_bindings({"CNB_PLATFORM_DIR": str(tmp_path)})
    settings = binding_settings(bindings, {"PIP_INDEX_URL": "https://mine.example/simple"})
    assert settings.env == {}
    assert settings.notes == ("Service binding idx (type pip): PIP_INDEX_URL already set in the build env, which "
                              "wins",)


def test_no_bindings_at_all(tmp_path):
    assert find_bindings({}) == [] and find_bindings({"SERVICE_BINDING_ROOT": str(tmp_path / "none")}) == []


@pytest.mark.parametrize("kind, files, problem", [
    ("pip", {}, "there is no such file in the binding"),
    ("pip", {"pip.conf": "[global]\ntimeout = 3\n"}, "it sets none of index-url"),
    ("pip", {"pip.conf": "index-url = x\n"}, "it cannot be read (MissingSectionHeaderError)"),
    ("netrc", {".netrc": "machine\n"}, "it cannot be read"),
])
def test_unusable_bindings(tmp_path, kind, files, problem):
    _binding(tmp_path, "idx", kind, files)
    with pytest.raises(BindingInvalid) as info:
        binding_settings(find_bindings({"SERVICE_BINDING_ROOT": str(tmp_path)}), {})
    title, body = render_error(info.value)
    assert title == "Service binding idx cannot be used" and problem in body


def test_the_build_env_gets_them_in_their_own_section(tmp_path):
    _binding(tmp_path / "b", "idx", "pip", {"pip.conf": "[global]\nindex-url = https://u:s3cret-pass@i.example/s\n"})
    build_env = resolve_build_env(tmp_path, {"SERVICE_BINDING_ROOT": str(tmp_path / "b")})
    assert build_env.env["PIP_INDEX_URL"] == "https://u:s3cret-pass@i.example/s"
    assert "PIP_INDEX_URL" not in build_env.platform
    assert dict(build_env.sections)[SERVICE_BINDINGS] == (
        "Service binding idx (type pip): PIP_INDEX_URL for the build only",)
    assert "s3cret-pass" in build_env.secrets


def test_poetry_sources_get_credentials_by_host(tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine b.example login nu password np\n")
    pyproject = {"tool": {"poetry": {"source": [{"name": "corp-index", "url": "https://a.example/simple"},
                                                {"name": "other", "url": "https://b.example/simple"},
                                                {"name": "public", "url": "https://pypi.org/simple"}]}}}
    env = {"PIP_INDEX_URL": "https://u%40x:p%3Aw@a.example/simple", "NETRC": str(netrc)}
    assert source_credentials(pyproject, env) == {
        "POETRY_HTTP_BASIC_CORP_INDEX_USERNAME": "u@x", "POETRY_HTTP_BASIC_CORP_INDEX_PASSWORD": "p:w",
        "POETRY_HTTP_BASIC_OTHER_USERNAME": "nu", "POETRY_HTTP_BASIC_OTHER_PASSWORD": "np"}
    assert source_credentials({}, env) == {}
