"""The HTML e-mail and the web-archive page pass the Nu HTML Checker (the W3C's validator)."""

from __future__ import annotations

from pathlib import Path

from bot.digest.render import render_html_email, render_html_page
from tests.nu_checker import problems

from .issues import edge_case_issue, realistic_issue
from .test_html_email import huge_item, issue_of


def test_email_and_page_pass_the_nu_html_checker(tmp_path: Path) -> None:
    cut = issue_of([huge_item(n) for n in range(1, 30)], "https://news.example.com/w/9")
    documents = {
        "edge-email": render_html_email(edge_case_issue()),
        "edge-page": render_html_page(edge_case_issue()),
        "realistic-email": render_html_email(realistic_issue()),
        "realistic-page": render_html_page(realistic_issue()),
        "cut-email": render_html_email(cut),
    }
    assert "did not fit" in documents["cut-email"]
    assert problems(documents, tmp_path) == []
