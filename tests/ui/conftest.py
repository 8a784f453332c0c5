"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Chromium comes from Debian (`scripts/bootstrap.sh` installs the `chromium` package); Playwright's own
browser builds are never downloaded (`playwright install` is not used: this machine is offline).
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django would then refuse ORM calls
# made by the test itself ("cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("WEIQUAN_CHROMIUM", "/usr/bin/chromium")
# Flags for a machine with no network but the loopback and no display.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (scripts/bootstrap.sh does), "
                    "or point WEIQUAN_CHROMIUM at a Chromium binary")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1440, "height": 1000}, "accept_downloads": True}
