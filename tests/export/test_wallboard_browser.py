"""The wallboard page in a real browser (Debian's Chromium, headless, through Selenium).

A small HTTP server serves the page and an /api/wallboard the test changes: what a
worker would serve, from a replay of hand-made events. The page must draw the tiles,
update them in place (the same elements, no reload), say so plainly when the server
stops answering, and show names as text, never as markup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from browser import By, chromium, console_errors, tile_text, wait_for
from helpers import call, ms

from stream.core.replay import replay
from stream.export.wallboard import WALLBOARD_PAGE, wallboard_data


class Board:
    """What the test server answers: the page, and the JSON of the moment (or an error)."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.down = False


def board_data(lines: list[bytes], at: float) -> dict:
    engine = replay(lines, at_ms=ms(at)).engine
    data = wallboard_data(engine.families(ms(at)), ms(at), sparklines=engine.sparklines(ms(at)))
    data["refresh_s"] = 0.2  # a TV asks every 5 s; the test has no time for that
    return data


@pytest.fixture
def server() -> Iterator[tuple[str, Board]]:
    board = Board()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/wallboard":
                body, kind, status = WALLBOARD_PAGE, "text/html; charset=utf-8", 200
            elif self.path == "/api/wallboard" and not board.down:
                body, kind, status = orjson.dumps(board.data), "application/json", 200
            else:
                body, kind, status = b"unavailable", "text/plain", 503
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/wallboard", board
    httpd.shutdown()


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as driver:
        yield driver


LINES = [
    call("queued", 0, "c1", queue="sales"),
    call("answered", 5, "c1", agent_id="a1"),
    call("queued", 25, "c2", queue="sales"),
    call("queued", 0, "c3", queue="<b>support</b>"),
    call("answered", 60, "c3", agent_id="a2"),
]


def test_the_page_draws_tiles_and_updates_them_in_place(server, browser):
    url, board = server
    board.data = board_data(LINES, 120)
    browser.get(url)
    wait_for(browser, lambda d: "1m35s" in tile_text(d, "sales"))
    sales = browser.find_element(By.CSS_SELECTOR, "article.tile")
    assert "breach" in sales.get_attribute("class").split()  # 95 s > 3 × 20 s: it pulses
    assert "n=1" in sales.text  # the sample size of the service level
    thin = sales.find_element(By.CSS_SELECTOR, '[data-key="sl15"]')
    assert "thin" in thin.get_attribute("class").split()  # one contact: greyed
    # A name is text, never markup.
    assert "<b>support</b>" in tile_text(browser, "<b>support</b>")
    assert not browser.find_elements(By.CSS_SELECTOR, ".tile h2 b")
    assert browser.find_element(By.ID, "t-waiting").text == "1"

    browser.execute_script("window.cxMarker = 'same page'; arguments[0].cxMarker = 'same';", sales)
    more = [
        *LINES,
        call("queued", 130, "c4", queue="sales"),
        call("queued", 131, "c5", queue="sales"),
    ]
    board.data = board_data(more, 140)
    wait_for(browser, lambda d: d.find_element(By.ID, "t-waiting").text == "3")
    assert browser.execute_script("return window.cxMarker") == "same page"  # no reload
    first = browser.find_element(By.CSS_SELECTOR, "article.tile")
    assert browser.execute_script("return arguments[0].cxMarker", first) == "same"  # in place
    assert "offered today 4" in first.text
    line = first.find_element(By.CSS_SELECTOR, ".spark .line").get_attribute("d")
    assert line == "M57 1.00"  # 10:00, the minute of the one answered call: 100 %
    assert console_errors(browser) == []


def test_a_worker_that_stops_answering_is_shown_as_such(server, browser):
    url, board = server
    board.data = board_data(LINES, 120)
    browser.get(url)
    wait_for(browser, lambda d: d.find_element(By.ID, "t-waiting").text == "1")
    assert not browser.find_element(By.ID, "stale").is_displayed()
    board.down = True
    wait_for(browser, lambda d: d.find_element(By.ID, "stale").is_displayed())
    assert "not answering" in browser.find_element(By.ID, "stale").text
    board.down = False
    wait_for(browser, lambda d: not d.find_element(By.ID, "stale").is_displayed())


def test_the_agents_panel_shows_only_when_the_board_carries_it(server, browser):
    url, board = server
    board.data = board_data(LINES, 120)
    browser.get(url)
    wait_for(browser, lambda d: d.find_element(By.ID, "t-waiting").text == "1")
    assert not browser.find_element(By.ID, "agents").is_displayed()  # off by default
    board.data = {
        **board_data(LINES, 125),
        "agents": [
            {
                "agent": "ana",
                "team": "blue",
                "state": "after_contact_work",
                "in_state_s": 75,
                "handled_today": 2,
                "handle_s_today": 360.0,
                "aht_today_s": 180.0,
            },
        ],
    }
    wait_for(browser, lambda d: d.find_element(By.ID, "agents").is_displayed())
    text = browser.find_element(By.ID, "agents").text
    assert "blue" in text and "ana" in text and "after contact work" in text
    assert "1m15s" in text and "3m00s" in text
