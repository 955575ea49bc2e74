"""Every requirement of both families (spec/dialstate.md, spec/scheduler.md) is implemented where it says and proven."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPECS = (ROOT / "spec" / "dialstate.md", ROOT / "spec" / "scheduler.md")
_REQUIREMENT = re.compile(r"^\*\*([A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)*)\.\*\*", re.MULTILINE)


def _spec_text() -> str:
    return "\n\n".join(spec.read_text(encoding="utf-8") for spec in SPECS)


def _requirement_ids() -> list[str]:
    return _REQUIREMENT.findall(_spec_text())


def _text(*folders: str, pattern: str = "*.py") -> str:
    return "\n".join(p.read_text(encoding="utf-8") for f in folders for p in sorted((ROOT / f).rglob(pattern)))


IDS = _requirement_ids()
_ID = r"[A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)*"
#: A comment that quotes requirements: ``# ID[, ID]: "text"``, the text running on over comment lines.
_QUOTING = re.compile(rf'^(\s*)#\s*({_ID}(?:\s*,\s*{_ID})*)\s*:\s*"')


def _normalize(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def _paragraphs() -> dict[str, str]:
    """Return each requirement's paragraph in the spec, whitespace folded."""
    text = _spec_text()
    found = re.finditer(rf"^\*\*({_ID})\.\*\*(.*?)(?=\n\n)", text, re.MULTILINE | re.DOTALL)
    return {m.group(1): _normalize(m.group(2)) for m in found}


def _quotes() -> list[tuple[str, list[str], str]]:
    """Return (where, IDs, quoted text) of every comment in the code that quotes requirements."""
    quotes = []
    for path in sorted(p for folder in ("spec", "reference", "conformance") for p in (ROOT / folder).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = _QUOTING.match(line)
            if match is None:
                continue
            text, following = line[match.end() :], index + 1
            while '"' not in text and following < len(lines) and lines[following].strip().startswith("#"):
                text += " " + lines[following].strip()[1:].strip()
                following += 1
            quotes.append(
                (f"{path.relative_to(ROOT)}:{index + 1}", re.findall(_ID, match.group(2)), text.split('"')[0])
            )
    return quotes


CODE = _text("reference", "spec", "conformance")
TESTS = _text("tests") + _text("conformance/scenarios", pattern="*.json")


def test_the_spec_has_numbered_requirements_and_no_duplicate_ids() -> None:
    assert len(IDS) >= 70
    assert len(IDS) == len(set(IDS))


def test_the_scheduler_family_has_its_own_prefixed_requirements() -> None:
    scheduler = _REQUIREMENT.findall(SPECS[1].read_text(encoding="utf-8"))
    assert len(scheduler) >= 25
    assert all(r.startswith(("SC-", "SC_")) for r in scheduler)


@pytest.mark.parametrize("requirement", IDS)
def test_every_requirement_is_named_in_the_code_that_implements_it(requirement: str) -> None:
    assert re.search(rf"\b{re.escape(requirement)}\b", CODE), f"{requirement} is named nowhere in the code"


@pytest.mark.parametrize("requirement", IDS)
def test_every_requirement_is_named_by_a_test_or_a_trace(requirement: str) -> None:
    spelled = {requirement, requirement.replace("-", "_")}
    assert any(re.search(rf"(?<![A-Z0-9]){re.escape(s)}(?![0-9])", TESTS) for s in spelled), (
        f"no test or trace names {requirement}"
    )


def test_every_requirement_sentence_is_normative() -> None:
    text = _spec_text()
    for requirement in IDS:
        start = text.index(f"**{requirement}.**")
        paragraph = text[start : text.find("\n\n", start)]
        assert "MUST" in paragraph, f"{requirement} has no MUST sentence"


def test_the_code_quotes_requirements_at_all() -> None:
    assert len(_quotes()) >= 60


@pytest.mark.parametrize(("where", "ids", "quote"), _quotes(), ids=[q[0] for q in _quotes()])
def test_a_comment_that_quotes_a_requirement_quotes_the_spec_verbatim(where: str, ids: list[str], quote: str) -> None:
    paragraphs = _paragraphs()
    assert any(_normalize(quote) in paragraphs.get(i, "") for i in ids), (
        f"{where}: the quote of {', '.join(ids)} is not the spec's text; quote it verbatim or name only the ID"
    )
