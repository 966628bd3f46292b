"""Reading pages in tests: the cell texts of a table, found by its id (stdlib parser, no dependency)."""

from __future__ import annotations

from html.parser import HTMLParser


class _TableReader(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the wanted table (nested tables count)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """Every row of ``<table id=table_id>`` as its cells' whitespace-collapsed text, header rows included."""
    reader = _TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"no table with id {table_id!r}"
    return reader.rows


def body_rows(html: str, table_id: str) -> dict[str, list[str]]:
    """The rows after the header, keyed by their first cell."""
    return {row[0]: row[1:] for row in table_rows(html, table_id)[1:] if row}
