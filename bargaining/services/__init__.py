"""Every change to a negotiation: one function per action, keyword-only, one transaction each.

The admin, the API, the demo, flows and tasks all call these. Errors, as everywhere:
`ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403,
`TransitionRefused` / `ConcurrentTransition` -> 409 (core/errors.py).

- setup.py        parties and scope, the team, topics and the union's notes, the roll, renewal
- table.py        rounds and positions, the contract's text versions
- transitions.py  one service per declared transition (bargaining/transitions.py)
- statistics.py   the platform's order statistics (import) — costing is bargaining/costing.py
- sweeps.py       the daily sweep (set-based effect and expiry, reply overdue, renewal due)
"""

from .setup import (  # noqa: F401
    create_negotiation,
    set_electorate,
    set_negotiator,
    set_topic,
    set_union_note,
    start_renewal,
    vacant_seats,
    vacate_seat,
)
from .statistics import import_order_statistics  # noqa: F401
from .sweeps import sweep  # noqa: F401
from .table import record_round, revise_contract  # noqa: F401
from .transitions import (  # noqa: F401
    accept_proposal,
    draft_agreement,
    expire,
    file,
    object,
    record_vote,
    refuse_proposal,
    resume,
    send_proposal,
    sign,
    submit_for_vote,
    suspend,
    take_effect,
)
