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


@pytest.fixture
def reference_data(transactional_db):
    """Roles and categories, which the migrations seed and a transactional test's flush removes.

    (serialized_rollback cannot restore them here: with Playwright's event loop running in the
    thread, Django's connection objects are per-context and the serialized copy is not found.)
    """
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from core import seed
    from core.models import Category

    # the flush before this test emptied django_content_type too: forget the cached ids
    ContentType.objects.clear_cache()
    seed.seed_roles(Group)
    seed.seed_categories(Category)


# Playwright's driver (and its event loop) lives for one test module only, not the whole session: while
# it runs, Django's serialized_rollback cannot find its serialized copy (see reference_data), so the
# transactional tests that run after tests/ui would otherwise start from an empty database.
@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def browser(browser_type, browser_type_launch_args):
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last (after pytest-django has put transactional tests after the others).

    They are transactional without serialized_rollback (see reference_data): the flush after them
    recreates content types and permissions, which a later serialized_rollback test could not reload
    over. Last, nothing database-bound comes after them.
    """
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        rest = [item for item in items if not item.get_closest_marker("browser")]
        items[:] = rest + browser
