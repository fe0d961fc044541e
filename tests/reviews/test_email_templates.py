"""Every email Trellis sends is drawn in one frame (templates/email/base.html and base.txt): the greeting, the
notification's words, the link and the privacy line are written once; an email names only its link and what it
withholds."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import ExtendsNode

ROOT = Path(__file__).resolve().parents[2]
EMAILS = sorted(
    path
    for path in ROOT.glob("templates/*/email/*")
    if path.suffix in {".html", ".txt"} and "_subject" not in path.name
)


def test_there_are_emails_in_both_forms():
    names = {path.relative_to(ROOT / "templates").as_posix() for path in EMAILS}
    assert names == {
        "reviews/email/measure_alert.html",
        "reviews/email/measure_alert.txt",
        "reviews/email/review_reminder.html",
        "reviews/email/review_reminder.txt",
    }


@pytest.mark.parametrize("path", EMAILS, ids=lambda path: path.name)
def test_each_email_extends_the_base_email(path):
    name = path.relative_to(ROOT / "templates").as_posix()
    [first, *_] = get_template(name).template.nodelist
    assert isinstance(first, ExtendsNode)
    assert first.parent_name.var == f"email/base{path.suffix}"


class Recipient:
    def get_full_name(self) -> str:
        return "Jordan <Lee>"


@pytest.mark.parametrize(
    ("template", "link", "withheld"),
    [
        ("reviews/email/review_reminder", "Open the plan in Trellis to sign it", "; sign in to see the plan."),
        ("reviews/email/measure_alert", "Open the patient's record in Trellis", " and gives no answers or scores;"),
    ],
)
def test_the_frame_holds_each_emails_words_escaped_in_html_only(template, link, withheld):
    context = {"recipient": Recipient(), "body": "Due on 1 <Sep>.", "kind": "unsigned", "url": "https://t.example/p/1/"}
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    assert text.startswith("Hello Jordan <Lee>,\n\nDue on 1 <Sep>.\n\n")
    assert f"{link}:\nhttps://t.example/p/1/\n" in text
    assert f"initials only{withheld}" in " ".join(text.split())
    assert "<p>Hello Jordan &lt;Lee&gt;,</p>" in html and "<p>Due on 1 &lt;Sep&gt;.</p>" in html
    assert f'<a href="https://t.example/p/1/" style="color: #0b5394;">{link}</a>' in html
    assert f"initials only{withheld}" in " ".join(html.split())
