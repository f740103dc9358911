"""The build environment's HOME: the platform's when the build can write to it, else one of the build's own."""

import os

from python_cnb.build_env import PLACES, resolve_build_env


def test_a_home_the_build_cannot_write_to_is_replaced_for_the_build(tmp_path):
    gone = tmp_path / "no-such-home"
    build_env = resolve_build_env(tmp_path, {"HOME": str(gone)})
    home = f"/tmp/home-{os.getuid()}"  # the platform env sets no TMPDIR
    assert build_env.env["HOME"] == home and os.path.isdir(home)
    assert build_env.platform["HOME"] == str(gone)  # what launch-time defaults read is the platform's own
    assert dict(build_env.sections)[PLACES] == (f"HOME='{gone}' is not writable: using HOME={home}.",)


def test_a_writable_home_is_kept(tmp_path):
    build_env = resolve_build_env(tmp_path, {"HOME": str(tmp_path)})
    assert build_env.env["HOME"] == str(tmp_path)
    assert dict(build_env.sections)[PLACES] == ()
