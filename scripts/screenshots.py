"""Screenshots of the web interface for the docs: `make screenshots` (docs/inbox.png, docs/case.png,
docs/dashboard.png, docs/mediation.png).

Builds a throw-away demo database (`manage.py demo`), serves it on a free loopback port and signs in
with Playwright driving Debian's Chromium (/usr/bin/chromium; no browser download).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PASSWORD = "weiquan-demo-2026"  # core/demo_data.py
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    tmp = Path(tempfile.mkdtemp(prefix="wq-shots-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "CELERY_BROKER_URL": "",
           "MEDIA_ROOT": str(tmp / "media"), "DEBUG": "true"}
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "demo", "--output", str(tmp / "out")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([py, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("WEIQUAN_CHROMIUM", "/usr/bin/chromium"), args=ARGS)

            def page_for(username):
                page = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900}).new_page()
                page.goto(base + "/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/work/inbox/")
                return page

            officer = page_for("zhou.min")
            officer.wait_for_load_state("networkidle")
            officer.screenshot(path=DOCS / "inbox.png", full_page=True)
            officer.click("#inbox a:text('WQ-2026-000001')")
            officer.wait_for_load_state("networkidle")
            officer.screenshot(path=DOCS / "case.png", full_page=True)
            chief = page_for("zheng.li")
            chief.goto(base + "/work/dashboard/")
            chief.wait_for_load_state("networkidle")
            chief.screenshot(path=DOCS / "dashboard.png", full_page=True)
            mediator = page_for("wu.qiong")  # the 11 drivers' court referral: sessions, agreement, payments
            mediator.goto(base + "/mediation/mediations/?q=TJ-2026-000001")
            mediator.click("#mediation-table a:text('TJ-2026-000001')")
            mediator.wait_for_load_state("networkidle")
            mediator.screenshot(path=DOCS / "mediation.png", full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    for name in ("inbox", "case", "dashboard", "mediation"):
        print(f"screenshots: {DOCS / (name + '.png')}")


if __name__ == "__main__":
    main()
