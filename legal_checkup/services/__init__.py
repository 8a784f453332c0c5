"""Every change to a check-up: one function per action, keyword-only, one transaction each.

- audit.py        the request, the team (conflict check), assessments, evidence, findings, re-assessment
- transitions.py  one service per declared transition (legal_checkup/transitions.py)
- company.py      the company's replies; the supervision letters (提示函 → 意见书 → 建议书)
- checklists.py   versioned checklists; clauses offered by effective collective contracts (via core)
- sweeps.py       the daily sweep: reminders before due dates, overdue findings
"""

from .audit import (  # noqa: F401
    add_evidence,
    add_team_member,
    assess,
    conflicts_of,
    create_checkup,
    edit_finding,
    reassess,
    reassess_item,
)
from .checklists import include_offered_clauses, new_version, publish, set_item  # noqa: F401
from .company import escalate, letter_reply, overdue, reply  # noqa: F401
from .sweeps import sweep  # noqa: F401
from .transfer import ImportReport, export_checklist, import_checklist  # noqa: F401
from .transitions import (  # noqa: F401
    approve,
    cancel,
    close,
    compile_findings,
    follow_up,
    issue,
    plan,
    return_for_changes,
    start_fieldwork,
    start_rectification,
    submit_for_review,
)
