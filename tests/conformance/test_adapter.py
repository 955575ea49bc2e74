"""`dialcheck adapter` reads a geth-derived tree and picks the glue its own API needs, and the glue is ours.

The real builds (go-ethereum from the Go module proxy, judged by dialcheck) run in tox env ``geth``
(tests/geth/); these tests read trees made of the lines that tell each API apart.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import pytest

from dialcheck.conformance.cli import main
from dialcheck.conformance.drivers.geth import (
    AXES,
    GETH_MODULE,
    Built,
    explain_no_profile,
    get_glue_dir,
    get_gokit_dir,
    inspect_tree,
    parse_release,
)
from dialcheck.spec.releases import FamilyName

# The lines of p2p/dial.go and log/logger.go that tell each release's API, as geth has them.
_DS_64 = "func newDialState(static []*discover.Node, bootnodes []*discover.Node) {}\nvar _ discover.NodeID\n"
_DS_1817 = "func newDialState(static []*enode.Node, bootnodes []*enode.Node, ntab discoverTable, maxdyn int) {}\n"
_DS_1818 = "func newDialState(self enode.ID, static []*enode.Node, bootnodes []*enode.Node) {}\n"
_DS_190 = "func newDialState(self enode.ID, ntab discoverTable, maxdyn int, cfg *Config) *dialstate {}\n"
_DS_197 = "func newDialState(self enode.ID, maxdyn int, cfg *Config) *dialstate {}\n"
_SC_1911 = "func newDialScheduler(config dialConfig, it enode.Iterator, setupFunc dialSetupFunc) *dialScheduler {}\n"
_SC_1140 = _SC_1911 + "func (t *dialTask) dest() *enode.Node {}\n"
_SC_1150 = _SC_1140 + "dnsLookupFunc func(ctx context.Context, network string, name string) ([]netip.Addr, error)\n"
_SC_1172 = _SC_1150 + "func (d *dialScheduler) inboundPending(id enode.ID) {}\n"
_IMPORTS = 'import (\n\t"github.com/ethereum/go-ethereum/p2p/netutil"\n)\n'


def _make_tree(
    root: Path, dial: str, version: Optional[tuple[int, int, int]], logger: str = "", module: bool = True
) -> Path:
    (root / "p2p").mkdir(parents=True)
    (root / "p2p" / "dial.go").write_text(_IMPORTS + dial)
    if logger:
        (root / "log").mkdir()
        (root / "log" / "logger.go").write_text(f'import "{logger}"\n')
    if module:
        (root / "go.mod").write_text("module github.com/ethereum/go-ethereum\n\ngo 1.13\n")
    if version is not None:
        (root / "params").mkdir()
        major, minor, patch = version
        (root / "params" / "version.go").write_text(
            f"const (\n\tVersionMajor = {major}\n\tVersionMinor = {minor}\n\tVersionPatch = {patch}\n"
            '\tVersionMeta  = "stable"\n)\n'
        )
    return root


@pytest.mark.parametrize(
    ("dial", "logger", "version", "family", "profile", "axis_files"),
    [
        (_DS_64, "", (1, 7, 3), FamilyName.DIALSTATE, "geth-1.7", ["ds_discover", "ds_new_table"]),
        (_DS_1817, "", (1, 8, 17), FamilyName.DIALSTATE, "geth-1.8", ["ds_enode", "ds_new_table"]),
        (_DS_1818, "", (1, 8, 27), FamilyName.DIALSTATE, "geth-1.8", ["ds_enode", "ds_new_self"]),
        (_DS_190, "", (1, 9, 6), FamilyName.DIALSTATE, "geth-1.9", ["ds_enode", "ds_new_config"]),
        (_DS_197, "", (1, 9, 10), FamilyName.DIALSTATE, "geth-1.9.7", ["ds_enode", "ds_new_iterator"]),
        (
            _SC_1911,
            "",
            (1, 9, 11),
            FamilyName.DIAL_SCHEDULER,
            "geth-1.9.11",
            ["sched_log15", "sched_new", "sched_destfield", "sched_nodns", "sched_nopending"],
        ),
        (
            _SC_1911,
            "golang.org/x/exp/slog",
            (1, 13, 15),
            FamilyName.DIAL_SCHEDULER,
            "geth-1.9.14",
            ["sched_expslog", "sched_new", "sched_destfield", "sched_nodns", "sched_nopending"],
        ),
        (
            _SC_1140,
            "log/slog",
            (1, 14, 13),
            FamilyName.DIAL_SCHEDULER,
            "geth-1.9.14",
            ["sched_slog", "sched_new", "sched_destptr", "sched_nodns", "sched_nopending"],
        ),
        (
            _SC_1150,
            "log/slog",
            (1, 16, 3),
            FamilyName.DIAL_SCHEDULER,
            "geth-1.15",
            ["sched_slog", "sched_new", "sched_destptr", "sched_dns", "sched_nopending"],
        ),
        (
            _SC_1172,
            "log/slog",
            (1, 17, 5),
            FamilyName.DIAL_SCHEDULER,
            "geth-1.17.2",
            ["sched_slog", "sched_new", "sched_destptr", "sched_dns", "sched_pending"],
        ),
    ],
)
def test_a_tree_gets_the_glue_of_its_own_api_on_every_axis_and_the_profile_of_its_release(
    tmp_path: Path,
    dial: str,
    logger: str,
    version: tuple[int, int, int],
    family: FamilyName,
    profile: str,
    axis_files: list[str],
) -> None:
    facts = inspect_tree(_make_tree(tmp_path, dial, version, logger))
    core = "dialcheck_dialstate_test.go" if family is FamilyName.DIALSTATE else "dialcheck_scheduler_test.go"
    assert facts.family is family
    assert facts.glue == ("dialcheck_common_test.go", core, *[f"dialcheck_{a}_test.go" for a in axis_files])
    assert facts.profile is not None and facts.profile.profile.value == profile
    assert facts.import_path == "github.com/ethereum/go-ethereum" and facts.modules


def test_erigons_copy_gets_the_log15_glue_importing_its_own_logger_and_its_four_argument_constructor(
    tmp_path: Path,
) -> None:
    from dialcheck.conformance.drivers.geth import _place_glue

    # Erigon's p2p/dial.go (v2.60): geth's dialScheduler of v1.10, its own log15 (ledgerwatch/log/v3) and
    # a sub-protocol version as the constructor's fourth argument.
    dial = (
        'import "github.com/ledgerwatch/log/v3"\n'
        "func newDialScheduler(config dialConfig, it enode.Iterator, setupFunc dialSetupFunc, "
        "subProtocolVersion uint) *dialScheduler {}\n"
    )
    root = _make_tree(tmp_path / "erigon", dial, (2, 60, 5))
    (root / "go.mod").write_text("module github.com/ledgerwatch/erigon\n\ngo 1.21\n")
    facts = inspect_tree(root)
    assert facts.family is FamilyName.DIAL_SCHEDULER and facts.profile is None
    assert facts.glue[2:4] == ("dialcheck_sched_log15_test.go", "dialcheck_sched_new_subproto_test.go")
    assert dict(facts.axes)["constructor"] == "a sub-protocol version too (Erigon)"
    logger = (_place_glue(facts, tmp_path / "out") / "dialcheck_sched_log15_test.go").read_text(encoding="utf-8")
    assert 'import "github.com/ledgerwatch/log/v3"' in logger and "go-ethereum/log" not in logger


def test_a_tree_without_go_mod_is_built_in_gopath_mode_under_the_import_path_its_imports_name(tmp_path: Path) -> None:
    facts = inspect_tree(_make_tree(tmp_path, _DS_64, (1, 7, 3), module=False))
    assert not facts.modules and facts.import_path == "github.com/ethereum/go-ethereum"


def test_the_release_is_read_from_version_go_from_v1_14_and_a_newer_one_than_checked_has_no_profile(
    tmp_path: Path,
) -> None:
    root = _make_tree(tmp_path, _SC_1172, None, "log/slog")
    (root / "version").mkdir()
    (root / "version" / "version.go").write_text(
        'const (\n\tMajor = 1\n\tMinor = 99\n\tPatch = 0\n\tMeta = "stable"\n)\n'
    )
    facts = inspect_tree(root)
    assert facts.version == (1, 99, 0) and facts.release == "v1.99.0" and facts.profile is None


@pytest.mark.parametrize(
    ("version_go", "release"),
    [
        (
            'const (\n\tVersionMajor = 1\n\tVersionMinor = 16\n\tVersionPatch = 3\n\tVersionMeta = "unstable"\n)\n',
            "v1.16.3-unstable",
        ),
        ("", "an unknown release"),
    ],
)
def test_a_development_tree_or_one_without_a_version_belongs_to_no_profile(
    tmp_path: Path, version_go: str, release: str
) -> None:
    root = _make_tree(tmp_path, _SC_1150, None, "log/slog")
    if version_go:
        (root / "params").mkdir()
        (root / "params" / "version.go").write_text(version_go)
    facts = inspect_tree(root)
    assert facts.release == release and facts.profile is None


def test_a_fork_whose_version_names_a_release_of_the_other_generation_belongs_to_no_profile(tmp_path: Path) -> None:
    # Quorum v2.x says geth 1.8.18 in params/version.go; a fork that ported the dialScheduler keeps that number.
    facts = inspect_tree(_make_tree(tmp_path, _SC_1911, (1, 8, 18)))
    assert facts.family is FamilyName.DIAL_SCHEDULER and facts.profile is None
    assert explain_no_profile(facts).startswith("names no dialScheduler release of geth")


def test_a_release_newer_than_the_newest_checked_is_said_to_be_newer(tmp_path: Path) -> None:
    facts = inspect_tree(_make_tree(tmp_path, _SC_1172, (1, 17, 11), "log/slog"))
    assert facts.profile is None and explain_no_profile(facts).startswith("is newer than v1.17.10")


@pytest.mark.parametrize("version", [(2, 8, 3), (24, 4, 1)])
def test_a_forks_own_version_above_geths_1_x_is_not_said_to_be_a_newer_geth(
    tmp_path: Path, version: tuple[int, int, int]
) -> None:
    # Ronin v2.8.3 and Quorum 24.4.1 put their own numbers in params/version.go: geth has only been 1.x.
    facts = inspect_tree(_make_tree(tmp_path, _SC_1911, version))
    assert facts.profile is None and explain_no_profile(facts).startswith("names no dialScheduler release")


@pytest.mark.parametrize(
    ("dial", "says"),
    [
        (None, "no p2p/dial.go"),
        ("func somethingElse() {}\n", "declares neither newDialState"),
        ("func newDialState(cfg Config) {}\n", "the constructor of p2p/dial.go matches none"),
    ],
)
def test_a_tree_dialcheck_cannot_drive_is_bad_input_in_one_paragraph_with_exit_2(
    tmp_path: Path, dial: Optional[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if dial is not None:
        _make_tree(tmp_path, dial, (1, 9, 0))
    assert main(["adapter", "--tree", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dialcheck adapter: ") and says in err and "Traceback" not in err


def test_a_release_older_than_the_module_era_is_refused_with_the_way_to_build_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["adapter", "--release", "v1.8.27", "--out", str(tmp_path)]) == 2
    assert "from v1.9.10 on; build an older release from a checkout with --tree" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("release", "module", "version"),
    [
        ("v1.17.10", GETH_MODULE, "v1.17.10"),
        ("1.9.11", GETH_MODULE, "v1.9.11"),
        ("github.com/ethereum-optimism/op-geth@v1.101702.3", "github.com/ethereum-optimism/op-geth", "v1.101702.3"),
        ("github.com/bnb-chain/bsc@v1.7.8", "github.com/bnb-chain/bsc", "v1.7.8"),
    ],
)
def test_a_release_is_go_ethereums_version_or_a_forks_module_at_its_version(
    release: str, module: str, version: str
) -> None:
    assert parse_release(release) == (module, version)


def test_go_ethereum_named_by_its_module_path_gets_the_same_checks_as_its_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse_release("github.com/ethereum/go-ethereum@v1.17.10") == (GETH_MODULE, "v1.17.10")
    assert main(["adapter", "--release", "github.com/ethereum/go-ethereum@v1.8.27", "--out", str(tmp_path)]) == 2
    assert "from v1.9.10 on; build an older release from a checkout with --tree" in capsys.readouterr().err


@pytest.mark.parametrize("release", ["op-geth@v1.101702.3", "github.com/bnb-chain/bsc@latest", "github.com/x/y@"])
def test_a_fork_release_not_of_the_form_module_at_version_is_refused_with_an_example(
    release: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["adapter", "--release", release, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a fork's release is MODULE@VERSION, for example" in err and "Traceback" not in err


def test_a_fork_under_its_own_module_path_gets_glue_importing_the_packages_its_p2p_imports(tmp_path: Path) -> None:
    from dialcheck.conformance.drivers.geth import _place_glue

    geth = inspect_tree(_make_tree(tmp_path / "geth", _SC_1911, (1, 10, 9)))
    assert _place_glue(geth, tmp_path / "out-geth") == get_glue_dir()
    celo = "github.com/celo-org/celo-blockchain"
    fork = _make_tree(tmp_path / "celo", _SC_1911, (1, 8, 9))
    (fork / "go.mod").write_text(f"module {celo}\n\ngo 1.13\n")
    (fork / "p2p" / "dial.go").write_text(
        f'import (\n\t"{celo}/p2p/enode"\n\t"{celo}/p2p/netutil"\n\t"{celo}/log"\n)\n' + _SC_1911
    )
    (fork / "common" / "mclock").mkdir(parents=True)  # carried, not imported by p2p: the fork's own
    (fork / "common" / "mclock" / "mclock.go").write_text("package mclock\n")
    facts = inspect_tree(fork)
    placed = _place_glue(facts, tmp_path / "out-celo")
    assert placed != get_glue_dir() and sorted(p.name for p in placed.iterdir()) == sorted(facts.glue)
    everything = "".join((placed / name).read_text(encoding="utf-8") for name in facts.glue)
    for package in ("p2p/enode", "p2p/netutil", "log", "common/mclock"):
        assert f'"{celo}/{package}"' in everything, package
    assert '"github.com/ethereum/go-ethereum/p2p/enr"' in everything  # neither imported nor carried


def test_a_dialstate_fork_under_its_own_module_path_gets_glue_importing_its_own_packages(tmp_path: Path) -> None:
    from dialcheck.conformance.drivers.geth import _place_glue

    # XDPoSChain v2.7.0: geth v1.8's dialstate under github.com/XinFinOrg/XDPoSChain.
    xdc = "github.com/XinFinOrg/XDPoSChain"
    fork = _make_tree(tmp_path / "xdc", _DS_64, (2, 7, 0))
    (fork / "go.mod").write_text(f"module {xdc}\n\ngo 1.13\n")
    (fork / "p2p" / "dial.go").write_text(
        f'import (\n\t"{xdc}/p2p/discover"\n\t"{xdc}/p2p/netutil"\n\t"{xdc}/log"\n)\n' + _DS_64
    )
    facts = inspect_tree(fork)
    assert facts.family is FamilyName.DIALSTATE
    everything = "".join(
        (_place_glue(facts, tmp_path / "out") / name).read_text(encoding="utf-8") for name in facts.glue
    )
    assert f'"{xdc}/p2p/discover"' in everything and f'"{xdc}/p2p/netutil"' in everything
    assert '"github.com/ethereum/go-ethereum/p2p/discover"' not in everything


def test_a_package_the_forks_p2p_imports_from_go_ethereum_stays_go_ethereums_though_the_fork_carries_one(
    tmp_path: Path,
) -> None:
    from dialcheck.conformance.drivers.geth import _place_glue

    # Erigon's 2026 tree: its own enode, go-ethereum's mclock, though it carries a common/mclock too.
    erigon = "github.com/erigontech/erigon"
    fork = _make_tree(tmp_path / "erigon", _SC_1140, (3, 7, 0))
    (fork / "go.mod").write_text(f"module {erigon}\n\ngo 1.24\n")
    (fork / "p2p" / "dial.go").write_text(
        f'import (\n\t"github.com/ethereum/go-ethereum/common/mclock"\n\t"{erigon}/p2p/enode"\n'
        f'\tlog "{erigon}/common/log/v3"\n)\n' + _SC_1140
    )
    (fork / "common" / "mclock").mkdir(parents=True)
    (fork / "common" / "mclock" / "mclock.go").write_text("package mclock\n")
    facts = inspect_tree(fork)
    everything = "".join(
        (_place_glue(facts, tmp_path / "out") / name).read_text(encoding="utf-8") for name in facts.glue
    )
    assert '"github.com/ethereum/go-ethereum/common/mclock"' in everything
    assert f'"{erigon}/common/mclock"' not in everything and f'"{erigon}/p2p/enode"' in everything


def test_a_go_command_that_cannot_run_is_bad_input_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _make_tree(tmp_path / "tree", _SC_1172, (1, 17, 5), "log/slog")
    code = main(["adapter", "--tree", str(tmp_path / "tree"), "--out", str(tmp_path / "out"), "--go", "no-such-go"])
    assert code == 2 and "cannot run 'no-such-go'" in capsys.readouterr().err


def test_the_command_serves_with_dialcheck_set_and_the_matrix_command_lists_every_profile(tmp_path: Path) -> None:
    facts = inspect_tree(_make_tree(tmp_path, _SC_1172, (1, 17, 5), "log/slog"))
    built = Built(facts, tmp_path / "p2p-v1.17.5.test")
    assert built.argv == ["env", "DIALCHECK=1", str(tmp_path / "p2p-v1.17.5.test"), "-test.run", "TestDialcheck"]
    assert built.matrix_cmd.startswith("env DIALCHECK=1 DIALCHECK_PROFILES=all ")
    assert built.to_json()["profile"] == "geth-1.17.2" and built.to_json()["family"] == "dialScheduler"


def test_every_glue_file_an_axis_names_is_shipped_and_every_shipped_file_is_named() -> None:
    shipped = {p.name for p in get_glue_dir().glob("*.go")}
    named = {f for axis in AXES for _, _, f in axis.variants}
    cores = {"dialcheck_common_test.go", "dialcheck_dialstate_test.go", "dialcheck_scheduler_test.go"}
    assert named | cores == shipped
    assert (get_gokit_dir() / "go.mod").is_file()


@pytest.mark.parametrize("path", sorted(get_glue_dir().glob("*.go")), ids=lambda p: p.name)
def test_the_glue_is_ours_and_builds_with_go_1_13(path: Path) -> None:
    text = path.read_text()
    code = "\n".join(line.split("//")[0] for line in text.splitlines())
    header = ("go-ethereum" + " Authors", "GNU Lesser" + " General Public License")  # spelt apart: not a header here
    assert not any(line in text for line in header)
    assert text.startswith("// dialcheck glue") and "Written by the dialcheck project" in text
    assert re.search(r"\bany\b", code) is None, "geth v1.9.x modules say go 1.13: no `any`"
    assert re.search(r"\bfunc\s+\w+\s*\[", code) is None and "~" not in code, "no generics under go 1.13"
    assert path.name.endswith("_test.go") and "\npackage p2p\n" in text
