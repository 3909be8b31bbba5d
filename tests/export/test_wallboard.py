"""The built-in wallboard page: rows, formatting, target colours, escaping."""

from __future__ import annotations

import re

from helpers import call, ms

from stream.core.replay import replay
from stream.export.wallboard import wallboard_html


def page(lines: list[bytes], at: float) -> str:
    return wallboard_html(replay(lines, at_ms=ms(at)).families(), ms(at)).decode()


def row(html: str, queue: str) -> str:
    match = re.search(rf"<tr><th>{re.escape(queue)}</th>.*?</tr>", html)
    assert match, html
    return match.group(0)


def test_rows_show_the_queue_now_with_colours_from_the_targets():
    lines = [
        # sales: one answered in 5 s (within 20 s), one waiting for 95 s at T.
        call("queued", 0, "c1", queue="sales"),
        call("answered", 5, "c1", agent_id="a1"),
        call("queued", 25, "c2", queue="sales"),
        # support: one answered after 60 s (service level 0 % < 80 % target).
        call("queued", 0, "c3", queue="support"),
        call("answered", 60, "c3", agent_id="a2"),
    ]
    html = page(lines, 120)
    sales = row(html, "sales")
    # waiting 1, longest 1m35s (past 3 × the 20 s threshold: red), SL 15m 100 %.
    assert '<td class="">1</td>' in sales
    assert '<td class="bad">1m35s</td>' in sales
    assert '<td class="good">100%</td>' in sales
    support = row(html, "support")
    assert '<td class="bad">0%</td>' in support  # service level below target
    assert '<td class="good">0s</td>' in support  # nobody waits
    assert '<td class="">1m00s</td>' in support  # speed of answer
    # Busiest first: sales has somebody waiting.
    assert html.index("<th>sales</th>") < html.index("<th>support</th>")
    assert '<meta http-equiv="refresh" content="5">' in html


def test_names_are_escaped_and_an_empty_board_says_so():
    html = page([call("queued", 0, "c1", queue="<b>x</b>")], 10)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    empty = wallboard_html([], ms(0)).decode()
    assert "no contacts yet" in empty
