"""Waivers: the divergences an implementation keeps on purpose, so that its CI can gate on everything else.

Theory of operation
-------------------
A waivers file (``dialcheck-waivers/1``, JSON) lists expected failures, each a
check, a profile, a level, a reason and an optional expiry date.  A run with
waivers switches the waived checks of its profile and level from "stop" to
"note and go on" (:attr:`~dialcheck.conformance.harness.session.Session.waived`), so it
keeps searching for failures that are not waived.  After the run,
:func:`get_waiver_problems` holds the waivers to account; the run fails when

* a waiver has expired (on its ``expires`` date or later), or
* a waived divergence never occurred in a run that completed (an unexpected
  pass: the implementation now behaves like geth; remove the waiver).

A waiver can name a named check (an invariant or an execution rule) or
``STRICT`` (then every answer that differs from the reference is noted, not
failed, and the named checks still judge every answer).  Contract and wire
verdicts cannot be waived: they say the implementation cannot be judged.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dialcheck.conformance.formats.trace import get_list, get_object, get_str
from dialcheck.conformance.harness.session import Level
from dialcheck.spec.model import Profile
from dialcheck.spec.scheduler import SchedulerProfile
from dialcheck.spec.verdicts import BadInput, FormatError, Verdict, VerdictKind

__all__ = ["FORMAT", "Waiver", "WaiverError", "load_waivers", "parse_waivers", "select_waivers", "get_waiver_problems"]

FORMAT = "dialcheck-waivers/1"
#: The kinds of verdict a waiver may name.
_WAIVABLE = (
    VerdictKind.COMPARISON,
    VerdictKind.INVARIANT,
    VerdictKind.EXECUTION,
    VerdictKind.SCHEDULER_INVARIANT,
)


class WaiverError(BadInput):
    """A waivers file cannot be used."""


@dataclass(frozen=True)
class Waiver:
    """One expected failure: ``check`` under ``profile`` at ``level``, why, and until when."""

    check: Verdict
    profile: Profile | SchedulerProfile
    level: Level
    reason: str
    expires: Optional[datetime.date] = None


def _get_choice(value: object, path: str, options: Mapping[str, object]) -> object:
    text = get_str(value, path)
    if text not in options:
        raise FormatError(path, f"expected one of {', '.join(options)}, got {text!r}")
    return options[text]


def _get_waiver(value: object, path: str) -> Waiver:
    obj = get_object(value, path, {"check", "profile", "level", "reason"}, {"expires"})
    waivable = {v.value: v for v in Verdict if v.kind in _WAIVABLE}
    check = _get_choice(obj["check"], f"{path}.check", waivable)
    profiles: dict[str, Profile | SchedulerProfile] = {p.value: p for p in (*Profile, *SchedulerProfile)}
    profile = _get_choice(obj["profile"], f"{path}.profile", profiles)
    level = _get_choice(obj["level"], f"{path}.level", {lv.value: lv for lv in Level})
    reason = get_str(obj["reason"], f"{path}.reason").strip()
    if not reason:
        raise FormatError(f"{path}.reason", "say why the divergence is intended (a waiver without a reason is refused)")
    expires = None
    if "expires" in obj:
        text = get_str(obj["expires"], f"{path}.expires")
        try:
            expires = datetime.date.fromisoformat(text)
        except ValueError:
            raise FormatError(f"{path}.expires", f"expected a date as YYYY-MM-DD, got {text!r}") from None
    assert isinstance(check, Verdict) and isinstance(profile, (Profile, SchedulerProfile)) and isinstance(level, Level)
    return Waiver(check, profile, level, reason, expires)


def parse_waivers(document: object) -> tuple[Waiver, ...]:
    """Return the waivers of a decoded waivers file; ``FormatError`` names the JSON path of what is wrong."""
    obj = get_object(document, "$", {"format", "waivers"}, set())
    if obj["format"] != FORMAT:
        raise FormatError("$.format", f"expected {FORMAT!r}, got {obj['format']!r}")
    waivers = tuple(_get_waiver(w, f"$.waivers[{i}]") for i, w in enumerate(get_list(obj["waivers"], "$.waivers")))
    seen: set[tuple[Verdict, Profile | SchedulerProfile, Level]] = set()
    for i, waiver in enumerate(waivers):
        key = (waiver.check, waiver.profile, waiver.level)
        if key in seen:
            raise FormatError(
                f"$.waivers[{i}]",
                f"{waiver.check.value} is waived twice for {waiver.profile.value} at {waiver.level.value}; keep one",
            )
        seen.add(key)
    return waivers


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """Read a waivers file; ``WaiverError`` (bad input) says which file and what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WaiverError(f"waivers file {path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise WaiverError(f"waivers file {path}: not JSON ({exc})") from None
    try:
        return parse_waivers(document)
    except FormatError as exc:
        raise WaiverError(f"waivers file {path}: {exc}") from None


def select_waivers(waivers: Sequence[Waiver], profile: Profile | SchedulerProfile, level: Level) -> tuple[Waiver, ...]:
    """Return the waivers that apply to a run under ``profile`` at ``level``."""
    return tuple(w for w in waivers if w.profile is profile and w.level is level)


def get_waiver_problems(
    waivers: Sequence[Waiver], occurred: Mapping[Verdict, int], today: datetime.date, completed: bool
) -> list[str]:
    """Return why the run fails on account of its ``waivers``: expired, or (``completed``) never occurred."""
    problems = []
    for waiver in waivers:
        where = f"{waiver.check.value} ({waiver.profile.value}, {waiver.level.value})"
        if waiver.expires is not None and today >= waiver.expires:
            problems.append(
                f"the waiver of {where} expired on {waiver.expires.isoformat()} ({waiver.reason}); "
                "fix the divergence, or renew the waiver with a later date"
            )
        elif completed and not occurred.get(waiver.check):
            problems.append(
                f"unexpected pass: {where} is waived ({waiver.reason}) but never failed in this run; "
                "the implementation now behaves like geth here, so remove the waiver"
            )
    return problems
