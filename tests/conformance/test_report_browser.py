"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) opens the matrix page of the done-when.

The matrix (the reference and two seeded bugs of each family) is made once per module; its page is
also parsed without a browser (the grid, the links, a counterexample per failing cell).

It must render without a console error or an uncaught exception, show what a reader needs (the
verdict, the grid, for every failing cell a link that opens a counterexample with its timeline, the
failing step marked, the requirement quoted), and its one script must work (a click on a step selects
that step's marks).  Screenshots are kept as artifacts under ``$DIALCHECK_ARTIFACTS`` (default
``.artifacts/browser``; a relative folder is taken from the checkout's root).  ``docs/images/timeline.png``
in the README is the counterexample screenshot of the docs' example, made by this path::

    DIALCHECK_ARTIFACTS=docs/images python -m pytest -m browser tests/conformance/test_report_browser.py -k docs

CI installs Chromium (.ci/run, as it installs Go) and the tox env ``browser`` installs Playwright,
which drives that Chromium and downloads no browser of its own; there a missing one fails these tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import HTML_ENTRANTS, assert_self_contained, get_matrix_page, parse_page

from dialcheck.conformance.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Chromium's flags for this machine kind: no sandbox as root, nothing that reaches the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}, but CI must run the browser test: .ci/run installs chromium, tox env browser playwright")
    pytest.skip(f"{what} (Debian: apt-get install chromium; pip install playwright); CI runs these tests")


def get_artifacts() -> Path:
    """Return the folder screenshots are kept in (made when missing)."""
    root = Path(__file__).resolve().parents[2]
    folder = root / os.environ.get("DIALCHECK_ARTIFACTS", ".artifacts/browser")  # relative: to the checkout
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = os.environ.get("DIALCHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _missing("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """What the page said on its console, and the exceptions it did not catch."""

    def __init__(self, page: Any) -> None:
        self.messages: list[tuple[str, str]] = []
        page.on("console", lambda message: self.messages.append((message.type, message.text)))
        page.on("pageerror", lambda error: self.messages.append(("pageerror", str(error))))
        page.on("requestfailed", lambda request: self.messages.append(("requestfailed", request.url)))

    def get_problems(self) -> list[tuple[str, str]]:
        return [
            (kind, text) for kind, text in self.messages if kind in ("error", "warning", "pageerror", "requestfailed")
        ]


def open_page(browser: Any, path: Path) -> tuple[Any, Console]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    console = Console(page)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, console


@pytest.fixture(scope="module")
def matrix_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The matrix page of the done-when, made once for this module's tests."""
    return get_matrix_page(tmp_path_factory.mktemp("matrix"))


def test_a_matrix_page_links_every_failing_cell_to_its_counterexample_with_a_timeline(matrix_html: Path) -> None:
    page = parse_page(matrix_html)
    assert_self_contained(page)
    cells = page.having("td", "cell")
    assert len(cells) == len(HTML_ENTRANTS) * 2 * 2
    failing = [c for c in cells if c["data-verdict"] == "not conformant"]
    assert len(failing) == 8  # the four bugs at both levels of their family's profile
    links = [a["href"] for a in page.having("a") if a.get("href", "").startswith("#cell-")]
    assert len(links) == 8 and {link[1:] for link in links} <= page.ids()
    assert len(page.having("section", "counterexample")) == 8
    assert len(page.having("svg", "timeline")) == 8


def assert_readable(section: Any) -> None:
    """The counterexample a link opened is on screen, with what a reader needs to see why it fails."""
    assert section.is_visible() and section.evaluate("e => e.getBoundingClientRect().top") < 900
    assert section.locator("svg.timeline circle.mark.failing").count() >= 1
    assert section.locator("svg.timeline line.failing-instant").count() == 1
    assert section.locator(".why .badge").first.is_visible()
    assert section.locator("blockquote.requirement").count() >= 1
    assert section.locator("table.steps tr.failing-step").count() == 1
    box = section.locator("svg.timeline").bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 80


def test_the_console_check_catches_a_page_that_logs_an_error(browser: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>undefinedFunction()</script></body></html>", "utf-8")
    page, console = open_page(browser, broken)
    assert [kind for kind, _ in console.get_problems()] == ["pageerror"]
    page.close()


def test_the_matrix_page_renders_without_errors_and_every_failing_cell_opens_a_timeline(
    browser: Any, matrix_html: Path
) -> None:
    page, console = open_page(browser, matrix_html)
    artifacts = get_artifacts()
    page.screenshot(path=str(artifacts / "matrix.png"), full_page=True)
    assert page.locator("#verdict.fail").is_visible()
    assert page.locator("#matrix td.cell").count() == 24
    links = page.locator("#matrix td.cell a")
    assert links.count() == 8
    for index in range(links.count()):
        link = links.nth(index)
        target = link.get_attribute("href")
        assert target is not None
        link.click()
        assert_readable(page.locator(f"section.counterexample{target}"))
    first = page.locator("section.counterexample").first
    first.screenshot(path=str(artifacts / "matrix-counterexample.png"))
    row = first.locator("table.steps tr[data-step='1']")
    row.click()
    assert first.locator("svg.timeline .mark.selected[data-step='1']").count() >= 1
    assert "selected" in (row.get_attribute("class") or "")
    assert console.get_problems() == []
    page.close()


def test_the_docs_example_timeline_is_screenshotted_for_the_readme(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the page names the saved trace as a user's run would: dialcheck-failures/...
    html = tmp_path / "docs-example.html"
    member = "dialcheck.conformance.zoo:wait_for_latest_expiry"
    args = ["run", "--impl", member, "--seed", "1", "--html", str(html)]
    assert main(args) == 1
    # The README prints this run's failure report above the screenshot: it is what the run prints.
    printed = capsys.readouterr().out.splitlines()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index(f"$ dialcheck {' '.join(args[:-1])} report.html") + 1
    shown = readme[start : readme.index("...", start)]
    assert printed[: len(shown)] == shown
    page, console = open_page(browser, html)
    section = page.locator("section.counterexample")

    def ends(selector: str) -> list[int]:
        return [int(e.get_attribute("data-end")) for e in section.locator(f"svg.timeline {selector}").all()]

    # What a reader sees: the wait geth expects ends when the earliest history entry does, the one got at the latest.
    history = ends("rect.history")
    assert (
        len(history) == 2 and ends("rect.wait-expected") == [min(history)] and ends("rect.wait-got") == [max(history)]
    )
    assert section.locator("svg.timeline line.failing-instant").count() == 1
    section.screenshot(path=str(get_artifacts() / "timeline.png"))
    assert console.get_problems() == []
    page.close()
