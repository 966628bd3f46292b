"""SQL of the accounts domain: Companies and their addresses."""

from __future__ import annotations

from marketplace.accounts.models import (
    Address,
    Company,
    CompanyStatus,
    StatusChange,
)
from marketplace.core.db import Connection

COMPANY_COLUMNS = """id, kind, legal_name, country, vat_id, registration_number, status, status_reason,
    info_requested, operator_note, version, created_at"""

# ------------------------------------------------------------------ companies

INSERT_COMPANY = f"""
INSERT INTO company (kind, legal_name, country, vat_id, registration_number)
VALUES ($1, $2, $3, $4, $5)
RETURNING {COMPANY_COLUMNS}
"""


async def insert_company(
    conn: Connection, *, kind: str, legal_name: str, country: str, vat_id: str | None, registration_number: str | None
) -> Company:
    row = await conn.fetchrow(INSERT_COMPANY, kind, legal_name, country, vat_id, registration_number)
    assert row is not None
    return Company(**row)


GET_COMPANY = f"SELECT {COMPANY_COLUMNS} FROM company WHERE id = $1"


async def get_company(conn: Connection, company_id: int) -> Company | None:
    row = await conn.fetchrow(GET_COMPANY, company_id)
    return Company(**row) if row else None


LOCK_COMPANY = f"SELECT {COMPANY_COLUMNS} FROM company WHERE id = $1 FOR UPDATE"


async def lock_company(conn: Connection, company_id: int) -> Company | None:
    row = await conn.fetchrow(LOCK_COMPANY, company_id)
    return Company(**row) if row else None


SET_COMPANY_STATUS = f"""
UPDATE company SET status = $2, status_reason = $3, info_requested = false, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $4
RETURNING {COMPANY_COLUMNS}
"""


async def set_company_status(
    conn: Connection, company_id: int, status: CompanyStatus, reason: str | None, *, version: int
) -> Company | None:
    row = await conn.fetchrow(SET_COMPANY_STATUS, company_id, status, reason, version)
    return Company(**row) if row else None


SET_INFO_REQUESTED = f"""
UPDATE company SET info_requested = true, status_reason = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $3
RETURNING {COMPANY_COLUMNS}
"""


async def set_info_requested(conn: Connection, company_id: int, reason: str, *, version: int) -> Company | None:
    row = await conn.fetchrow(SET_INFO_REQUESTED, company_id, reason, version)
    return Company(**row) if row else None


SET_OPERATOR_NOTE = "UPDATE company SET operator_note = $2, updated_at = now() WHERE id = $1"


async def set_operator_note(conn: Connection, company_id: int, note: str) -> None:
    await conn.execute(SET_OPERATOR_NOTE, company_id, note)


SET_COMPANY_PROFILE = f"""
UPDATE company
SET legal_name = $2, vat_id = $3, registration_number = $4, info_requested = false,
    version = version + 1, updated_at = now()
WHERE id = $1
RETURNING {COMPANY_COLUMNS}
"""


async def set_company_profile(
    conn: Connection, *, company_id: int, legal_name: str, vat_id: str | None, registration_number: str | None
) -> Company:
    row = await conn.fetchrow(SET_COMPANY_PROFILE, company_id, legal_name, vat_id, registration_number)
    assert row is not None
    return Company(**row)


INSERT_STATUS_HISTORY = """
INSERT INTO company_status_history (company_id, from_status, to_status, reason, actor_user_id)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_status_history(
    conn: Connection,
    company_id: int,
    from_status: CompanyStatus | None,
    to_status: CompanyStatus,
    reason: str | None,
    actor_user_id: int | None,
) -> None:
    await conn.execute(INSERT_STATUS_HISTORY, company_id, from_status, to_status, reason, actor_user_id)


LIST_STATUS_HISTORY = """
SELECT from_status, to_status, reason, actor_user_id, at FROM company_status_history
WHERE company_id = $1 ORDER BY at, id
"""


async def list_status_history(conn: Connection, company_id: int) -> list[StatusChange]:
    return [StatusChange(**r) for r in await conn.fetch(LIST_STATUS_HISTORY, company_id)]


SEARCH_COMPANIES = f"""
SELECT {COMPANY_COLUMNS}, count(*) OVER () AS total
FROM company
WHERE ($1::company_status IS NULL OR status = $1)
  AND ($2::text IS NULL OR lower(legal_name) LIKE '%' || lower($2) || '%' OR vat_id = upper($2)
       OR EXISTS (SELECT 1 FROM membership m JOIN app_user u ON u.id = m.user_id
                  WHERE m.company_id = company.id AND lower(u.email) = lower($2)))
ORDER BY (status = 'pending') DESC, created_at
LIMIT $3 OFFSET $4
"""


async def search_companies(
    conn: Connection, *, status: CompanyStatus | None, query: str | None, limit: int, offset: int
) -> tuple[list[Company], int]:
    """Operators only: companies by status and name, VAT ID or member email; a page and the total."""
    rows = await conn.fetch(SEARCH_COMPANIES, status, query, limit, offset)
    total = rows[0]["total"] if rows else 0
    return [Company(**{k: v for k, v in r.items() if k != "total"}) for r in rows], total


# ------------------------------------------------------------------ addresses

ADDRESS_COLUMNS = "id, company_id, kind, label, recipient, line1, line2, postal_code, city, country, is_default"

LIST_ADDRESSES = f"SELECT {ADDRESS_COLUMNS} FROM address WHERE company_id = $1 ORDER BY kind, is_default DESC, id"


async def list_addresses(conn: Connection, *, company_id: int) -> list[Address]:
    return [Address(**r) for r in await conn.fetch(LIST_ADDRESSES, company_id)]


GET_ADDRESS = f"SELECT {ADDRESS_COLUMNS} FROM address WHERE id = $1 AND company_id = $2"


async def get_address(conn: Connection, address_id: int, *, company_id: int) -> Address | None:
    row = await conn.fetchrow(GET_ADDRESS, address_id, company_id)
    return Address(**row) if row else None


INSERT_ADDRESS = f"""
INSERT INTO address (company_id, kind, label, recipient, line1, line2, postal_code, city, country, is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
        NOT EXISTS (SELECT 1 FROM address WHERE company_id = $1 AND kind = $2))
RETURNING {ADDRESS_COLUMNS}
"""


async def insert_address(
    conn: Connection,
    *,
    company_id: int,
    kind: str,
    label: str,
    recipient: str,
    line1: str,
    line2: str | None,
    postal_code: str,
    city: str,
    country: str,
) -> Address:
    """The first address of a kind becomes that kind's default."""
    row = await conn.fetchrow(
        INSERT_ADDRESS, company_id, kind, label, recipient, line1, line2, postal_code, city, country
    )
    assert row is not None
    return Address(**row)


CLEAR_DEFAULT = "UPDATE address SET is_default = false WHERE company_id = $1 AND kind = $2 AND is_default"
SET_DEFAULT = f"UPDATE address SET is_default = true WHERE id = $1 AND company_id = $2 RETURNING {ADDRESS_COLUMNS}"


async def set_default_address(conn: Connection, address: Address, *, company_id: int) -> Address:
    await conn.execute(CLEAR_DEFAULT, company_id, address.kind)
    row = await conn.fetchrow(SET_DEFAULT, address.id, company_id)
    assert row is not None
    return Address(**row)
