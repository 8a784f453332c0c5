#!/usr/bin/env bash
# Set up everything Weiquan needs on a Debian machine, idempotently:
#   1. the Debian packages the PDF pipeline needs (installed when missing and we are allowed to);
#   2. a virtualenv in .venv with the project and its dev extras from pyproject.toml.
# A second run with nothing changed takes well under a second.
#
# Environment:
#   PYTHON                 interpreter used to create .venv (default: python3), must be >= 3.11
#   WEIQUAN_SKIP_APT=1     do not check or install Debian packages
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.weiquan-install.sha256"
PYTHON="${PYTHON:-python3}"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

# --- 0. Python >= 3.11 ------------------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || die "no '$PYTHON' on PATH. Install Python 3.11 or newer (Debian: sudo apt-get install python3 python3-venv), or set PYTHON=/path/to/python3.11"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    die "$("$PYTHON" --version 2>&1) is too old: Weiquan needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
fi

# --- 1. Debian packages -----------------------------------------------------------------------
# WeasyPrint needs Pango; Chinese text needs a CJK font; HarfBuzz subsetting keeps a PDF at ~0.3 s
# instead of ~8 s; poppler-utils (pdftotext, pdftoppm) is used by tests and to look at PDFs.
# chromium: the browser tests (tests/ui/, Playwright drives Debian's /usr/bin/chromium: never
# `playwright install`); gettext: msgfmt compiles the English translation (locale/en);
# faketime: `make test-shifted` runs the suite at a shifted clock (CI does).
APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils chromium gettext faketime)
# Debian's own python3 cannot create a virtualenv without python3-venv (ensurepip).
if [[ ! -x "$VENV/bin/python" ]] && ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
    APT_PACKAGES+=("python3-venv")
fi

if [[ "${WEIQUAN_SKIP_APT:-0}" != "1" ]] && command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        say "missing Debian packages: ${missing[*]}"
        apt_cmd=()
        if [[ "$(id -u)" == "0" ]]; then
            apt_cmd=(env DEBIAN_FRONTEND=noninteractive)
        elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
            apt_cmd=(sudo -n env DEBIAN_FRONTEND=noninteractive)
        fi
        if ((${#apt_cmd[@]})); then
            say "installing them with apt-get"
            if "${apt_cmd[@]}" apt-get update -q \
                && "${apt_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
                say "Debian packages installed"
            else
                say "WARNING: apt-get failed (see above); PDFs may not render until these are installed:"
                say "    sudo apt-get install ${missing[*]}"
            fi
        else
            say "WARNING: cannot install them without a password. Please run:"
            say "    sudo apt-get install ${missing[*]}"
            say "Continuing; PDF rendering will not work until then (manage.py check says so too)."
        fi
    fi
fi

# --- 2. Virtualenv ----------------------------------------------------------------------------
if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; then
    say ".venv is broken or older than Python 3.11: recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV" || die "could not create .venv (Debian: sudo apt-get install python3-venv)"
fi

# Reinstall only when pyproject.toml (or the venv's interpreter) changed since the last good install.
want="$( { sha256sum pyproject.toml | cut -d' ' -f1; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
    say "installing the project and its dev extras into .venv (pip install -e '.[dev]')"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -e '.[dev]'
    echo "$want" >"$STAMP"
    say "done"
fi

# --- 3. Translations --------------------------------------------------------------------------
# The interface is Chinese (the msgids); English comes from locale/*/LC_MESSAGES/django.po, compiled
# here whenever a .po is newer than its .mo (needs msgfmt from Debian's gettext).
for po in locale/*/LC_MESSAGES/django.po; do
    [[ -f "$po" ]] || continue
    mo="${po%.po}.mo"
    if [[ ! -f "$mo" || "$po" -nt "$mo" ]]; then
        if command -v msgfmt >/dev/null 2>&1; then
            msgfmt --check-format -o "$mo" "$po" && say "compiled $mo"
        else
            say "WARNING: msgfmt missing (Debian: sudo apt-get install gettext); $mo not rebuilt"
        fi
    fi
done
