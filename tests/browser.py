"""Headless Chromium for the wallboard's browser tests: Debian's ``chromium`` and
``chromium-driver`` through Selenium. Missing on a laptop: the test is skipped with
the command that installs them; missing in CI (CI=true): it fails."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from helpers import missing_tool

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - a laptop without the test extra
    webdriver = By = WebDriverWait = None  # type: ignore[assignment, misc]


def need(name: str, found: object) -> None:
    if not found:
        missing_tool(
            f"{name} is missing: apt-get install --no-install-recommends chromium "
            "chromium-driver; pip install -e '.[test]'"
        )


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless 1080p Chromium that keeps the page's console log."""
    need("selenium", webdriver)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    need("chromium", binary)
    need("chromedriver", driver_path)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1920,1080"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=driver_path)
    )
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(driver: Any, condition: Any, timeout: float = 10) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))


def tile_text(driver: Any, queue: str) -> str:
    """The text of the wallboard tile of ``queue`` ("" while there is none)."""
    for tile in driver.find_elements(By.CSS_SELECTOR, "article.tile"):
        if tile.find_element(By.CSS_SELECTOR, ".q").text == queue:
            return tile.text
    return ""


__all__ = ["By", "chromium", "console_errors", "need", "tile_text", "wait_for"]
