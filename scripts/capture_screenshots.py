"""Save a screenshot of every page of a running console into docs/screenshots/.

Usage: start the console (`make run`), then
    .venv/bin/python scripts/capture_screenshots.py [--url http://localhost:8501]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from page_registry import PAGES  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, wait_for_idle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8501")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1360}, locale="es-AR")
        for spec in PAGES:
            # The default page lives at "/"; the others at their url_path.
            page.goto(f"{args.url}/{'' if spec.default else spec.url_path}")
            wait_for_idle(page, timeout_ms=60_000)
            page.wait_for_timeout(2_000)  # let plotly finish laying out
            target = ROOT / "docs" / "screenshots" / f"{Path(spec.path).stem}.png"
            page.screenshot(path=str(target))
            print(target.relative_to(ROOT))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
