"""Pooled connections are returned without ``RESET ALL`` (``marketplace.core.db.keep_session``), so no SQL
in the application may leave session state behind: session-level ``SET``, ``set_config(..., false)``,
session advisory locks, ``LISTEN`` or cursors ``WITH HOLD``. This scans every string literal of the
application's code for them (LISTEN belongs on dedicated connections, which pgqueuer opens itself)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("marketplace", "rfq", "search", "vendors", "web")

SESSION_STATE = re.compile(
    r"""(?:\A|;)\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)\w"""  # a SET statement (UPDATE … SET is not)
    r"""|set_config\s*\([^)]*,\s*false\s*\)"""
    r"""|pg_(?:try_)?advisory_lock(?:_shared)?\s*\("""
    r"""|(?:\A|;)\s*(?:LISTEN|UNLISTEN)\b"""
    r"""|\bWITH\s+HOLD\b""",
    0,  # SQL keywords are upper case in our code; prose ("Set the password") is not SQL
)


def offending(source: str) -> list[str]:
    return [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.STRING and SESSION_STATE.search(tok.string.strip("rbfuRBFU").strip("\"'"))
    ]


@pytest.mark.parametrize(
    "sql",
    [
        '"SET statement_timeout = 0"',
        '"BEGIN; SET search_path TO x"',
        "\"SELECT set_config('a.b', '1', false)\"",
        '"SELECT pg_advisory_lock(1)"',
        '"LISTEN jobs"',
        '"DECLARE c CURSOR WITH HOLD FOR SELECT 1"',
    ],
)
def test_the_scan_finds_session_state(sql: str) -> None:
    assert offending(f"QUERY = {sql}\n") == [sql]


@pytest.mark.parametrize(
    "sql",
    [
        "\"SET LOCAL lock_timeout = '5s'\"",
        '"UPDATE t SET a = 1 WHERE id = $1"',
        "\"SELECT set_config('tradeyard.clock', $1, true)\"",
        '"SELECT pg_advisory_xact_lock($1)"',
        '"SET CONSTRAINTS ALL IMMEDIATE"',
    ],
)
def test_the_scan_allows_transaction_state(sql: str) -> None:
    assert offending(f"QUERY = {sql}\n") == []


def test_application_code_leaves_no_session_state_on_pooled_connections() -> None:
    hits = {
        str(path.relative_to(ROOT)): found
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := offending(path.read_text()))
    }
    assert hits == {}
