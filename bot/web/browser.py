"""The system's headless Chromium, driven by Selenium through the system chromedriver
(Debian: ``apt-get install chromium chromium-driver``): for the dashboard screenshots
and the browser tests. Nothing is downloaded: no browser build, no driver, and the
browser's own background traffic (updates, sync, safe browsing) is switched off.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
)
PHONE = (390, 844)
DESKTOP = (1280, 900)


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when either is missing."""
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def chromium(download_dir: Path | None = None, size: tuple[int, int] = DESKTOP) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile, removed afterwards) as a Selenium driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise FileNotFoundError("chromium and chromedriver are not installed")
    browser, driver_path = found
    with tempfile.TemporaryDirectory(prefix="congkhai-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={size[0]},{size[1]}")
        if download_dir is not None:
            options.add_experimental_option(
                "prefs",
                {"download.default_directory": str(download_dir), "download.prompt_for_download": False,
                 "safebrowsing.enabled": False},
            )
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            if download_dir is not None:
                driver.execute_cdp_cmd(
                    "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)}
                )
            yield driver
        finally:
            driver.quit()


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Emulate a screen of this size (a phone's is narrower than any window)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def full_page_png(driver: Any, width: int) -> bytes:
    """A PNG of the whole page at ``width``, however long it is."""
    import base64

    height = int(driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    ))
    set_viewport(driver, width, max(height, 300))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    return base64.b64decode(shot["data"])
