"""Errors of the search domain, with stable codes."""

from __future__ import annotations

from marketplace.core.errors import FieldErrors


class BadSearch(FieldErrors):
    """A search request outside its limits (query length, page size, filter complexity): 400, with the field."""

    status = 400
    title = "Invalid search"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors, code="search.invalid_request")
