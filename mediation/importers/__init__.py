"""Referral intake: a court's referral list in bulk (CSV or JSON, UTF-8 or GBK), and the checks
single entry shares with it.

    report = import_referrals(actor=user, data=open("list.csv", "rb").read(), filename="list.csv",
                              court=court, progress=lambda done, total, report: ...)

- Idempotent on (court, court case number): the unique constraint `unique_court_referral` decides,
  so a list imported twice, or by two people at once, creates each referral once.
- Each row is checked on its own and reported: `created` (with the new mediation number),
  `duplicate` (already registered, or an earlier row of the same file) or `refused` with reasons
  (unknown court, invalid ID number, negative amount...). Good rows are kept whatever the others do.
- Nothing is half-written: rows are written in batches, each batch in one transaction; if a batch
  fails (someone else registered the same referral or worker at that moment) it is rolled back and
  its rows are written again one by one, each in its own transaction.
- `progress(done, total, report)` is called after each batch: the import page's progress bar, the
  command's progress line.

Rows, CSV (a header row; English or Chinese column names, see COLUMN_ALIASES; several claimants,
respondents or claims in one cell separated by ";"):

    court,court_case_number,source,procedure,referred_on,claimant_names,claimant_id_numbers,
    claimant_phones,respondents,respondent_credit_codes,claims,claim_amounts,title,facts

JSON: a list of objects (or {"referrals": [...]}) with the same keys, where `claimants`,
`respondents` and `claims` may be lists of objects ({name, id_number, phone}, {name, credit_code,
kind}, {description, amount, category}).

The modules, in the order a file goes through them:

- reading.py   bytes -> text -> raw rows: encodings, CSV/JSON, column aliases, cells split into items
- lookups.py   `Lookups`: courts, categories, workers, organisations, registered referrals, in bulk
- cleaning.py  `clean_referral()`: one raw row -> a CleanReferral or every problem; `reasons_of()`
- writing.py   `write_referrals()`: bulk statements for checked rows, inside the caller's transaction
- run.py       `import_referrals()` and its `ImportReport`: batches, duplicates, the row-by-row retry

Callers use the names below (`from mediation import importers; importers.import_referrals(...)`).
"""

from .cleaning import (
    FIELD_LABELS,
    PROCEDURE_ALIASES,
    SOURCE_ALIASES,
    ClaimantSpec,
    CleanReferral,
    RespondentSpec,
    clean_referral,
    reasons_of,
)
from .lookups import Lookups
from .reading import COLUMN_ALIASES, MAX_ROWS, SEPARATORS, decode, parse
from .run import BATCH_SIZE, ImportReport, RowResult, import_referrals
from .writing import write_referrals

__all__ = [
    "BATCH_SIZE", "COLUMN_ALIASES", "FIELD_LABELS", "MAX_ROWS", "PROCEDURE_ALIASES", "SEPARATORS", "SOURCE_ALIASES",
    "ClaimantSpec", "CleanReferral", "ImportReport", "Lookups", "RespondentSpec", "RowResult",
    "clean_referral", "decode", "import_referrals", "parse", "reasons_of", "write_referrals",
]
