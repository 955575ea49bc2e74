"""Build geth's own dialer, with dialcheck's glue, into a ``--cmd`` (``dialcheck adapter``).

Theory of operation.  dialcheck ships ``_test.go`` glue for geth's package ``p2p`` (``glue/``:
docs/geth.md) and its Go kit (``gokit/``).  Given a geth-derived checkout, this module reads the
tree (never writes it): which generation its ``p2p/dial.go`` is, which API each axis of the glue
must follow (the table :data:`AXES`), and which geth release it is.  It then builds the package's
test binary with the glue beside the package, through ``go test -c -overlay`` (the glue files appear
in the package only for the go command) and, for a module tree, an alternate go.mod (``-modfile``)
that adds the kit; a tree without go.mod (geth before v1.9.8) is built in GOPATH mode, in a scratch
GOPATH that links to it.  A published release is first downloaded by the go command from the Go
module proxy and copied out of the module cache (no other download).

Nothing here runs a geth binary: the result is the command line that ``dialcheck run`` starts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dialcheck.spec.releases import (
    NEWEST_CHECKED,
    FamilyName,
    ProfileReleases,
    Version,
    find_profile,
    format_version,
    parse_version,
)
from dialcheck.spec.verdicts import BadInput

__all__ = [
    "AXES",
    "Axis",
    "Built",
    "TreeFacts",
    "GETH_MODULE",
    "TEST_NAME",
    "build_adapter",
    "download_release",
    "explain_no_profile",
    "get_glue_dir",
    "get_gokit_dir",
    "inspect_tree",
    "parse_release",
]

#: The module path of go-ethereum, for a release from the Go module proxy.
GETH_MODULE = "github.com/ethereum/go-ethereum"

#: The test function of the glue that serves dialcheck-wire/1 (both generations).
TEST_NAME = "TestDialcheck"


@dataclass(frozen=True)
class Axis:
    """One way geth's API differs between releases: its name and, per variant, how to tell it and its glue file.

    ``variants`` are tried in order; the first whose pattern is found in the axis's source files (relative to
    the tree's root) wins, and an empty pattern always matches.
    """

    family: FamilyName
    name: str
    sources: tuple[str, ...]
    variants: tuple[tuple[str, str, str], ...]  # (variant, regular expression, glue file)


#: The glue's axes: for each generation, every file the glue is made of beyond its core, chosen by what the
#: tree's own source says (a fork is judged by its code, not by its version).
AXES: tuple[Axis, ...] = (
    Axis(
        FamilyName.DIALSTATE,
        "node types",
        ("p2p/dial.go",),
        (
            ("discover (64-byte NodeID, v1.6.0 - v1.8.16)", r"discover\.NodeID", "dialcheck_ds_discover_test.go"),
            ("enode (32-byte ID, v1.8.17 on)", r"", "dialcheck_ds_enode_test.go"),
        ),
    ),
    Axis(
        FamilyName.DIALSTATE,
        "constructor",
        ("p2p/dial.go",),
        (
            ("table (v1.6.0 - v1.8.17)", r"func newDialState\(static ", "dialcheck_ds_new_table_test.go"),
            (
                "our ID first (v1.8.18 - v1.8.27)",
                r"func newDialState\(self enode\.ID, static ",
                "dialcheck_ds_new_self_test.go",
            ),
            (
                "*Config and a table (v1.9.0 - v1.9.6)",
                r"func newDialState\(self enode\.ID, ntab discoverTable, maxdyn int, cfg \*Config\)",
                "dialcheck_ds_new_config_test.go",
            ),
            (
                "*Config, no table (v1.9.7 - v1.9.10)",
                r"func newDialState\(self enode\.ID, maxdyn int, cfg \*Config\)",
                "dialcheck_ds_new_iterator_test.go",
            ),
        ),
    ),
    Axis(
        FamilyName.DIAL_SCHEDULER,
        "logger",
        ("log/logger.go", "log/root.go", "log/handler.go"),
        (
            ("log/slog (v1.14.0 on)", r'"log/slog"', "dialcheck_sched_slog_test.go"),
            (
                "golang.org/x/exp/slog (v1.13.6 - v1.13.15)",
                r'"golang\.org/x/exp/slog"',
                "dialcheck_sched_expslog_test.go",
            ),
            ("log15 (v1.9.11 - v1.13.5)", r"", "dialcheck_sched_log15_test.go"),
        ),
    ),
    Axis(
        FamilyName.DIAL_SCHEDULER,
        "constructor",
        ("p2p/dial.go",),
        (
            (
                "a sub-protocol version too (Erigon)",
                r"func newDialScheduler\(config dialConfig, it enode\.Iterator, setupFunc dialSetupFunc, "
                r"subProtocolVersion uint\)",
                "dialcheck_sched_new_subproto_test.go",
            ),
            ("geth's three arguments (v1.9.11 on)", r"", "dialcheck_sched_new_test.go"),
        ),
    ),
    Axis(
        FamilyName.DIAL_SCHEDULER,
        "task destination",
        ("p2p/dial.go",),
        (
            ("atomic, dest() (v1.14.0 on)", r"func \(t \*dialTask\) dest\(\)", "dialcheck_sched_destptr_test.go"),
            ("the field dest (v1.9.11 - v1.13.15)", r"", "dialcheck_sched_destfield_test.go"),
        ),
    ),
    Axis(
        FamilyName.DIAL_SCHEDULER,
        "DNS names",
        ("p2p/dial.go",),
        (
            ("static nodes' hostnames looked up (v1.15.0 on)", r"dnsLookupFunc", "dialcheck_sched_dns_test.go"),
            ("none (before v1.15.0)", r"", "dialcheck_sched_nodns_test.go"),
        ),
    ),
    Axis(
        FamilyName.DIAL_SCHEDULER,
        "pending inbound",
        ("p2p/dial.go",),
        (
            (
                "told to the scheduler (v1.17.2 on)",
                r"func \(d \*dialScheduler\) inboundPending\(",
                "dialcheck_sched_pending_test.go",
            ),
            ("not told (before v1.17.2)", r"", "dialcheck_sched_nopending_test.go"),
        ),
    ),
)

#: Each generation's core glue files (with the common one).
_CORES: dict[FamilyName, tuple[str, ...]] = {
    FamilyName.DIALSTATE: ("dialcheck_common_test.go", "dialcheck_dialstate_test.go"),
    FamilyName.DIAL_SCHEDULER: ("dialcheck_common_test.go", "dialcheck_scheduler_test.go"),
}

_VERSION_FILES = (
    ("version/version.go", "Major", "Minor", "Patch", "Meta"),
    ("params/version.go", "VersionMajor", "VersionMinor", "VersionPatch", "VersionMeta"),
)


def _source_dir(name: str) -> Path:
    """Return a folder of Go sources shipped with dialcheck: beside the package in a checkout, or in the wheel."""
    here = Path(__file__).resolve()
    # A checkout holds it at its top (conformance/drivers/ is two folders down); a wheel ships it as the data
    # package dialcheck.<name>, beside dialcheck.conformance: the same two folders up.
    folder = here.parents[2] / name
    if not folder.is_dir():
        raise BadInput(f"dialcheck's {name}/ folder is missing from this installation (looked for {folder})")
    return folder


def get_glue_dir() -> Path:
    """Return the folder of dialcheck's glue files."""
    return _source_dir("glue")


def get_gokit_dir() -> Path:
    """Return the folder of dialcheck's Go kit."""
    return _source_dir("gokit")


@dataclass(frozen=True)
class TreeFacts:
    """What a checkout says about itself: its import path, build mode, generation, glue and release."""

    root: Path
    import_path: str
    modules: bool
    family: FamilyName
    glue: tuple[str, ...]
    axes: tuple[tuple[str, str], ...]  # (axis, variant)
    version: Optional[Version]
    meta: str
    profile: Optional[ProfileReleases]

    @property
    def release(self) -> str:
        """Return the release the tree says it is, as geth prints it."""
        if self.version is None:
            return "an unknown release"
        text = format_version(self.version)
        return f"{text}-{self.meta}" if self.meta and self.meta != "stable" else text


def _read(root: Path, rel: str) -> str:
    path = root / rel
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _read_version(root: Path) -> tuple[Optional[Version], str]:
    """Return the release a tree says it is (version/version.go or params/version.go) and its meta."""
    for rel, major, minor, patch, meta in _VERSION_FILES:
        text = _read(root, rel)
        parts = [re.search(rf"\b{name}\s*=\s*(\d+)", text) for name in (major, minor, patch)]
        if all(parts):
            found = re.search(rf'\b{meta}\s*=\s*"([^"]*)"', text)
            numbers = [int(p.group(1)) for p in parts if p is not None]
            return (numbers[0], numbers[1], numbers[2]), found.group(1) if found else ""
    return None, ""


def _get_family(root: Path, dial: str) -> FamilyName:
    """Return the generation a tree's p2p/dial.go is."""
    if not dial:
        raise BadInput(
            f"{root}: no p2p/dial.go: dialcheck adapter builds a go-ethereum checkout (or a fork of it) from its "
            "root folder, the one holding p2p/"
        )
    if "func newDialScheduler(" in dial:
        return FamilyName.DIAL_SCHEDULER
    if "func newDialState(" in dial:
        return FamilyName.DIALSTATE
    raise BadInput(
        f"{root / 'p2p/dial.go'}: declares neither newDialState (geth v1.6.0 - v1.9.10) nor newDialScheduler "
        "(v1.9.11 on); dialcheck's glue drives one of those two"
    )


def _get_import_path(root: Path, dial: str) -> tuple[str, bool]:
    """Return a tree's import path and whether it is a module (else it builds in GOPATH mode)."""
    module = re.search(r"^module\s+(\S+)", _read(root, "go.mod"), re.MULTILINE)
    if module is not None:
        return module.group(1), True
    imported = re.search(r'"([^"]+)/p2p/(?:netutil|discover|enode|nat)"', dial)
    if imported is None:
        raise BadInput(f"{root}: no go.mod, and p2p/dial.go imports no p2p package to tell the tree's import path")
    return imported.group(1), False


def _choose_glue(root: Path, family: FamilyName) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Return the glue files a tree's API needs (the core first) and the variant of every axis."""
    glue = list(_CORES[family])
    axes = []
    for axis in (a for a in AXES if a.family is family):
        text = "\n".join(_read(root, rel) for rel in axis.sources)
        chosen = next(((v, f) for v, pattern, f in axis.variants if re.search(pattern, text)), None)
        if chosen is None:
            raise BadInput(
                f"{root}: the {axis.name} of p2p/dial.go matches none of the API variants dialcheck's glue knows "
                f"({', '.join(v for v, _, _ in axis.variants)}); docs/geth.md says how to adapt the glue by hand"
            )
        glue.append(chosen[1])
        axes.append((axis.name, chosen[0]))
    return tuple(glue), tuple(axes)


def inspect_tree(root: Path) -> TreeFacts:
    """Read a geth-derived checkout: its generation, the glue its API needs, its release and profile."""
    root = root.resolve()
    dial = _read(root, "p2p/dial.go")
    family = _get_family(root, dial)
    import_path, modules = _get_import_path(root, dial)
    glue, axes = _choose_glue(root, family)
    version, meta = _read_version(root)
    profile = None if version is None or meta not in ("", "stable") else find_profile(version)
    if profile is not None and profile.family is not family:
        profile = None  # a fork whose version names a release of the other generation
    return TreeFacts(root, import_path, modules, family, glue, axes, version, meta, profile)


@dataclass(frozen=True)
class Built:
    """A built adapter: the test binary and the command line that serves it."""

    facts: TreeFacts
    binary: Path

    @property
    def argv(self) -> list[str]:
        """Return the command dialcheck starts (``--cmd``): the test binary, asked to serve."""
        return ["env", "DIALCHECK=1", str(self.binary), "-test.run", TEST_NAME]

    @property
    def cmd(self) -> str:
        """Return :attr:`argv` as one ``--cmd`` value."""
        return shlex.join(self.argv)

    @property
    def matrix_cmd(self) -> str:
        """Return the ``--cmd`` of the program serving every profile of its generation (for a matrix)."""
        return shlex.join([*self.argv[:2], "DIALCHECK_PROFILES=all", *self.argv[2:]])

    def to_json(self) -> dict[str, object]:
        """Return what was built, for ``--json``."""
        facts = self.facts
        return {
            "cmd": self.cmd,
            "matrix_cmd": self.matrix_cmd,
            "binary": str(self.binary),
            "tree": str(facts.root),
            "import_path": facts.import_path,
            "family": facts.family.value,
            "release": None if facts.version is None else facts.release,
            "profile": None if facts.profile is None else facts.profile.profile.value,
            "glue": list(facts.glue),
            "axes": [{"axis": a, "variant": v} for a, v in facts.axes],
        }


def _run_go(argv: Sequence[str], cwd: Path, env: dict[str, str], what: str) -> str:
    """Run the go command; a failure is bad input naming what failed, with the go command's last lines."""
    try:
        done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BadInput(f"{what}: cannot run {argv[0]!r} ({exc.strerror}); install Go or name it with --go") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BadInput(f"{what}: `{shlex.join(argv)}` failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def _go_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    # Never fetch a toolchain, never let a workspace or GOFLAGS of the user's change the build.
    env.update({"GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": ""})
    env.update(extra or {})
    return env


def explain_no_profile(facts: TreeFacts) -> str:
    """Say why a tree belongs to no profile: a release newer than the spec was checked against, or not geth's."""
    version = facts.version
    # geth has only ever been 1.x: a 2.x or later version is a fork's own (bor, Ronin, Quorum's 24.x).
    if (
        version is not None
        and version[0] == 1
        and facts.meta in ("", "stable")
        and version > parse_version(NEWEST_CHECKED)
    ):
        return f"is newer than {NEWEST_CHECKED}, the newest release dialcheck's spec was checked against"
    return (
        f"names no {facts.family.value} release of geth that dialcheck's profiles claim (a fork's own version, "
        "or a development tree)"
    )


def parse_release(release: str) -> tuple[str, str]:
    """Return the module and version a ``--release`` names: ``vX.Y.Z`` (go-ethereum) or ``MODULE@VERSION`` (a fork).

    A fork served by the Go module proxy (op-geth, BSC) is named by its own module path and version, for example
    ``github.com/ethereum-optimism/op-geth@v1.101702.3``; its go.mod may still say go-ethereum's path.
    """
    if "@" in release:
        module, _, version = release.partition("@")
        if not re.fullmatch(r"[\w.~-]+(/[\w.~-]+)+", module) or not re.fullmatch(r"v\d+\.\d+\.\d+\S*", version):
            raise BadInput(
                f"--release {release}: a fork's release is MODULE@VERSION, for example "
                "github.com/ethereum-optimism/op-geth@v1.101702.3"
            )
        if module != GETH_MODULE:
            return module, version
        release = version  # go-ethereum's own: the same checks as vX.Y.Z
    parsed = parse_version(release)
    if parsed < (1, 9, 10):
        raise BadInput(
            f"--release {release}: go-ethereum is a Go module from v1.9.10 on; build an older release from a "
            "checkout with --tree (in GOPATH mode, docs/geth.md)"
        )
    return GETH_MODULE, format_version(parsed)


def download_release(release: str, scratch: Path, go: str = "go") -> Path:
    """Download a release (:func:`parse_release`) with the go command; copy it out of the module cache to ``scratch``.

    The copy is needed: the go command refuses to overlay files beneath the module cache.
    """
    module, tag = parse_release(release)
    scratch.mkdir(parents=True, exist_ok=True)
    out = _run_go(
        [go, "mod", "download", "-json", f"{module}@{tag}"],
        scratch,
        _go_env({"GOFLAGS": "-mod=mod"}),
        f"--release {release}",
    )
    source = Path(json.loads(out)["Dir"])
    tree = scratch / f"{module.rsplit('/', 1)[-1]}-{tag}"
    if tree.exists():
        shutil.rmtree(tree)  # an earlier copy, made writable below
    shutil.copytree(source, tree)
    for path in [tree, *tree.rglob("*")]:  # the module cache is read-only
        path.chmod(path.stat().st_mode | 0o200)
    return tree


def _ldflags(facts: TreeFacts, served: Sequence[str]) -> str:
    """Return the linker flags that set what the program's hello says."""
    package = f"{facts.import_path}/p2p"
    flags = [] if facts.version is None else [f"-X {package}.dialcheckVersion={facts.release}"]
    if served:
        flags.append(f"-X {package}.dialcheckProfiles={','.join(served)}")
    return " ".join(flags)


def _prepare_module(facts: TreeFacts, out_dir: Path, go: str) -> tuple[Path, dict[str, str], list[str]]:
    """Return the folder, environment and flags that build a module tree with the kit added to a copy of go.mod."""
    modfile = out_dir / "dialcheck.mod"
    shutil.copyfile(facts.root / "go.mod", modfile)
    gosum = facts.root / "go.sum"
    if gosum.exists():
        shutil.copyfile(gosum, out_dir / "dialcheck.sum")
    env = _go_env()
    edit = [go, "mod", "edit", "-require=dialcheck/gokit@v0.0.0", f"-replace=dialcheck/gokit={get_gokit_dir()}"]
    _run_go([*edit, str(modfile)], out_dir, env, "adding dialcheck's Go kit to a copy of go.mod")
    return facts.root, env, [f"-modfile={modfile}", "-mod=mod"]


def _prepare_gopath(facts: TreeFacts, out_dir: Path) -> tuple[Path, dict[str, str], list[str]]:
    """Return the folder, environment and flags that build a tree without go.mod in a scratch GOPATH linking to it."""
    gopath = out_dir / "gopath"
    link = gopath / "src" / facts.import_path
    if link.is_symlink():
        link.unlink()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(facts.root, target_is_directory=True)
    kit = gopath / "src" / "dialcheck" / "gokit"
    if kit.exists():
        shutil.rmtree(kit)
    shutil.copytree(get_gokit_dir(), kit, ignore=shutil.ignore_patterns("*_test.go"))
    return link, _go_env({"GO111MODULE": "off", "GOPATH": str(gopath), "PWD": str(link)}), []


def _get_p2p_imports(root: Path) -> list[str]:
    """Return the import paths the tree's own ``p2p`` package (its non-test files) imports, in file order."""
    found: list[str] = []
    for source in sorted((root / "p2p").glob("*.go")):
        if not source.name.endswith("_test.go"):
            text = source.read_text(encoding="utf-8", errors="replace")
            found += re.findall(r'^\s*(?:\w+\s+)?"([^"\s]+)"\s*$', text, re.M)
    return found


def _place_glue(facts: TreeFacts, out_dir: Path) -> Path:
    """Return the folder of the glue for ``facts``: the shipped one, or a copy importing the tree's own packages.

    The glue imports go-ethereum's packages; a fork may carry its own copies under its own module path (Celo's
    ``github.com/celo-org/celo-blockchain``, Scroll's), import some of go-ethereum's still (MAP Atlas copies
    ``p2p`` alone and imports go-ethereum's ``p2p/enode``; Erigon's 2026 tree imports go-ethereum's ``mclock``)
    or its own logger (Erigon's log15, ``github.com/ledgerwatch/log/v3``). Each package of the copy is the one
    the tree's own ``p2p`` imports; one it does not import is the tree's own copy where it carries one, else
    go-ethereum's.
    """
    imports = _get_p2p_imports(facts.root)

    def rename(match: re.Match[str]) -> str:
        package = match.group(1)
        ending = r"/log(?:/v\d+)?" if package == "log" else "/" + re.escape(package)
        used = next((path for path in imports if re.search(ending + "$", path)), None)
        if used is not None:
            return f'"{used}"'
        own = facts.root / package
        carried = own.is_dir() and any(own.glob("*.go"))
        return f'"{facts.import_path}/{package}"' if carried else match.group(0)

    shipped = {name: (get_glue_dir() / name).read_text(encoding="utf-8") for name in facts.glue}
    texts = {name: re.sub(rf'"{re.escape(GETH_MODULE)}/([\w./-]+)"', rename, text) for name, text in shipped.items()}
    if texts == shipped:
        return get_glue_dir()
    placed = out_dir / "glue"
    placed.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (placed / name).write_text(text, encoding="utf-8")
    return placed


def build_adapter(facts: TreeFacts, out_dir: Path, go: str = "go", profiles: Optional[Sequence[str]] = None) -> Built:
    """Build ``facts``' package p2p test binary with the glue beside it into ``out_dir``; the tree is not written.

    The binary's hello lists ``profiles`` (default: the tree's own profile, or every profile of its family when
    its release has none).
    """
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    served = list(profiles) if profiles else ([facts.profile.profile.value] if facts.profile is not None else [])
    name = f"p2p-{format_version(facts.version)}" if facts.version is not None else "p2p"
    binary = out_dir / f"{name}.test"
    workdir, env, flags = _prepare_module(facts, out_dir, go) if facts.modules else _prepare_gopath(facts, out_dir)
    overlay = out_dir / "dialcheck-overlay.json"
    glue_dir = _place_glue(facts, out_dir)
    replace = {str(workdir / "p2p" / f): str(glue_dir / f) for f in facts.glue}
    overlay.write_text(json.dumps({"Replace": replace}, indent=1), encoding="utf-8")
    _run_go(
        [
            go,
            "test",
            "-c",
            "-vet=off",  # the vet of old go commands (1.19) does not read the overlay
            *flags,
            f"-overlay={overlay}",
            "-o",
            str(binary),
            "-ldflags",
            _ldflags(facts, served),
            "./p2p",
        ],
        workdir,
        env,
        f"building {facts.root}'s package p2p with dialcheck's glue",
    )
    return Built(facts, binary)
