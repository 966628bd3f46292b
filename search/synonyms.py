"""Synonyms operators manage: stored in PostgreSQL, pushed to the index by a job whenever they change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from marketplace.core import audit
from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection, Database
from marketplace.core.errors import FieldErrors, NotFound
from marketplace.core.jobs import Job, enqueue


class Synonym(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    terms: list[str]
    one_way: bool
    created_at: datetime


class PushSynonyms(Job, frozen=True, tag="search.push_synonyms"):
    pass


MAX_TERM = 60


def normalise_terms(raw: Sequence[str]) -> list[str]:
    """Lower-cased, trimmed, de-duplicated terms in their given order; FieldErrors when unusable."""
    terms: list[str] = []
    for item in raw:
        term = " ".join(item.split()).lower()
        if term and term not in terms:
            terms.append(term)
    if len(terms) < 2:
        raise FieldErrors({"terms": "give at least two different terms"}, code="search.synonym_invalid")
    if len(terms) > 20:
        raise FieldErrors({"terms": "give at most 20 terms"}, code="search.synonym_invalid")
    if any(len(t) > MAX_TERM for t in terms):
        raise FieldErrors({"terms": f"each term has at most {MAX_TERM} characters"}, code="search.synonym_invalid")
    return terms


LIST = "SELECT id, terms, one_way, created_at FROM search_synonym ORDER BY terms[1], id"
INSERT = """
INSERT INTO search_synonym (terms, one_way, created_by) VALUES ($1, $2, $3) RETURNING id, terms, one_way, created_at
"""
DELETE = "DELETE FROM search_synonym WHERE id = $1 RETURNING id"


async def list_synonyms(conn: Connection) -> list[Synonym]:
    """Every synonym group, in the order of its first term (for the index and the operators' page)."""
    return [Synonym(**r) for r in await conn.fetch(LIST)]


async def operator_synonyms(conn: Connection, actor: Actor) -> list[Synonym]:
    """The synonym groups as operators manage them; raises NotFound for anyone else."""
    require_operator(actor)
    return await list_synonyms(conn)


async def add_synonym(conn: Connection, actor: Actor, terms: Sequence[str], *, one_way: bool) -> Synonym:
    """An operator adds a synonym group and queues its push to the index; raises FieldErrors, NotFound."""
    require_operator(actor)
    row = await conn.fetchrow(INSERT, normalise_terms(terms), one_way, actor.user_id)
    assert row is not None
    synonym = Synonym(**row)
    await audit.record(conn, "search.synonym_added", actor=actor, target_type="synonym", target_id=synonym.id)
    await enqueue(conn, PushSynonyms(), dedupe_key="search.synonyms")
    return synonym


async def delete_synonym(conn: Connection, actor: Actor, synonym_id: int) -> None:
    """An operator deletes a synonym group and queues the push; raises NotFound."""
    require_operator(actor)
    if await conn.fetchval(DELETE, synonym_id) is None:
        raise NotFound("search.synonym_not_found", "No such synonym.")
    await audit.record(conn, "search.synonym_deleted", actor=actor, target_type="synonym", target_id=synonym_id)
    await enqueue(conn, PushSynonyms(), dedupe_key="search.synonyms")


def as_map(synonyms: Sequence[Synonym]) -> dict[str, list[str]]:
    """Meilisearch's form: every term → the terms it also finds (one-way: only the first term)."""
    out: dict[str, list[str]] = {}
    for s in synonyms:
        sources = s.terms[:1] if s.one_way else s.terms
        for term in sources:
            targets = out.setdefault(term, [])
            targets.extend(t for t in s.terms if t != term and t not in targets)
    return out


async def synonym_map(db: Database) -> dict[str, list[str]]:
    async with db.connection() as conn:
        return as_map(await list_synonyms(conn))
