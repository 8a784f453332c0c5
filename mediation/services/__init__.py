"""Every change to a mediation: one function per action, keyword-only, one transaction each.

The admin, the API, the demo, flows and tasks all call these. Errors, as everywhere:
`ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403,
`TransitionRefused` / `ConcurrentTransition` -> 409 (core/errors.py).

- intake.py       single entry of a referral, the mediation a referred case opens
- mediators.py    conflicts of interest, workload, recusal and reassignment
- transitions.py  one service per declared transition (mediation/transitions.py)
- work.py         sessions, payments, corrections, resolving the case it came from
- sweeps.py       the deadline and performance sweeps (set-based)
The bulk import of courts' referral lists is mediation/importers.
"""

from .intake import check_intake_court, create_referral, intake_court_of, open_for_case, opened_for  # noqa: F401
from .mediators import (  # noqa: F401
    check_mediator,
    mediator_conflicts,
    mediator_workload,
    reassign_mediator,
    recuse,
    workload_of,
)
from .sweeps import sweep_deadlines, sweep_performance  # noqa: F401
from .transitions import (  # noqa: F401
    accept,
    assign_mediator,
    confirm,
    decline,
    default,
    expire,
    extend,
    fail,
    fulfil,
    reach_agreement,
    reject_confirmation,
    request_confirmation,
    resume,
    withdraw,
)
from .work import edit_mediation, record_payment, record_session, resolve_linked_case  # noqa: F401
