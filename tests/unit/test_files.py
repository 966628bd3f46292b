"""Uploaded files: types by their first bytes, safe names, download headers, bounded reads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core import files
from marketplace.core.storage import TooLarge

ALL = tuple(files.FILE_TYPES)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"PK\x03\x04\x14\x00\x06\x00", "application/zip"),
        (b"AC1032\x00\x00\x00\x00", "image/vnd.dwg"),
        (b"AC10xx", None),
        (b"ISO-10303-21;\nHEADER;", "model/step"),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_types_are_told_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert files.sniff(head, ALL) == expected


def test_only_the_allowed_types_count() -> None:
    assert files.sniff(b"%PDF-1.4", ("image/png",)) is None
    assert files.labels(("image/png", "image/jpeg", "image/webp")) == "PNG, JPEG or WebP"


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("drawing.pdf", "application/pdf", "drawing.pdf"),
        ("Drawing.PDF", "application/pdf", "Drawing.PDF"),
        ("C:\\Users\\me\\plan.pdf", "application/pdf", "plan.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("report.html", "application/pdf", "report.html.pdf"),
        ("pdf", "application/pdf", "pdf.pdf"),
        ('a"b<c>|d?.png', "image/png", "a_b_c__d_.png"),
        ("exe\u202efdp.pdf", "application/pdf", "exefdp.pdf"),
        ("tab\there\x00.pdf", "application/pdf", "tabhere.pdf"),
        ("  .hidden  ", None, "hidden"),
        ("", "image/png", "file.png"),
        ("...", None, "file"),
        ("Übersicht – Lager.docx", "application/zip", "Übersicht – Lager.docx"),
        ("x" * 400 + ".pdf", "application/pdf", "x" * 251 + ".pdf"),
    ],
)
def test_names_are_cleaned_and_end_as_their_content(name: str, content_type: str | None, expected: str) -> None:
    assert files.safe_filename(name, content_type) == expected


@given(st.text(max_size=600))
def test_any_name_becomes_a_safe_one(name: str) -> None:
    safe = files.safe_filename(name, "application/pdf")
    assert 1 <= len(safe) <= files.MAX_FILENAME
    assert safe.lower().endswith(".pdf")
    assert not any(c in safe for c in '/\\"<>|?*:\x00\n\r')
    assert not safe.startswith(".")


def test_download_headers_always_save_under_an_encoded_name() -> None:
    headers = files.download_headers("Übersicht 100%.pdf")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"_bersicht 100_.pdf\"; filename*=UTF-8''%C3%9Cbersicht%20100%25.pdf"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_reading_stops_past_the_limit() -> None:
    assert await files.read_all(_chunks(b"ab", b"cd"), max_bytes=4) == b"abcd"
    with pytest.raises(TooLarge, match="larger than 3 bytes"):
        await files.read_all(_chunks(b"ab", b"cd"), max_bytes=3)
