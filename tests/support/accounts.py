"""Builders and a browser-like helper for account tests (rows inserted directly; no ORM factories)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from marketplace.accounts import repository as repo
from marketplace.accounts.models import CompanyStatus
from marketplace.accounts.passwords import hash_password
from marketplace.core.db import Connection

PASSWORD = "granite-otter-velvet-42"


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.test"


@dataclass
class Company:
    id: int
    kind: str
    users: dict[str, int] = field(default_factory=dict)
    """role label → user id"""
    emails: dict[str, str] = field(default_factory=dict)


async def make_company(
    conn: Connection,
    *,
    kind: str = "buyer",
    status: CompanyStatus = CompanyStatus.VERIFIED,
    people: dict[str, list[str]] | None = None,
    name: str | None = None,
) -> Company:
    """A company with members; ``people`` maps a label to roles, e.g. {"admin": ["admin"]}."""
    company = await repo.insert_company(
        conn,
        kind=kind,
        legal_name=name or f"Test {kind} {uuid.uuid4().hex[:6]}",
        country="DE",
        vat_id=None,
        registration_number=None,
    )
    if status != CompanyStatus.PENDING:
        await repo.set_company_status(conn, company.id, status, None, version=company.version)
    result = Company(id=company.id, kind=kind)
    password_hash = await hash_password(PASSWORD, env="test")
    for label, roles in (people or {"admin": ["admin"]}).items():
        email = unique_email(label)
        user = await repo.insert_user(conn, email=email, full_name=label.title(), password_hash=password_hash)
        await repo.insert_membership(conn, user_id=user.id, company_id=company.id, roles=roles)
        result.users[label] = user.id
        result.emails[label] = email
    return result


async def make_operator(conn: Connection) -> str:
    email = unique_email("operator")
    await repo.insert_user(
        conn,
        email=email,
        full_name="Olga Operator",
        password_hash=await hash_password(PASSWORD, env="test"),
        is_operator=True,
    )
    return email


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("ty_csrf") or ""}


async def prime_csrf(client: httpx.AsyncClient) -> None:
    if not client.cookies.get("ty_csrf"):
        await client.get("/login")


async def post_form(client: httpx.AsyncClient, url: str, data: dict[str, object]) -> httpx.Response:
    """Submit a form as a browser does: with the CSRF token from the cookie."""
    await prime_csrf(client)
    return await client.post(url, data=data, headers=csrf(client))


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    r = await post_form(client, "/login", {"email": email, "password": password, "next": "/company"})
    assert r.status_code == 303, r.text[:500]
    return r


async def make_token(conn: Connection, company: Company, label: str = "admin", roles: list[str] | None = None) -> str:
    """An API token of ``company`` created by member ``label``; returns the bearer secret."""
    from datetime import UTC, datetime, timedelta

    from marketplace.core.security import new_token

    raw, digest = new_token("ty_")
    await repo.insert_api_token(
        conn,
        company_id=company.id,
        name=f"test {label}",
        prefix=raw[:10],
        token_hash=digest,
        roles=roles or ["admin"],
        created_by=company.users[label],
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return raw


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def random_de_vat() -> str:
    """A valid German VAT ID nobody else in the test database has (VAT IDs are unique per company)."""
    import random

    from stdnum.iso7064 import mod_11_10

    digits = str(random.randint(10_000_000, 99_999_999))
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"
