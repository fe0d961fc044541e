"""The accessibility check every browser test uses: axe-core finds no WCAG 2.1 A/AA violation."""

from axe_playwright_python.sync_playwright import Axe

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page):
    results = Axe().run(page, options=WCAG_AA)
    assert results.response["violations"] == [], results.generate_report()
