"""BMEcat packages: a .zip holding one BMEcat XML and the media files its MIME_SOURCE paths point to.

Nothing is ever extracted to the file system: the XML is copied into a spooled temporary file (read by
the streaming parser as usual) and a media file is read into memory only when an article refers to it,
up to the size limit of its kind. So entry names such as ``../../etc/passwd`` cannot write anywhere;
they only cannot be referred to.

Package-level problems (not a zip, no or several XML files, too many entries, absurd total size) refuse
the whole upload with ``BmecatError``. A problem with one referenced file (missing, unsafe path, too
large, corrupt, encrypted) is a ``MediaProblem`` that the import reports on the article's line.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
import zipfile
import zlib
from typing import BinaryIO

from vendors.bmecat_records import BmecatError

ZIP_MAGIC = b"PK\x03\x04"
MAX_ENTRIES = 20_000
MAX_XML_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
"""The sum of the sizes the entries declare; a package claiming more is refused before anything is read."""
_SPOOL = 8 * 1024 * 1024
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class MediaProblem(ValueError):
    """One referenced file cannot be used; ``args[0]`` is the reason shown in the import report."""


def is_package(stream: BinaryIO) -> bool:
    """Whether the upload is a zip (decided by its first bytes, never its name); leaves the stream at 0."""
    head = stream.read(4)
    stream.seek(0)
    return head == ZIP_MAGIC


def safe_path(name: str) -> str | None:
    """A package-relative path in normal form, or None if it is absolute or climbs out of the package."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or _WINDOWS_DRIVE.match(name):
        return None
    if any(part == ".." for part in name.split("/")):
        return None
    normal = posixpath.normpath(name)
    return None if normal in (".", "") or normal.startswith("../") else normal


def is_external(source: str) -> bool:
    return source.lower().startswith(("http://", "https://", "ftp://", "//"))


class Package:
    """An opened package: ``xml`` is the BMEcat document; ``read_media`` fetches a referenced file."""

    def __init__(self, stream: BinaryIO) -> None:
        try:
            self._zip = zipfile.ZipFile(stream)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise BmecatError(f"the package is not a readable zip file ({exc})") from None
        if len(infos) > MAX_ENTRIES:
            raise BmecatError(f"the package has {len(infos)} entries; at most {MAX_ENTRIES} are allowed")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise BmecatError(f"the package unpacks to more than {MAX_TOTAL_BYTES // 1024**3} GB")
        self._entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            path = safe_path(info.filename)
            if path is not None and not info.is_dir():
                self._entries.setdefault(path, info)
        xmls = [p for p in self._entries if p.lower().endswith(".xml") and not p.startswith("__MACOSX/")]
        if len(xmls) != 1:
            found = "no" if not xmls else f"{len(xmls)}"
            raise BmecatError(f"a package must hold exactly one BMEcat .xml file; this one has {found}")
        self.xml_path = xmls[0]
        self._base = posixpath.dirname(self.xml_path)
        self.xml: BinaryIO = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # type: ignore[assignment]  # noqa: SIM115 - closed by close()
        try:
            with self._open(self._entries[self.xml_path], MAX_XML_BYTES) as source:
                shutil.copyfileobj(source, self.xml, 1024 * 1024)
        except MediaProblem as exc:
            self.close()
            raise BmecatError(f"{self.xml_path}: {exc}") from None
        self.xml.seek(0)

    def close(self) -> None:
        self.xml.close()
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_media(self, source: str, max_bytes: int) -> tuple[str, bytes]:
        """(the file's name, its bytes) for a MIME_SOURCE relative to the XML; raises MediaProblem."""
        path = safe_path(source)
        if path is None:
            raise MediaProblem(f"{source[:200]!r} is not a path inside the package")
        path = posixpath.normpath(posixpath.join(self._base, path)) if self._base else path
        info = self._entries.get(path)
        if info is None:
            raise MediaProblem(f"{source[:200]} is not in the package")
        if info.file_size > max_bytes:
            raise MediaProblem(f"{source[:200]} is larger than {max_bytes // (1024 * 1024)} MB")
        with self._open(info, max_bytes) as stream:
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise MediaProblem(f"{source[:200]} is larger than {max_bytes // (1024 * 1024)} MB")
        if not data:
            raise MediaProblem(f"{source[:200]} is empty")
        return posixpath.basename(path), data

    def _open(self, info: zipfile.ZipInfo, max_bytes: int) -> _Bounded:
        if info.file_size > max_bytes:
            raise MediaProblem(f"larger than {max_bytes // (1024 * 1024)} MB")
        if info.flag_bits & 0x1:
            raise MediaProblem(f"{info.filename[:200]} is encrypted")
        return _Bounded(self._zip, info, max_bytes)


class _Bounded:
    """A zip entry opened for reading that never yields more than ``max_bytes`` and turns the zip
    module's many failure types (bad CRC, truncated data, unsupported compression) into MediaProblem."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> None:
        self._name = info.filename[:200]
        try:
            self._raw = archive.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError, zlib.error) as exc:
            raise MediaProblem(f"{self._name} cannot be read ({exc})") from None
        self._left = max_bytes

    def read(self, size: int = -1) -> bytes:
        want = self._left + 1 if size < 0 else min(size, self._left + 1)
        try:
            data = self._raw.read(want)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError, zlib.error) as exc:
            raise MediaProblem(f"{self._name} cannot be read ({exc})") from None
        self._left -= len(data)
        if self._left < 0:
            raise MediaProblem(f"{self._name} unpacks to more than it declares")
        return data

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()
