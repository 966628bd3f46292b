"""Demo companies and people for development (never loaded in production)."""

from __future__ import annotations

from marketplace.accounts import repository as repo
from marketplace.accounts.models import CompanyStatus
from marketplace.accounts.passwords import hash_password
from marketplace.core.db import Connection
from marketplace.core.demo import DemoAccount

DEMO_PASSWORD = "demo-yard-copper-lantern"  # noqa: S105 - printed by ./dev run; development data only

COMPANIES = [
    # legal name, kind, country, VAT ID, status, [(email, name, roles)]
    (
        "Nordwerk Maschinenbau GmbH",
        "buyer",
        "DE",
        "DE136695976",
        CompanyStatus.VERIFIED,
        [
            ("admin@nordwerk.example", "Anna Admin", ["admin"]),
            ("buyer@nordwerk.example", "Bernd Buyer", ["buyer"]),
            ("requester@nordwerk.example", "Rita Requester", ["requester"]),
            ("approver@nordwerk.example", "Paul Approver", ["approver"]),
        ],
    ),
    (
        "Schraubenhaus Müller GmbH",
        "vendor",
        "DE",
        "DE129273398",
        CompanyStatus.VERIFIED,
        [("admin@schraubenhaus.example", "Sabine Müller", ["admin", "catalog_manager", "sales"])],
    ),
    (
        "Lagerteknik Nordic AB",
        "vendor",
        "SE",
        "SE556703748501",
        CompanyStatus.VERIFIED,
        [("admin@lagerteknik.example", "Lars Nilsson", ["admin", "catalog_manager", "sales"])],
    ),
    (
        "Neue Werkzeuge UG",
        "vendor",
        "DE",
        None,
        CompanyStatus.PENDING,
        [("admin@neuewerkzeuge.example", "Nina Neu", ["admin"])],
    ),
]
OPERATOR = ("operator@tradeyard.example", "Olga Operator")


async def seed_accounts(conn: Connection) -> list[DemoAccount]:
    """Create what is missing, keyed by email; existing demo data is left as it is."""
    accounts: list[DemoAccount] = []
    password_hash: str | None = None
    for legal_name, kind, country, vat_id, status, people in COMPANIES:
        company_id: int | None = None
        for email, full_name, roles in people:
            user = await repo.get_user_by_email(conn, email)
            if user is None:
                password_hash = password_hash or await hash_password(DEMO_PASSWORD, env="development")
                if company_id is None:
                    company = await repo.insert_company(
                        conn,
                        kind=kind,
                        legal_name=legal_name,
                        country=country,
                        vat_id=vat_id,
                        registration_number=None,
                    )
                    await repo.insert_status_history(conn, company.id, None, CompanyStatus.PENDING, "demo data", None)
                    if status != CompanyStatus.PENDING:
                        await repo.set_company_status(conn, company.id, status, "demo data", version=company.version)
                        await repo.insert_status_history(
                            conn, company.id, CompanyStatus.PENDING, status, "demo data", None
                        )
                    company_id = company.id
                user = await repo.insert_user(conn, email=email, full_name=full_name, password_hash=password_hash)
                await repo.insert_membership(conn, user_id=user.id, company_id=company_id, roles=roles)
            elif company_id is None:
                memberships = await repo.list_memberships_of_user(conn, user.id)
                company_id = memberships[0].company_id if memberships else None
            accounts.append(
                DemoAccount(role=f"{legal_name.split()[0]} {'/'.join(roles)}", email=email, password=DEMO_PASSWORD)
            )
    email, full_name = OPERATOR
    if await repo.get_user_by_email(conn, email) is None:
        password_hash = password_hash or await hash_password(DEMO_PASSWORD, env="development")
        await repo.insert_user(conn, email=email, full_name=full_name, password_hash=password_hash, is_operator=True)
    accounts.append(DemoAccount(role="Tradeyard operator", email=email, password=DEMO_PASSWORD))
    return accounts
