"""HTML for people, written one way: escaping, the self-contained page, the status badge.

The feedback page, the class summary, class insight, the web service and check() in a notebook
all use it. Anything shown may carry a student's text (an exception message, a source line, a
file name), so everything goes through escape().
"""
from __future__ import annotations

import html

STATUS_COLOURS = {"passed": "#1a7f37", "partial": "#9a6700", "failed": "#cf222e", "error": "#cf222e",
                  "missing": "#6e7781"}


def escape(text: object) -> str:
    """Text made inert in HTML, attribute values included."""
    return html.escape(str(text), quote=True)


def badge(status: str, *, inline: bool = False) -> str:
    """The status as a pill: coloured by the page's style sheet (`.badge.passed`), or by its own
    style where there is no style sheet (a notebook cell's output)."""
    if inline:
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS["missing"])
        return (f'<span style="background:{colour};color:#fff;border-radius:1em;'
                f'padding:0 .5em;font-size:85%">{escape(status)}</span>')
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def html_page(title: str, body: str, css: str = "") -> str:
    """A page that needs nothing but itself; its policy also blocks any script that slipped in."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_BASE_CSS}{css}</style></head>
<body><h1>{escape(title)}</h1>
{body}
</body></html>
"""


_BASE_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:64rem;margin:2rem auto;
padding:0 1rem;color:#1f2328;line-height:1.45}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
img{max-width:100%}
"""
