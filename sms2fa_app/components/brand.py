"""The brand: the logo in the header, the icons and link-preview tags in every page's <head>.

The files are in assets/ (drawn by scripts/brand_images.py from assets/logo.svg) and served from the site's root.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from sms2fa_app.state import words

NAME = "sms2fa"
DESCRIPTION = str(words.pages.DESCRIPTION)  # the server's English; the browser says it in the tab's language
LOGO = "/logo.svg"
OG_IMAGE = "/og-image.png"
THEME_COLOR = "#3e63dd"


def logo_link() -> rx.Component:
    """The logo and the name, a link to the home page (its accessible name is the name alone)."""
    return rx.link(
        rx.hstack(
            rx.image(src=LOGO, alt=NAME, width="28px", height="28px"),
            rx.text(NAME, as_="span", weight="bold", size="4", aria_hidden="true"),
            spacing="2",
            align="center",
        ),
        href="/",
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def head_components() -> list[rx.Component]:
    """The favicon (SVG, and ICO for browsers that ask for /favicon.ico), the touch icon and the theme color."""
    return [
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        rx.el.link(rel="icon", href="/favicon.ico", sizes="32x32"),
        rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"),
        rx.el.meta(name="theme-color", content=THEME_COLOR),
    ]


def page_meta(base_url: str, title: str) -> dict[str, Any]:
    """add_page's description, og:image (absolute: link previews need the whole URL) and the other preview tags.
    `title` in English: a page named in words.pages.TITLED_PAGES is retitled in the tab's language by the browser."""
    image = base_url.rstrip("/") + OG_IMAGE
    return {
        "title": title,
        "description": DESCRIPTION,
        "image": image,
        "meta": [
            {"property": "og:title", "content": title},
            {"property": "og:description", "content": DESCRIPTION},
            {"property": "og:site_name", "content": NAME},
            {"property": "og:type", "content": "website"},
            {"name": "twitter:card", "content": "summary_large_image"},
        ],
    }
