"""Draw the PNG and ICO brand files in assets/ from assets/logo.svg, with Chromium (the tests' browser):

    python -m scripts.brand_images

Writes apple-touch-icon.png (180x180, opaque), favicon.ico (32x32 PNG inside an ICO) and og-image.png
(1200x630, the link preview). Run it again after changing the logo, and commit what it writes.
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ASSETS = Path(__file__).resolve().parents[1] / "assets"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
BRAND = "#3e63dd"

_PAGE = """<!doctype html><html><head><style>
html, body {{ margin: 0; background: transparent; }}
.box {{ width: {width}px; height: {height}px; display: flex; align-items: center; justify-content: center;
        gap: 48px; background: {background}; font-family: sans-serif; }}
h1 {{ font-size: 120px; margin: 0; color: #1c2024; }}
p {{ font-size: 40px; margin: 8px 0 0; color: #60646c; }}
</style></head><body><div class="box">{content}</div></body></html>"""


def _render(page: Page, width: int, height: int, content: str, background: str = "transparent") -> bytes:
    page.set_viewport_size({"width": width, "height": height})
    page.set_content(_PAGE.format(width=width, height=height, content=content, background=background))
    return page.locator(".box").screenshot(omit_background=background == "transparent")


def _logo(size: int) -> str:
    data = base64.b64encode((ASSETS / "logo.svg").read_bytes()).decode()
    return f'<img src="data:image/svg+xml;base64,{data}" width="{size}" height="{size}" alt="">'


def ico_of_png(png: bytes, size: int) -> bytes:
    """An ICO file holding one PNG image (every current browser reads PNG inside ICO)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def main() -> None:
    """Write the three files."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        (ASSETS / "apple-touch-icon.png").write_bytes(_render(page, 180, 180, _logo(180), background=BRAND))
        (ASSETS / "favicon.ico").write_bytes(ico_of_png(_render(page, 32, 32, _logo(32)), 32))
        words = "<div><h1>sms2fa</h1><p>Two-factor sign-in by text message</p></div>"
        (ASSETS / "og-image.png").write_bytes(_render(page, 1200, 630, _logo(240) + words, background="#ffffff"))
        browser.close()


if __name__ == "__main__":
    main()
