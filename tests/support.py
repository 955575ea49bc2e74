"""Small builders shared by the tests: nodes n1, n2, ... like geth's test ``uintID(i)``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Optional

from dialcheck.conformance.cli import main
from dialcheck.conformance.harness.waivers import Waiver, parse_waivers
from dialcheck.spec.model import Config, ConnFlag, DialTask, Node, NodeID, Task, get_task_key

#: The repository, and the programs the wire tests start.
ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "wire_programs"
TRACES = ROOT / "conformance" / "scenarios"
SELF = "000000ff"


def nid(i: int) -> NodeID:
    """Return the 4-byte ID of node ``i``."""
    return f"{i:08x}"


def node(i: int, ip: Optional[str] = "", tcp: int = 30303) -> Node:
    """Return node ``i`` at 10.0.0.i (``ip=None``: incomplete)."""
    return Node(nid(i), f"10.0.0.{i}" if ip == "" else ip, tcp, 0)


def config(
    max_dyn_dials: int = 0,
    static: Iterable[Node] = (),
    bootnodes: Iterable[Node] = (),
    netrestrict: Optional[Sequence[str]] = None,
    self_id: NodeID = SELF,
) -> Config:
    """Return a config with our ID ``SELF`` unless told otherwise."""
    return Config(
        self_id=self_id,
        max_dyn_dials=max_dyn_dials,
        static=tuple(static),
        bootnodes=tuple(bootnodes),
        netrestrict=None if netrestrict is None else tuple(netrestrict),
    )


def dyn(i: int) -> DialTask:
    """Return a dynamic dial task for node ``i``."""
    return DialTask(ConnFlag.DYN, node(i))


def static(i: int) -> DialTask:
    """Return a static dial task for node ``i``."""
    return DialTask(ConnFlag.STATIC, node(i))


def keys(tasks: Iterable[Task]) -> list[tuple[object, ...]]:
    """Return the sorted comparison keys of tasks, for multiset equality."""
    return sorted((get_task_key(t) for t in tasks), key=repr)


def peers(**flags: ConnFlag) -> Mapping[NodeID, ConnFlag]:
    """Return a peer map from keyword arguments ``n3=ConnFlag.DYN``."""
    return {nid(int(name[1:])): value for name, value in flags.items()}


def waive(level: str, *checks: str, profile: str = "geth-1.7") -> tuple[Waiver, ...]:
    """Return waivers of ``checks`` at ``profile`` and ``level``, each with a reason."""
    entries = [{"check": check, "profile": profile, "level": level, "reason": "on purpose"} for check in checks]
    return parse_waivers({"format": "dialcheck-waivers/1", "waivers": entries})


#: The reference and two seeded bugs of each family, each bug found by the opening exhaustive pass.
HTML_ENTRANTS = (
    "ref=dialcheck.reference.dialstate:create_dialstate",
    "rotation=dialcheck.conformance.zoo:rotation_stalls_on_rejection",
    "expiry=dialcheck.conformance.zoo:history_inclusive_expiry",
    "sref=dialcheck.reference.scheduler:create_scheduler",
    "hist30=dialcheck.conformance.zoo:sched_history_30s",
    "slots=dialcheck.conformance.zoo:sched_slots_ignore_dials_in_flight",
)


def get_matrix_page(tmp_path: Path) -> Path:
    """Run the matrix of the done-when (the reference and two bugs of each family) with ``--html``; return the page."""
    args = ["matrix", "--out", str(tmp_path / "m"), "--html", str(tmp_path / "m.html"), "--examples", "5"]
    for entrant in HTML_ENTRANTS:
        args += ["--impl", entrant]
    args += ["--profile", "geth-1.7", "--profile", "geth-1.15", "--level", "strict", "--level", "invariants"]
    assert main(args) == 1
    return tmp_path / "m.html"


class Page(HTMLParser):
    """Collects every element's tag and attributes, and whatever names something outside the page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if "id" in a}

    def having(self, tag: str, css: str = "") -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and css in a.get("class", "").split() + [""]]


def parse_page(path: Path) -> Page:
    """Return the elements of an HTML file."""
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def assert_self_contained(page: Page) -> None:
    """Nothing is fetched: no stylesheet or script by address, no image, no frame."""
    for tag, attrs in page.elements:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not attrs.get("href", "#").startswith(("http:", "https:", "//")), attrs
