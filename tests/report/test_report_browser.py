"""The report page in Chromium: it opens from a file and shows its five
charts; its screenshot goes to results/screenshots/ (git-ignored: a test run
changes no tracked file; the README's picture is docs/images/report.png, taken
from a real conversation)."""

import pytest

from reports.__main__ import main
from tests.support.chromium import chromium
from tests.support.layers import ROOT
from tests.support.report_data import NOW, seed

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "results" / "screenshots" / "report.png"


def test_the_report_opens_in_chromium_and_shows_its_charts(tmp_path, capsys):
    endpoints = seed(tmp_path / "tracker.db")
    page = tmp_path / "report.html"
    assert main(["report", "--endpoints", str(endpoints), "--out", str(page)], now=NOW) == 0
    with chromium() as driver:
        driver.get(page.as_uri())
        sizes = driver.execute_script(
            "return [...document.querySelectorAll('figure svg')].map(s => {"
            " const r = s.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        assert len(sizes) == 5
        assert all(w > 100 and h > 50 for w, h in sizes), sizes
        assert "What staff asked" in driver.title or "report" in driver.title
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        driver.set_window_size(
            1280, driver.execute_script("return document.body.scrollHeight") + 40
        )
        assert driver.save_screenshot(str(SCREENSHOT))
