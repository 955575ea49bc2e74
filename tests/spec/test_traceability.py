"""Every requirement in spec/dialstate.md is implemented where it says and proven by a test or trace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "dialstate.md"
_REQUIREMENT = re.compile(r"^\*\*([A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)*)\.\*\*", re.MULTILINE)


def _requirement_ids() -> list[str]:
    return _REQUIREMENT.findall(SPEC.read_text(encoding="utf-8"))


def _text(*folders: str, pattern: str = "*.py") -> str:
    return "\n".join(p.read_text(encoding="utf-8") for f in folders for p in sorted((ROOT / f).rglob(pattern)))


IDS = _requirement_ids()
CODE = _text("reference", "spec", "conformance")
TESTS = _text("tests") + _text("conformance/scenarios", pattern="*.json")


def test_the_spec_has_numbered_requirements_and_no_duplicate_ids() -> None:
    assert len(IDS) >= 40
    assert len(IDS) == len(set(IDS))


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
    text = SPEC.read_text(encoding="utf-8")
    for requirement in IDS:
        start = text.index(f"**{requirement}.**")
        paragraph = text[start : text.find("\n\n", start)]
        assert "MUST" in paragraph, f"{requirement} has no MUST sentence"
