"""The record every install method exports (`InstallMethod`), and the values that go in and out of it. Data and
types only: detect imports the registry, so this module and the method modules' top levels stay light."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .selection import Declared, Selection

if TYPE_CHECKING:
    from ..app_files import AppFiles
    from ..output import Output
    from ..python_version import Constraint
    from .requirements_scan import RequirementOption, RequirementsScan

__all__ = ["DependencyInputs", "FileChoice", "InstallMethod", "InstallPaths", "InstallStep", "InstallTarget",
           "Installer", "LocalPath", "Lock", "ToolCommand", "VersionSource", "Workspace"]

@dataclass(frozen=True)
class Workspace:
    """The project, further up the source, whose lock covers the app's directory (APP_HOME names a member of a uv
    workspace): the method installs the member from the lock there."""

    root: str  # the directory that holds the lock, relative to the app's directory ('../..')
    member: str  # the app's package name in it ('acme-api')


@dataclass(frozen=True)
class LocalPath:
    """A directory or file the install reads by a relative path (a path dependency, an included requirements file):
    it must be inside the app's source, which is all a build has."""

    file: str  # where it is named ('requirements.txt', 'uv.lock')
    spec: str  # as written there ('../libs/shared')
    path: Path  # resolved


@dataclass(frozen=True)
class Lock:
    """A lockfile method's pair of files: both must be in the app, and a lock that does not match its project
    file fails with the fix. A method with `generate` also takes its own project without the lock: it locks it at
    build (with a warning that the build is not reproducible), then installs the lock as usual."""

    file: str  # 'uv.lock'
    project_file: str  # 'pyproject.toml'
    fix: str  # the command that brings the lock up to date ('uv lock')
    # The command that writes a missing lock into the app, program first (('poetry', 'lock', ...), the program in the
    # tool's bin/); () when a missing lock is an error.
    generate: Tuple[str, ...] = ()
    # Whether the app is the tool's own project, to be locked at build (a pyproject.toml with [tool.poetry]); None:
    # whenever the project file is there (a Pipfile). Also chooses the method when no method's files are present.
    owns: Optional[Callable[[AppFiles], bool]] = None
    owned_by: str = ""  # what `owns` looks for, in the docs' words ('a `pyproject.toml` with `[tool.poetry]`')
    locking: str = ""  # the log line when it locks at build
    # The file the tool installs when the project file is missing, as an S2I image's switch (ENABLE_PIPENV) did:
    # Pipenv imports requirements.txt. The switch then installs that file with its own method.
    imports: str = ""
    # The enclosing project whose lock covers an app directory below the source's root (source root, app dir) ->
    # the workspace, or None: a uv workspace member (APP_HOME) installs from the workspace's lock.
    workspace: Optional[Callable[[Path, Path], Optional[Workspace]]] = None

    def generate_command(self, tool_bin: Path) -> ToolCommand:
        program, *args = self.generate
        return ToolCommand(argv=(str(tool_bin / program), *args), shown=" ".join(self.generate))


@dataclass(frozen=True)
class FileChoice:
    """A method that installs one file among those it accepts: its `files` (the default name, which wins when
    present) or any name at the app's root that `pattern` matches (PEP 751's `pylock.<name>.toml`). Several matches
    without the default need `variable` to say which; with none, a method asked for by BP_PYTHON_PACKAGE_MANAGER fails
    with `fix`."""

    pattern: str  # a regular expression a whole name matches: r"pylock\.[^.]+\.toml"
    shown: str  # the pattern in the docs' and detect's words: 'pylock.<name>.toml'
    variable: str  # names the file to use: 'BP_PYTHON_PYLOCK'
    fix: str  # the command that writes one ('uv export --format pylock.toml -o pylock.toml')


@dataclass(frozen=True)
class ToolCommand:
    argv: Tuple[str, ...]  # absolute program path first
    shown: str  # how the log shows it ('uv sync --locked --no-default-groups'); never holds a secret


@dataclass(frozen=True)
class InstallPaths:
    app_dir: Path  # the working directory of every command
    venv_dir: Path  # the app's virtual environment (its python is venv_dir/bin/python); installed into, never run from
    pip_python: Path  # the python of the build-only pip layer (pip installs with it)
    tool_bin: Path  # the tool's bin/ directory (uv, Poetry, Pipenv, PDM; a separate venv's, never on the app's PATH)
    cache_dir: Path  # the tool's cache layer (pip's when pip installs)
    # How uv puts files from its cache into the venv: 'hardlink' when both are on one filesystem (uv's own default, no
    # copying), else 'copy' (a link across filesystems fails, and uv would warn before copying anyway).
    link_mode: str = "copy"
    # A directory of wheels that every install into the venv uses instead of any index (pip install --no-index
    # --find-links DIR): GOOGLE_VENDOR_PIP_DEPENDENCIES or BP_PIP_DEST_PATH, for offline builds.
    vendor_dir: Optional[Path] = None


@dataclass(frozen=True)
class DependencyInputs:
    """What decides the environment besides the interpreter, the tool and the index settings, read once."""

    files: str  # for messages: 'requirements.txt', 'uv.lock, pyproject.toml, uv.toml'
    digest: str  # sha256 over them
    scan: Optional[RequirementsScan] = None  # requirements.txt and what it includes (pip -r only)
    # The dependency groups and extras the project defines (what BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS
    # may name); None: the method has neither.
    declared: Optional[Declared] = None
    local_paths: Tuple[LocalPath, ...] = ()  # what the install reads by relative path (its trees are in `digest`)


@dataclass(frozen=True)
class VersionSource:
    """A file of the method's own that can declare the Python versions the app supports (uv.lock, the Pipfile)."""

    file: str
    read: Callable[[str], Sequence[Constraint]]  # the file's text -> its constraints (typed errors when invalid)
    # For the default file of a FileChoice: (text, name) -> constraints. When the method installs the app, the source
    # reads the file it chose (pylock.prod.toml) instead, and its constraints and errors name that file.
    read_chosen: Optional[Callable[[str, str], Sequence[Constraint]]] = None


@dataclass(frozen=True)
class Installer:
    """What installs requirements with pip's semantics: pip (the default) or `uv pip` (BP_PYTHON_INSTALLER=uv). The
    pip methods install the app with it, and every method adds what the web process needs with it."""

    name: str  # 'pip' or 'uv': the BP_PYTHON_INSTALLER value and the log's name for it
    pin: str  # requirements/<pin>.txt holds '<pin>==X.Y.Z'; '' for pip (the interpreter's bundled pip)
    # The environment for every command: the build env with the venv active, plus what the installer needs (the
    # PIP_* settings mapped to its own for uv).
    env: Callable[[Mapping[str, str], InstallPaths], Dict[str, str]]
    # `install` with requirement arguments (['-r', 'requirements.txt'], ['-e', '.'], ['gunicorn==23.0.0']); never
    # compiles bytecode: the buildpack compiles the venv once afterwards, hash-based.
    install: Callable[[InstallPaths, Mapping[str, str], Sequence[str]], ToolCommand]
    uninstall: Callable[[InstallPaths, Sequence[str]], ToolCommand]
    # The requirement-file options it cannot honour ([] when all are fine).
    unsupported: Callable[[Sequence[RequirementOption]], List[RequirementOption]]
    # PIP_* variables the user set that it does not honour (for a warning).
    ignored_settings: Callable[[Mapping[str, str]], List[str]]
    # Build-environment variables besides PIP_* that change what gets installed: part of the reuse key.
    index_settings: Sequence[str] = ()


@dataclass(frozen=True)
class InstallTarget:
    """An environment the dependencies were installed into, and how to install more into it (what the web process
    needs once the app turns out to want it)."""

    installer: Installer
    paths: InstallPaths  # the installer's
    env: Mapping[str, str]  # the build env with the venv active

    @property
    def installer_env(self) -> Dict[str, str]:
        return self.installer.env(self.env, self.paths)


@dataclass(frozen=True)
class InstallStep:
    """What a method's `install` gets: where to install, with what, and whether this is an update in place."""

    out: Output
    paths: InstallPaths
    env: Mapping[str, str]  # the build env with the venv active (VIRTUAL_ENV, PATH, pip's cache)
    installer: Installer
    installer_env: Mapping[str, str]  # installer.env(env, paths)
    update: bool  # installing into the restored environment, which keeps what it has
    selection: Selection = Selection()  # the groups and extras to install too, checked against the project
    workspace: Optional[Workspace] = None  # the enclosing workspace whose lock installs the app (a member)
    # What pip -r installs (BP_PIP_REQUIREMENT's files), or the one file a FileChoice method chose (pylock.prod.toml).
    requirement_files: Tuple[str, ...] = ("requirements.txt",)
    lock_at_build: bool = False  # a lockfile method without its lock: write it first (Lock.generate)
    requirements: Tuple[str, ...] = ()  # requirements.txt's requirement lines (pip -r)
    # An update where only requirement lines changed: the lines to install (() when lines were only removed); None:
    # the whole install. update_options: requirements.txt's own option lines, which such an install carries over.
    update_lines: Optional[Tuple[str, ...]] = None
    update_options: Tuple[str, ...] = ()
    extra_requirements: Tuple[str, ...] = ()  # what the web process needs and the app may not list
    add_extras: Callable[[], object] = field(default=lambda: None)  # installs the extra requirements that are missing


@dataclass(frozen=True)
class InstallMethod:
    """One way of installing an app's dependencies. See the package's docstring for what each field is for."""

    name: str  # the registry's key ('pip', 'pip-project', 'uv', 'poetry', 'pipenv', 'none')
    manager: str  # the BP_PYTHON_PACKAGE_MANAGER value that chooses it
    label: str  # 'pip install -r requirements.txt': the log's, the layer metadata's and the docs' name for it
    installing: str  # the log line, '{installer}' standing for the installer's name
    default_reason: str  # why it was chosen when the files alone chose it (for the log)
    files: Tuple[str, ...] = ()  # the app files that select it (detect passes on each)
    # A variable that names other files instead (paths relative to the app, separated by spaces): Paketo's
    # BP_PIP_REQUIREMENT for pip -r. Set, its files select the method, and each must be in the app.
    files_variable: str = ""
    misspellings: Mapping[str, str] = field(default_factory=dict)  # wrong file name -> the name it looks for
    file_choice: Optional[FileChoice] = None  # installs one of several files it accepts (pylock.<name>.toml)
    lock: Optional[Lock] = None
    applies: Optional[Callable[[AppFiles], bool]] = None  # a method without `files`: whether the app is one for it
    installer_option: bool = False  # BP_PYTHON_INSTALLER chooses what installs it (pip or uv)
    tool: str = ""  # its own tool: requirements/<tool>.txt pins it ('' when the installer installs it)
    read_inputs: Callable[[Path, Mapping[str, str]], DependencyInputs] = field(
        default=lambda app_dir, env: DependencyInputs("none", ""))
    # The variables that decide where packages come from (a part of the reuse key); None: pip's rule, every PIP_*
    # that can change the result (and the installer's own).
    index_settings: Optional[Tuple[str, ...]] = None
    updates_in_place: bool = False  # its install into the restored environment gives what a fresh one gives
    installs_nothing: bool = False  # the app has nothing to install (only what the web process needs is added)
    install: Callable[[InstallStep], None] = field(default=lambda step: None)
    version_sources: Tuple[VersionSource, ...] = ()
    # What BP_PYTHON_DEPENDENCY_GROUPS and BP_PYTHON_EXTRAS become, in the docs' words ('' when the method has no such
    # thing: setting it then fails); group_aliases: other names for a group (Pipenv's 'dev' for dev-packages).
    groups_option: str = ""
    extras_option: str = ""
    group_aliases: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""  # what runs, in the docs' words (docs/dependencies.md's table)
    selected_by: str = ""  # for a method without files: what in the app selects it, in the docs' words
