"""Provides the report as one self-contained HTML file: figures inline as data URIs.

The Markdown is rendered by markdown-it-py with raw HTML turned off, so whatever a
researcher or an imported file wrote is shown as text and never runs as markup or
script; links with unsafe schemes are left as plain text by the renderer.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from fmtui import __version__

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
img { max-width: 100%; }
pre { background: #f4f4f4; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; }
"""


def _strip_front_matter(markdown: str) -> str:
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 4)
        if end != -1:
            return markdown[end + 5 :].lstrip("\n")
    return markdown


def render(markdown: str, title: str, images: Mapping[str, bytes], front_matter: bool) -> str:
    """The document as HTML; `images` maps a figure's relative path to its SVG bytes."""
    from markdown_it import MarkdownIt

    body_md = _strip_front_matter(markdown)
    if front_matter:  # the front matter's title is the page heading there
        body_md = f"# {title.replace(chr(10), ' ')}\n\n{body_md}"
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(body_md)
    for path, svg in sorted(images.items()):
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        body = body.replace(f'src="{html.escape(path)}"', f'src="{uri}"')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="generator" content="fmtui {html.escape(__version__)}">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
