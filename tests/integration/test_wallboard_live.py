"""The wallboard of a live worker in headless Chromium (issue 13): the numbers on the
page are the worker's /metrics, a breach turns the tile red, a killed worker shows the
stale banner, and the page logs no console error. The screenshot is saved with the
test's files."""

from __future__ import annotations

import time

from browser import By, chromium, console_errors, tile_text, wait_for
from helpers import call
from test_worker_e2e import counted, produce
from workers import far_from_midnight

from stream.core.timeutil import format_time

SURGE = {"queue": "surge", "channel": "voice"}


def calls(first: int, count: int, wait_s: int, now_ms: int) -> list[bytes]:
    """``count`` calls into the surge queue in the last ten minutes, answered after ``wait_s``."""
    lines = []
    for i in range(first, first + count):
        queued = now_ms - 600_000 + i * 5_000
        lines.append(call("queued", format_time(queued), f"c{i}", queue="surge"))
        answered = format_time(queued + wait_s * 1000)
        lines.append(call("answered", answered, f"c{i}", agent_id="a1"))
    return lines


def metric(worker, name: str, **labels: str) -> float:
    return worker.metrics()[(name, frozenset({**SURGE, **labels}.items()))]


def wait_counted(worker, total: int) -> None:
    deadline = time.monotonic() + 60
    while counted(worker.metrics()) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    assert counted(worker.metrics()) == total


async def test_the_live_wallboard_shows_metrics_turns_red_and_goes_stale(
    broker, start_worker, topic_prefix, tmp_path
):
    timezone_flags, _ = far_from_midnight(tmp_path)  # "today" must hold the last 10 min
    worker = start_worker(("--topic-prefix", topic_prefix, *timezone_flags))
    worker.wait_ready()
    now = int(time.time() * 1000)
    good = calls(0, 12, 5, now)  # answered within 20 s: 100 %
    await produce(broker.bootstrap, good, topic_prefix)
    wait_counted(worker, len(good))
    with chromium() as browser:
        browser.get(worker.url + "/wallboard")
        wait_for(browser, lambda d: "offered today 12" in tile_text(d, "surge"))
        tile = browser.find_element(By.CSS_SELECTOR, "article.tile")
        offered = metric(worker, "cx_window_contacts", outcome="offered", window="today")
        assert f"offered today {offered:.0f}" in tile.text
        level = metric(worker, "cx_service_level_ratio", window="15m")
        sl15 = tile.find_element(By.CSS_SELECTOR, '[data-key="sl15"] b')
        assert sl15.text == f"{round(level * 100)}%" == "100%"
        assert "good" in sl15.get_attribute("class").split()
        assert "breach" not in tile.get_attribute("class").split()

        bad = calls(12, 30, 60, now)  # 60 s waits: the 15-minute service level falls
        await produce(broker.bootstrap, bad, topic_prefix)
        wait_counted(worker, len(good) + len(bad))
        wait_for(browser, lambda d: "offered today 42" in tile_text(d, "surge"))
        tile = browser.find_element(By.CSS_SELECTOR, "article.tile")
        wait_for(browser, lambda d: "breach" in tile.get_attribute("class").split())
        level = metric(worker, "cx_service_level_ratio", window="15m")
        sl15 = tile.find_element(By.CSS_SELECTOR, '[data-key="sl15"] b')
        assert sl15.text == f"{round(level * 100)}%" == "29%"  # 12 of 42
        assert "bad" in sl15.get_attribute("class").split()
        assert "service level 15m below target" in tile.text
        assert console_errors(browser) == []
        browser.save_screenshot(str(tmp_path / "wallboard.png"))
        assert (tmp_path / "wallboard.png").stat().st_size > 10_000

        worker.kill()
        wait_for(browser, lambda d: d.find_element(By.ID, "stale").is_displayed(), timeout=20)
        assert "not answering" in browser.find_element(By.ID, "stale").text
