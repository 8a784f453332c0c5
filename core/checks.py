"""System checks for the PDF pipeline: `manage.py check` (and every runserver/migrate) says what is missing.

- Pango (WeasyPrint cannot run without it),
- a CJK font known to fontconfig (else every Chinese character prints as an empty box),
- HarfBuzz's subsetting library, libharfbuzz-subset.so.0 (else WeasyPrint falls back to fontTools
  and a two-page Chinese document takes ~4 s instead of ~0.2 s; benchmarks/documents.py).

scripts/bootstrap.sh installs all of them on Debian. Silence a check with SILENCED_SYSTEM_CHECKS
(e.g. on a machine that never renders PDFs) rather than by removing it.
"""

import ctypes
import shutil
import subprocess
from functools import lru_cache

from django.core.checks import Error, Tags, Warning, register

DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk"
# The families base.css asks for; any other CJK font still renders, in a different face.
WANTED_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


@lru_cache(maxsize=None)
def _loadable(*names: str) -> bool:
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def harfbuzz_subset_available() -> bool:
    return _loadable("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll")


def pango_available() -> bool:
    return _loadable("libpango-1.0.so.0", "libpango-1.0.dylib", "libpango-1.0-0.dll")


def cjk_font_families() -> list[str] | None:
    """Families fontconfig offers for Chinese; None when fc-list itself is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = set()
    for line in out.splitlines():
        families.update(name.strip() for name in line.split(",") if name.strip())
    return sorted(families)


@register(Tags.compatibility, "documents")
def check_pdf_dependencies(app_configs=None, **kwargs):
    problems = []
    if not pango_available():
        problems.append(Error(
            "Pango is not installed: WeasyPrint cannot render any document.",
            hint=f"Debian/Ubuntu: sudo apt-get install {DEBIAN_PACKAGES} (or run scripts/bootstrap.sh).",
            id="core.E101",
        ))
    families = cjk_font_families()
    if families is None:
        problems.append(Error(
            "fontconfig's fc-list is not available, so no CJK font can be found for documents.",
            hint="Debian/Ubuntu: sudo apt-get install fontconfig fonts-noto-cjk",
            id="core.E102",
        ))
    elif not families:
        problems.append(Error(
            "No font with Chinese glyphs is installed: every Chinese character in a PDF would print "
            "as an empty box.",
            hint="Debian/Ubuntu: sudo apt-get install fonts-noto-cjk (then `fc-list :lang=zh` lists Noto CJK SC).",
            id="core.E103",
        ))
    elif not any(f in families for f in WANTED_FAMILIES):
        problems.append(Warning(
            f"No Noto CJK SC font is installed; documents will use {families[0]} instead of the "
            f"intended {' / '.join(WANTED_FAMILIES)}.",
            hint="Debian/Ubuntu: sudo apt-get install fonts-noto-cjk",
            id="core.W104",
        ))
    if not harfbuzz_subset_available():
        # Documents still come out right, only ~20x slower: a warning, not a refusal to start.
        problems.append(Warning(
            "HarfBuzz's font subsetting library (libharfbuzz-subset.so.0) is missing: WeasyPrint "
            "falls back to fontTools and a two-page Chinese document takes seconds (~4 s measured) "
            "instead of ~0.2 s.",
            hint="Debian/Ubuntu: sudo apt-get install libharfbuzz-subset0 (HarfBuzz >= 4.1).",
            id="core.W105",
        ))
    return problems
