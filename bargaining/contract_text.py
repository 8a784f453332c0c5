"""Reads of the contract's text: the redline between two versions, and an effective contract's
clauses offered as checklist items for the covered employers' next legal check-up.

The redline aligns the two versions' clauses (a clause drafted from a topic is that topic's clause
in every version; a free clause is known by its title) with difflib, and within a clause that
changed marks the inserted and deleted text, character by character (Chinese has no spaces to
split words on).

`legal_checkup` does not exist yet: `checklist_items()` is what a handler registered with `core`
will hand it; until then the API exposes it (`GET /api/v1/negotiations/{id}/clauses/`).
"""

from __future__ import annotations

import difflib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ContractVersion, NegotiationState

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"


def _key(clause: dict):
    return ("topic", clause["topic"]) if clause.get("topic") else ("title", (clause.get("title") or "").strip())


def text_diff(old: str, new: str) -> list[dict]:
    """[{"op": "equal" | "insert" | "delete", "text": …}], in reading order."""
    ops = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append({"op": "equal", "text": old[i1:i2]})
            continue
        if tag in ("delete", "replace"):
            ops.append({"op": "delete", "text": old[i1:i2]})
        if tag in ("insert", "replace"):
            ops.append({"op": "insert", "text": new[j1:j2]})
    return ops


def _row(status, old=None, new=None, old_number=None, new_number=None) -> dict:
    title_old, title_new = (old or {}).get("title"), (new or {}).get("title")
    text_old, text_new = (old or {}).get("text", ""), (new or {}).get("text", "")
    row = {
        "status": status,
        "topic": (new or old or {}).get("topic"),
        "title": title_new if new is not None else title_old,
        "from_number": old_number, "to_number": new_number,
        "from_title": title_old, "to_title": title_new,
        "from_text": text_old if old is not None else None,
        "to_text": text_new if new is not None else None,
        "diff": [],
    }
    if status == CHANGED:
        row["diff"] = text_diff(f"{title_old}\n{text_old}", f"{title_new}\n{text_new}")
    return row


def redline(old: ContractVersion, new: ContractVersion) -> dict:
    """Clause by clause, from `old` to `new`: added, removed, changed (with the marked-up text) or
    unchanged, in the new version's order (a removed clause where it stood)."""
    a, b = list(old.clauses), list(new.clauses)
    matcher = difflib.SequenceMatcher(None, [_key(c) for c in a], [_key(c) for c in b], autojunk=False)
    rows = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                ca, cb = a[i1 + k], b[j1 + k]
                same = (ca.get("title"), ca.get("text")) == (cb.get("title"), cb.get("text"))
                rows.append(_row(UNCHANGED if same else CHANGED, ca, cb, i1 + k + 1, j1 + k + 1))
            continue
        # A clause moved or replaced: what left the old text, then what came into the new one.
        for k in range(i1, i2):
            rows.append(_row(REMOVED, old=a[k], old_number=k + 1))
        for k in range(j1, j2):
            rows.append(_row(ADDED, new=b[k], new_number=k + 1))
    # A keyed clause that only moved appears as removed and added: pair them as one change.
    rows = _pair_moves(rows)
    summary = {s: sum(r["status"] == s for r in rows) for s in (ADDED, REMOVED, CHANGED, UNCHANGED)}
    return {"from": old.number, "to": new.number, "summary": summary, "clauses": rows}


def _pair_moves(rows):
    removed = {(_key({"topic": r["topic"], "title": r["from_title"]})): r for r in rows if r["status"] == REMOVED}
    out = []
    for r in rows:
        if r["status"] == ADDED:
            key = _key({"topic": r["topic"], "title": r["to_title"]})
            old = removed.pop(key, None)
            if old is not None:
                a = {"topic": old["topic"], "title": old["from_title"], "text": old["from_text"]}
                b = {"topic": r["topic"], "title": r["to_title"], "text": r["to_text"]}
                same = (a["title"], a["text"]) == (b["title"], b["text"])
                r = _row(UNCHANGED if same else CHANGED, a, b, old["from_number"], r["to_number"])
                r["moved"] = True
                old["paired"] = True
        out.append(r)
    return [r for r in out if not r.get("paired")]


def checklist_items(negotiation) -> list[dict]:
    """An effective contract's clauses as checklist items for the covered employers' next legal
    check-up: [{"code", "title", "text", "employers": [{"id", "name", "kind"}]}]."""
    if negotiation.state != NegotiationState.EFFECTIVE:
        raise ValidationError({"__all__": [_("只有已生效的集体合同可以将条款提供给法治体检（当前：%(state)s）。") % {
            "state": negotiation.get_state_display()}]})
    version = negotiation.current_version()
    employers = [{"id": o.pk, "name": o.name, "kind": o.kind} for o in negotiation.employers.order_by("name")]
    return [
        {"code": f"{negotiation.number}-{n:02d}", "title": clause["title"], "text": clause["text"],
         "employers": employers}
        for n, clause in enumerate(version.clauses if version else (), start=1)
    ]
