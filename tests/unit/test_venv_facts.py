"""VenvFacts: what an environment holds, read from its files in one pass."""

import os

from python_cnb.venv_facts import Distribution, VenvFacts, metadata_fields


def _dist_info(site, dir_name, metadata, direct=False):
    info = site / dir_name
    info.mkdir(parents=True)
    if metadata is not None:
        (info / "METADATA").write_text(metadata)
    if direct:
        (info / "direct_url.json").write_text("{}")
    return info


def test_reads_distributions_top_level_names_and_markers(tmp_path):
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    info = _dist_info(site, "Foo_Bar-1.0.dist-info",
                      "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nRequires-Dist: six\n\nbody\n", direct=True)
    _dist_info(site, "broken-2.0.dist-info", None)  # no METADATA: the directory's name tells
    (site / "foo_bar").mkdir()
    (site / "six.py").write_text("")
    (site / "_speedups.cpython-312-x86_64-linux-gnu.so").write_bytes(b"")
    (site / "distutils-precedence.pth").write_text("")
    (site / "not-a-dist.dist-info").write_text("")  # a file, not a distribution
    (tmp_path / "pyvenv.cfg").write_text("home = /x/bin\ninclude-system-site-packages = false\nversion = 3.12.1\n")

    facts = VenvFacts.read(tmp_path)
    assert facts.site_packages == site
    stat = info.stat()
    assert facts.distributions["foo-bar"] == Distribution("foo-bar", ("six",), True, "1.0", "Foo_Bar",
                                                          "Foo_Bar-1.0.dist-info", (stat.st_ino, stat.st_ctime_ns))
    assert (facts.distributions["broken"].version, facts.distributions["broken"].requires) == ("2.0", ())
    assert set(facts.distributions) == {"foo-bar", "broken"}
    assert facts.has("Foo.Bar") and not facts.has("six")
    assert facts.top_level == {"foo_bar", "six", "_speedups"}
    assert facts.marker_env == {"python_version": "3.12", "python_full_version": "3.12.1"}
    assert facts.distributions["foo-bar"].parsed_version() is not None


def test_new_since_names_what_an_install_added_or_reinstalled(tmp_path):
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    _dist_info(site, "kept-1.0.dist-info", "Name: kept\nVersion: 1.0\n")
    reinstalled = _dist_info(site, "again-1.0.dist-info", "Name: again\nVersion: 1.0\n")
    before = VenvFacts.read(tmp_path)
    _dist_info(site, "added-2.0.dist-info", "Name: added\nVersion: 2.0\n")
    os.rename(reinstalled, site / "tmp")
    (site / "tmp").rename(reinstalled)  # a new change time, as a reinstall at the same version gives
    os.utime(reinstalled)
    after = VenvFacts.read(tmp_path)
    assert "added-2.0.dist-info" in after.new_since(before)
    assert "kept-1.0.dist-info" not in after.new_since(before)


def test_an_environment_that_does_not_exist_yet(tmp_path):
    facts = VenvFacts.read(tmp_path / "venv")
    assert facts.site_packages is None and not facts.distributions and facts.marker_env == {}


def test_metadata_fields_reads_the_header_only():
    text = ("Metadata-Version: 2.1\r\nname: Foo\r\nVersion:  2.0 \r\nRequires-Dist: six;\r\n extra == 'x'\r\n"
            "Requires-Dist: idna\r\nSummary: s\r\n\r\nRequires-Dist: in-the-body\r\n")
    assert metadata_fields(text) == {"name": ["Foo"], "version": ["2.0"],
                                     "requires-dist": ["six; extra == 'x'", "idna"]}
    assert metadata_fields("Name: bar\nVersion: 1\n\nVersion: 9\n") == {"name": ["bar"], "version": ["1"]}
    assert metadata_fields("") == {}


def test_a_metadata_file_rewritten_in_place_is_read_again(tmp_path):
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    info = _dist_info(site, "pkg-1.0.dist-info", "Name: pkg\nVersion: 1.0\n")
    assert VenvFacts.read(tmp_path).distributions["pkg"].version == "1.0"
    (info / "METADATA.new").write_text("Name: pkg\nVersion: 1.0.post1\nRequires-Dist: six\n")
    (info / "METADATA.new").replace(info / "METADATA")  # the directory's entries change, and the file's inode
    again = VenvFacts.read(tmp_path).distributions["pkg"]
    assert (again.version, again.requires) == ("1.0.post1", ("six",))
