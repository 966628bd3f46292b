"""Questions and answers: vendors ask privately, the buyer answers, every answer reaches all vendors at once.

Readers never learn who asked: the asking company appears only as its per-RFQ alias (an HMAC of the
vendor and the RFQ with a key derived from the server's secret), stable within one RFQ and unlinkable
across RFQs. Not even the buyer sees the asker's name, so answers cannot favour anyone.
"""

from __future__ import annotations

from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, FieldErrors, Forbidden, NotFound, RuleViolation
from marketplace.core.notifications import notify
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import sealing
from rfq.commands import AnswerIn, QuestionIn
from rfq.models import Question, Rfq, Status
from rfq.service import (
    BUYER_AUDIENCE,
    close_if_due,
    deadline_text,
    get_own,
    get_visible,
    require_vendor_role,
    require_verified,
    tell_vendors,
    vendor_of,
)

ANSWER_ROLES = ("buyer", "admin")
QUESTION_NOT_FOUND = "This question does not exist or is not visible to you."


async def ask_question(conn: Connection, actor: Actor, rfq_id: int, cmd: QuestionIn, *, settings: Settings) -> Question:
    """A vendor's private question, before the RFQ's question deadline on the referee clock.

    Raises ``NotFound`` for an RFQ the vendor cannot see, ``Forbidden`` for roles or companies that do not
    take part, ``RuleViolation`` (``rfq.questions_closed``) once questions have closed.
    """
    current = await get_visible(conn, actor, rfq_id, share_lock=True)
    require_vendor_role(actor)
    require_verified(actor)
    if current.status != Status.PUBLISHED:
        raise RuleViolation("rfq.not_open", "Questions are asked while the request is open.", field="body")
    if not await questions_open(conn, current):
        raise RuleViolation(
            "rfq.questions_closed",
            f"Questions closed at {deadline_text(current.questions_close_at, current.buyer_time_zone)}.",
            field="body",
        )
    if cmd.line_id is not None:
        live = {ln.id for ln in await repo.list_lines(conn, current.id) if ln.removed_in is None}
        if cmd.line_id not in live:
            raise FieldErrors({"line_id": "Not a line of this request."}, code="rfq.invalid")
    vendor_id = vendor_of(actor)
    question = await repo.insert_question(
        conn,
        current.id,
        vendor_id=vendor_id,
        asked_by=actor.user_id,
        alias=sealing.question_alias(sealing.question_alias_key(settings), current.id, vendor_id),
        line_id=cmd.line_id,
        body=cmd.body,
    )
    await notify(
        conn,
        company_id=current.buyer_id,
        roles=BUYER_AUDIENCE,
        kind="rfq.question_asked",
        subject=f"New question: {current.title}",
        body=f"A vendor asked a question about '{current.title}'. Answer it for every vendor to read.",
        link=f"/buyer/rfqs/{current.id}/questions",
        dedupe_key=f"rfq:{current.id}:question:{question.id}",
        base_url=settings.public_base_url,
    )
    return question


async def questions_open(conn: Connection, rfq: Rfq) -> bool:
    """Whether vendors may still ask about ``rfq``: it is published and its question deadline has not passed
    on the referee clock (``ask_question`` checks the same)."""
    return rfq.status == Status.PUBLISHED and not await repo.has_passed(conn, rfq.questions_close_at)


async def closing_held(conn: Connection, rfq: Rfq) -> bool:
    """Whether ``rfq`` is past its deadline but kept open because its procedure does not close with questions
    unanswered (``block``); answering the last one closes it (``close_if_due``)."""
    return (
        rfq.status == Status.PUBLISHED
        and rfq.rules.unanswered_questions == "block"
        and await repo.has_passed(conn, rfq.closes_at)
    )


async def vendor_questions(conn: Connection, actor: Actor, rfq_id: int) -> list[Question]:
    """The vendor's own questions (answered or not) and every answered one."""
    current = await get_visible(conn, actor, rfq_id)
    return await repo.list_questions(conn, current.id, reader_vendor_id=vendor_of(actor))


async def vendor_question(conn: Connection, actor: Actor, rfq_id: int, question_id: int) -> Question:
    """One question the vendor may read; another vendor's unanswered question is ``NotFound``."""
    current = await get_visible(conn, actor, rfq_id)
    found = await repo.list_questions(conn, current.id, reader_vendor_id=vendor_of(actor), question_id=question_id)
    if not found:
        raise NotFound("rfq.question_not_found", QUESTION_NOT_FOUND)
    return found[0]


async def buyer_questions(conn: Connection, actor: Actor, rfq_id: int) -> list[Question]:
    """Every question of one of the buyer's RFQs, askers shown by alias only."""
    current = await get_own(conn, actor, rfq_id)
    return await repo.list_questions(conn, current.id, reader_vendor_id=None)


async def answer_question(
    conn: Connection, actor: Actor, rfq_id: int, question_id: int, cmd: AnswerIn, *, settings: Settings
) -> Question:
    """Answer once, for everyone: all invited or participating vendors are told at the same moment.

    Raises ``NotFound`` (not this buyer's RFQ or question), ``Forbidden`` (role), ``Conflict`` (answered).
    """
    current = await get_own(conn, actor, rfq_id, lock=True)
    if not actor.has_any(*ANSWER_ROLES):
        raise Forbidden("rfq.role_required", "Only buyers and admins answer vendors' questions.")
    if current.status != Status.PUBLISHED:
        raise RuleViolation("rfq.not_open", f"A {current.status} request takes no more answers.", field="answer")
    answered = await repo.answer_question(conn, current.id, question_id, answer=cmd.answer, user_id=actor.user_id)
    if answered is None:
        if await repo.list_questions(conn, current.id, reader_vendor_id=None, question_id=question_id):
            raise Conflict("rfq.question_answered", "This question has already been answered.", field="answer")
        raise NotFound("rfq.question_not_found", QUESTION_NOT_FOUND)
    await tell_vendors(
        conn,
        current,
        kind="rfq.question_answered",
        settings=settings,
        key=f"answer:{answered.id}",
        subject=f"Question answered: {current.title}",
        body=f"A question about '{current.title}' was answered. The answer is visible to every vendor.",
    )
    # With 'block', the deadline may already have passed and waited for this answer.
    await close_if_due(conn, current, settings=settings)
    return answered
