"""Uploaded files: what they are by their first bytes (never their names), safe names, download headers.

One table of the file types the platform accepts anywhere, each with its signature and the name
endings it may carry; every upload (product media, RFQ and bid attachments) picks its allowed set from
it. A file's name is only a label: it is cleaned of paths and control characters and, when its ending
does not fit the content, the proper ending is appended, so a PDF called ``x.html`` is saved as
``x.html.pdf``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from urllib.parse import quote

import msgspec
from litestar.response import Stream

from marketplace.core.storage import TooLarge, size_text

MAX_FILENAME = 255


class FileType(msgspec.Struct, frozen=True):
    content_type: str
    label: str
    extensions: tuple[str, ...]
    """Name endings (lower case, no dot) that fit this content; the first is the one appended."""
    matches: Callable[[bytes], bool]


def _dwg(head: bytes) -> bool:
    # AutoCAD drawings start with their format version: AC1015, AC1018, AC1024, AC1027, AC1032 ...
    return head[:4] == b"AC10" and head[4:6].isdigit()


FILE_TYPES: dict[str, FileType] = {
    t.content_type: t
    for t in (
        FileType("application/pdf", "PDF", ("pdf",), lambda h: h.startswith(b"%PDF-")),
        FileType("image/png", "PNG", ("png",), lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
        FileType("image/jpeg", "JPEG", ("jpg", "jpeg"), lambda h: h.startswith(b"\xff\xd8\xff")),
        FileType("image/webp", "WebP", ("webp",), lambda h: h.startswith(b"RIFF") and h[8:12] == b"WEBP"),
        FileType("image/tiff", "TIFF", ("tif", "tiff"), lambda h: h[:4] in (b"II*\x00", b"MM\x00*")),
        # Office Open XML and OpenDocument files are zip archives too.
        FileType(
            "application/zip",
            "ZIP (also DOCX, XLSX, PPTX, ODT, ODS)",
            ("zip", "docx", "xlsx", "pptx", "odt", "ods", "odp"),
            lambda h: h.startswith(b"PK\x03\x04"),
        ),
        FileType("image/vnd.dwg", "DWG", ("dwg",), _dwg),
        FileType("model/step", "STEP", ("step", "stp"), lambda h: h.startswith(b"ISO-10303-21;")),
    )
}
HEAD_BYTES = 16


def sniff(head: bytes, allowed: Iterable[str]) -> str | None:
    """The content type among ``allowed`` whose signature the first bytes carry, or None."""
    for content_type in allowed:
        if FILE_TYPES[content_type].matches(head[:HEAD_BYTES]):
            return content_type
    return None


def labels(allowed: Iterable[str]) -> str:
    """The allowed types for a person: "PDF, PNG or JPEG"."""
    names = [FILE_TYPES[t].label for t in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def accept(allowed: Iterable[str]) -> str:
    """The name endings of ``allowed`` for a file input's ``accept`` attribute (a hint; content decides)."""
    return ",".join(f".{ext}" for t in allowed for ext in FILE_TYPES[t].extensions)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"*:<>?|\\/]')
_SPACES = re.compile(r"\s+")


def safe_filename(name: str, content_type: str | None = None) -> str:
    """A name fit to store and to offer for download: no directories, control or reserved characters,
    at most 255 characters, and an ending that fits ``content_type`` (appended when it does not)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    # Control and format characters (a right-to-left override can make "exe.pdf" read as "fdp.exe").
    base = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
    base = _SPACES.sub(" ", _UNSAFE.sub("_", base)).strip(" .")
    stem, dot, ending = base.rpartition(".")
    if not dot or not stem:
        stem, ending = base, ""
    if content_type is not None and ending.lower() not in FILE_TYPES[content_type].extensions:
        stem, ending = base, FILE_TYPES[content_type].extensions[0]
    ending = f".{ending[:16]}" if ending else ""
    stem = stem[: MAX_FILENAME - len(ending)].rstrip(" .")
    return (stem or "file") + ending


def download_headers(filename: str, *, private: bool = True) -> dict[str, str]:
    """Headers of a file download: always saved (never shown inline), under its safe name, never sniffed.

    ``filename`` carries a plain ASCII fallback and the exact name (RFC 6266 / RFC 8187).
    """
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in filename) or "file"
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store" if private else "public, max-age=3600",
    }


async def read_all(chunks: AsyncIterator[bytes], *, max_bytes: int) -> bytes:
    """The whole upload in memory (for files that must be encrypted before they touch the disk).

    Raises ``TooLarge`` as soon as it passes ``max_bytes``, without reading the rest.
    """
    data = bytearray()
    async for chunk in chunks:
        data.extend(chunk)
        if len(data) > max_bytes:
            raise TooLarge(f"larger than {size_text(max_bytes)}")
    return bytes(data)


def download(chunks: Iterator[bytes], *, filename: str, content_type: str) -> Stream:
    """A file download response: the checked content type, saved under its safe name, never sniffed."""
    return Stream(chunks, media_type=content_type, headers=download_headers(filename))
