"""HTML for the report: every value is escaped by construction.

:func:`render` fills a template whose fields are escaped unless they are :class:`Html`
(markup built by this module or by :func:`render` itself), so a value from the data (an id,
a path, a column name) can never become markup.
"""

from __future__ import annotations

import html
import string

import pandas as pd


class Html(str):
    """A string that is already markup (it is inserted as is)."""


class _Escaping(string.Formatter):
    def format_field(self, value, format_spec: str) -> str:
        text = format(value, format_spec)
        return text if isinstance(value, Html) else html.escape(text, quote=True)


_FORMATTER = _Escaping()


def render(template: str, /, *args, **values) -> Html:
    """``template.format(...)`` with every field HTML-escaped unless it is :class:`Html`.

    >>> render("<p>{name}: {n:d}</p>", name="<b>", n=3)
    '<p>&lt;b&gt;: 3</p>'
    >>> render("<div>{inner}</div>", inner=render("<i>{x}</i>", x="a&b"))
    '<div><i>a&amp;b</i></div>'
    """
    return Html(_FORMATTER.format(template, *args, **values))


def join(parts) -> Html:
    """Concatenate markup; plain strings among ``parts`` are escaped."""
    return Html("".join(p if isinstance(p, Html) else html.escape(str(p)) for p in parts))


def table_html(frame: pd.DataFrame, floats: str = "{:.4f}", *, text: bool = False) -> Html:
    """A data frame as an HTML table (cells escaped by pandas), floats formatted; ``text``
    aligns every cell left (a table of words)."""
    formatters = {c: floats.format for c in frame.columns if frame[c].dtype.kind == "f"}
    return Html(
        frame.to_html(
            index=False,
            border=0,
            classes="table text" if text else "table",
            formatters=formatters,
            na_rep="",
            escape=True,
        )
    )


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table.table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
table.table th, table.table td { padding: 3px 9px; border-bottom: 1px solid #e5e5e5;
                                 text-align: right; }
table.table th { background: #f4f4f4; }
table.text td, table.text th { text-align: left; }
table.table td:first-child, table.table th:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; font-size: 0.92em; }
nav a { margin-right: 1em; } .grid { display: flex; flex-wrap: wrap; gap: 1em; }
.warn { background: #fff3cd; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
.headline { font-size: 1.08em; } details { margin: 0.3em 0; }
summary { cursor: pointer; color: #1f4e9c; }
"""


def page(title: str, body: Html) -> Html:
    """A whole self-contained HTML document."""
    return render(
        "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>{style}</style></head><body>{body}</body></html>",
        title=title,
        style=Html(STYLE),
        body=body,
    )
