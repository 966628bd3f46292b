"""JSON API of RFQs and tenders: ``/api/v1/rfqs`` for buyers, ``/api/v1/vendor/rfqs`` for vendors."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import FormMultiDict, State, UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from marketplace.core import files
from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import RuleViolation
from marketplace.core.storage import LocalStorage, chunks_of
from rfq import amendments, attachments, awards, bids, questions, service
from rfq.amendments import AmendmentPreview
from rfq.commands import (
    AmendmentIn,
    AnswerIn,
    AwardIn,
    BafoIn,
    BidIn,
    FileRemovalIn,
    InviteIn,
    QuestionIn,
    RevisionRequestIn,
    RfqFileIn,
    RfqIn,
)
from rfq.models import Amendment, Award, BidAttachment, Invitation, Question, Receipt, RfqAttachment, Status
from rfq.schemas import (
    InboxItemOut,
    InvitationAnswerIn,
    OpenedBidOut,
    OwnBidOut,
    RfqHistoryOut,
    RfqOut,
    RfqSummaryOut,
    ScoresIn,
    TransitionIn,
    VendorRfqOut,
)

Page = Annotated[int, QueryParameter(ge=1, le=10_000)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=100,
        description="Send the same key to retry a submission safely: it is stored once.",
    ),
]
PAGE_SIZE = 50
Summary = Annotated[str | None, QueryParameter(min_length=1, max_length=2000, required=False)]
S = TypeVar("S", bound=msgspec.Struct)


def _etag(version: int, rfq_id: int) -> str:
    return f'"rfq-{rfq_id}-{version}"'


def _upload(form: FormMultiDict) -> UploadFile:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise RuleViolation("rfq.file_missing", "Send the file as multipart form field `file`.", field="file")
    return upload


def _fields(form: FormMultiDict, cmd_type: type[S]) -> S:
    """The form fields beside the file, validated by ``cmd_type`` (400 with the field named, like JSON)."""
    raw = {name: value for name in cmd_type.__struct_fields__ if isinstance(value := form.get(name), str) and value}
    try:
        return msgspec.convert(raw, cmd_type, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationException(detail=str(exc)) from None


def _download(found: attachments.Download) -> Stream:
    return files.download(found.chunks, filename=found.filename, content_type=found.content_type)


class RfqController(Controller):
    path = "/rfqs"
    tags = ("rfqs",)

    @post("/", summary="Draft an RFQ or tender (requester, buyer, admin)")
    async def create(self, conn: Tx, actor: CurrentActor, state: State, data: JSONBody[RfqIn]) -> RfqOut:
        created = await service.create_rfq(conn, actor, data, settings=state.settings)
        return RfqOut.from_detail(await service.detail(conn, created))

    @get("/", summary="Your company's RFQs and tenders")
    async def list_rfqs(
        self, conn: Tx, actor: CurrentActor, status: FromQuery[Status | None] = None, page: Page = 1
    ) -> list[RfqSummaryOut]:
        found, _ = await service.list_own(conn, actor, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return [RfqSummaryOut.from_record(r) for r in found]

    @get("/{rfq_id:int}", summary="One of your RFQs with lots and lines")
    async def read(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> Response[RfqOut]:
        current = await service.get_own(conn, actor, rfq_id)
        current = await service.close_if_due(conn, current, settings=state.settings)
        return Response(
            RfqOut.from_detail(await service.detail(conn, current)), headers={"ETag": _etag(current.version, rfq_id)}
        )

    @put("/{rfq_id:int}", summary="Replace a draft (send the version you read)")
    async def update(
        self, conn: Tx, actor: CurrentActor, rfq_id: PathId, data: JSONBody[RfqIn], version: FromQuery[int]
    ) -> RfqOut:
        updated = await service.update_draft(conn, actor, rfq_id, data, version=version)
        return RfqOut.from_detail(await service.detail(conn, updated))

    @post(
        "/{rfq_id:int}/transitions",
        summary="Move an RFQ: submit for approval, approve, publish, evaluate, mark unsuccessful, cancel",
        description="The transition table is in docs/rfq.md. Cancelling needs a reason. Evaluating with fewer "
        "valid offers than the procedure's minimum needs a reason that says 'proceed' (logged).",
        status_code=200,
    )
    async def transition(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[TransitionIn]
    ) -> RfqOut:
        moved = await service.move(conn, actor, rfq_id, Status(data.to), reason=data.reason, settings=state.settings)
        return RfqOut.from_detail(await service.detail(conn, moved))

    @get("/{rfq_id:int}/history", summary="Status history and invitations")
    async def history(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> RfqHistoryOut:
        record = await service.record_of(conn, actor, rfq_id)
        return RfqHistoryOut(invitations=record.invitations, history=record.history)

    @post("/{rfq_id:int}/invitations", summary="Invite vendor companies or suppliers by email", status_code=200)
    async def invite(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[InviteIn]
    ) -> list[Invitation]:
        return await service.invite(conn, actor, rfq_id, data, settings=state.settings)

    @get(
        "/{rfq_id:int}/bids",
        summary="Offers you may read now",
        description="RFQ quotes as they arrive; sealed tender bids only after the deadline (before it: an empty list).",
    )
    async def offers(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> list[OpenedBidOut]:
        current = await service.close_if_due(conn, await service.get_own(conn, actor, rfq_id), settings=state.settings)
        return [
            OpenedBidOut(
                bid_id=b.bid.id,
                vendor_id=b.bid.vendor_id,
                vendor_name=b.vendor_name,
                status=b.bid.status,
                version=b.version,
                submitted_at=b.submitted_at,
                valid_for_revision=b.valid_for_revision,
                turn=b.bid.turn,
                round=b.bid.round,
                content=b.content,
            )
            for b in await bids.opened_bids(conn, current, settings=state.settings)
        ]

    @post(
        "/{rfq_id:int}/bids/{bid_id:int}/revision-request", summary="Ask a vendor for a revised quote", status_code=200
    )
    async def revision(
        self,
        conn: Tx,
        actor: CurrentActor,
        state: State,
        rfq_id: PathId,
        bid_id: PathId,
        data: JSONBody[RevisionRequestIn],
    ) -> dict[str, Any]:
        bid = await bids.request_revision(conn, actor, rfq_id, bid_id, data, settings=state.settings)
        return {"bid_id": bid.id, "turn": bid.turn, "round": bid.round, "respond_by": bid.respond_by}

    @put("/{rfq_id:int}/bids/{bid_id:int}/scores", summary="Score an offer on the tender's manual criteria")
    async def scores(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_id: PathId, data: JSONBody[ScoresIn]
    ) -> dict[str, dict[str, int]]:
        found = await awards.set_scores(conn, actor, rfq_id, bid_id, data.scores, settings=state.settings)
        return {str(k): v for k, v in found.items()}

    @post("/{rfq_id:int}/bafo", summary="Open a best-and-final-offer round for a shortlist (tenders)", status_code=200)
    async def bafo(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[BafoIn]) -> RfqOut:
        current = await bids.start_bafo(conn, actor, rfq_id, data, settings=state.settings)
        return RfqOut.from_detail(await service.detail(conn, current))

    @post("/{rfq_id:int}/award", summary="Award lines to offers (approver or admin, after evaluation)")
    async def award(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[AwardIn]
    ) -> Award:
        return await awards.award(conn, actor, rfq_id, data, settings=state.settings)

    @get("/{rfq_id:int}/award", summary="The award: lines, vendors, locked prices, when it becomes final")
    async def read_award(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> Award:
        return await awards.get_award(conn, actor, rfq_id)

    @post(
        "/{rfq_id:int}/attachments",
        summary="Attach a document or drawing to the request or one of its lines",
        description="Multipart form: `file`, optional `line_id`. The type is checked by content (PDF, images, "
        "TIFF, ZIP-based office files, DWG, STEP) and the size by `TRADEYARD_RFQ_FILE_MAX_BYTES`. Drafts take "
        "files freely; after publication a file comes with an amendment: send `summary` (what vendors read) and "
        "`material=true` when the file changes what is asked (offers must then be re-confirmed).",
        request_max_body_size=attachments.MAX_UPLOAD_BODY,
    )
    async def attach_file(
        self, request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
    ) -> RfqAttachment:
        await service.get_own(conn, actor, rfq_id)  # another company's request: 404 before reading the body
        form = await request.form()
        upload = _upload(form)
        return await attachments.add_rfq_file(
            conn,
            actor,
            rfq_id,
            _fields(form, RfqFileIn),
            filename=upload.filename or "",
            chunks=chunks_of(upload),
            storage=LocalStorage(state.settings.storage_dir),
            settings=state.settings,
        )

    @get("/{rfq_id:int}/attachments", summary="The request's files (those withdrawn by an amendment too)")
    async def list_files(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[RfqAttachment]:
        return await attachments.rfq_files(conn, actor, rfq_id)

    @get(
        "/{rfq_id:int}/attachments/{attachment_id:int}",
        summary="Download one of the request's files",
    )
    async def download_file(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, attachment_id: PathId
    ) -> Stream:
        storage = LocalStorage(state.settings.storage_dir)
        return _download(await attachments.rfq_file(conn, actor, rfq_id, attachment_id, storage=storage))

    @delete(
        "/{rfq_id:int}/attachments/{attachment_id:int}",
        summary="Delete a draft's file, or withdraw a published request's file with an amendment",
        description="After publication send `summary` (and `material=true` when withdrawing the file changes what "
        "is asked); the file stays on record with the revision that withdrew it.",
    )
    async def delete_file(
        self,
        conn: Tx,
        actor: CurrentActor,
        state: State,
        rfq_id: PathId,
        attachment_id: PathId,
        summary: Summary = None,
        material: FromQuery[bool] = False,
    ) -> None:
        cmd = FileRemovalIn(summary=summary, material=material)
        await attachments.remove_rfq_file(conn, actor, rfq_id, attachment_id, cmd, settings=state.settings)

    @get(
        "/{rfq_id:int}/bids/{bid_id:int}/attachments",
        summary="The files of an offer you may read",
        description="RFQ quotes: as they arrive; sealed tender bids: only after opening (before it: 404).",
    )
    async def offer_files(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_id: PathId
    ) -> list[BidAttachment]:
        return await attachments.offer_files(conn, actor, rfq_id, settings=state.settings, bid_id=bid_id)

    @get(
        "/{rfq_id:int}/bids/{bid_id:int}/attachments/{bid_attachment_id:int}",
        summary="Download a file of an offer you may read",
    )
    async def offer_file(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_id: PathId, bid_attachment_id: PathId
    ) -> Stream:
        found = await attachments.offer_file(
            conn,
            actor,
            rfq_id,
            bid_id,
            bid_attachment_id,
            storage=LocalStorage(state.settings.storage_dir),
            settings=state.settings,
        )
        return _download(found)

    @get("/{rfq_id:int}/questions", summary="Vendors' questions (askers shown by their per-request alias only)")
    async def list_questions(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[Question]:
        return await questions.buyer_questions(conn, actor, rfq_id)

    @post(
        "/{rfq_id:int}/questions/{question_id:int}/answer",
        summary="Answer a question for every vendor at once (buyer, admin)",
        status_code=200,
    )
    async def answer_question(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, question_id: PathId, data: JSONBody[AnswerIn]
    ) -> Question:
        return await questions.answer_question(conn, actor, rfq_id, question_id, data, settings=state.settings)

    @post(
        "/{rfq_id:int}/amendments",
        summary="Amend a published request (buyer, admin): a new revision vendors see field by field",
        description="Material changes (lines added or removed, quantities, units, delivery, a shorter deadline) "
        "require bids to be re-confirmed and extend the deadline to the procedure's minimum remaining time. "
        "`kind`, `currency`, `criteria` and `visibility` are frozen at publication (422).",
    )
    async def amend(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[AmendmentIn]
    ) -> Amendment:
        return await amendments.amend(conn, actor, rfq_id, data, settings=state.settings)

    @post(
        "/{rfq_id:int}/amendments/preview",
        summary="Preview an amendment: its field-by-field changes, whether it is material, the resulting deadline",
        description="The same checks and errors as `POST /amendments`, but nothing is written. The deadline of a "
        "material amendment is judged on the database clock at the moment of the call.",
        status_code=200,
    )
    async def preview_amendment(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[AmendmentIn]
    ) -> AmendmentPreview:
        return await amendments.preview_amendment(conn, actor, rfq_id, data, settings=state.settings)

    @get("/{rfq_id:int}/amendments", summary="The amendments of one of your requests")
    async def list_amendments(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[Amendment]:
        return await amendments.buyer_amendments(conn, actor, rfq_id)


class VendorRfqController(Controller):
    path = "/vendor/rfqs"
    tags = ("rfqs (vendor)",)

    @get("/", summary="Requests you are invited to and public ones in your categories")
    async def inbox(
        self, conn: Tx, actor: CurrentActor, open_only: FromQuery[bool] = False, page: Page = 1
    ) -> list[InboxItemOut]:
        found, _ = await service.list_inbox(
            conn, actor, open_only=open_only, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        return [
            InboxItemOut(
                id=i.rfq.id,
                kind=i.rfq.kind,
                title=i.rfq.title,
                status=i.rfq.status,
                closes_at=i.rfq.closes_at,
                invitation=i.invitation,
                bid_status=i.bid_status,
            )
            for i in found
        ]

    @get("/{rfq_id:int}", summary="One request as vendors see it")
    async def read(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> Response[VendorRfqOut]:
        current = await service.get_visible(conn, actor, rfq_id)
        return Response(
            VendorRfqOut.from_detail(await service.detail(conn, current)),
            headers={"ETag": _etag(current.version, rfq_id)},
        )

    @post("/{rfq_id:int}/invitation", summary="Accept or decline an invitation", status_code=204)
    async def answer(self, conn: Tx, actor: CurrentActor, rfq_id: PathId, data: JSONBody[InvitationAnswerIn]) -> None:
        await service.respond_to_invitation(conn, actor, rfq_id, accept=data.accept, reason=data.reason)

    @put(
        "/{rfq_id:int}/bid",
        summary="Submit your quote or bid (a new version each time; signed receipt)",
        description="Accepted only if it reaches the database before the deadline (half-open: at the deadline "
        "instant is late). Send `Idempotency-Key` to retry safely.",
        status_code=201,
    )
    async def submit(
        self,
        conn: Tx,
        actor: CurrentActor,
        state: State,
        rfq_id: PathId,
        data: JSONBody[BidIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Receipt:
        return await bids.submit_bid(
            conn, actor, rfq_id, data, settings=state.settings, idempotency_key=idempotency_key
        )

    @get("/{rfq_id:int}/bid", summary="Your own bid with all its versions")
    async def own(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> OwnBidOut:
        bid, versions = await bids.own_bid(conn, actor, rfq_id, settings=state.settings)
        return OwnBidOut.from_records(bid, versions)

    @post("/{rfq_id:int}/bid/withdraw", summary="Withdraw your bid before the deadline", status_code=200)
    async def withdraw(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> dict[str, str]:
        bid = await bids.withdraw_bid(conn, actor, rfq_id, settings=state.settings)
        return {"status": bid.status}

    @post("/{rfq_id:int}/bid/reconfirm", summary="Re-confirm your unchanged bid after an amendment", status_code=201)
    async def reconfirm(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, idempotency_key: IdempotencyKey = None
    ) -> Receipt:
        return await bids.reconfirm_bid(conn, actor, rfq_id, settings=state.settings, idempotency_key=idempotency_key)

    @get("/{rfq_id:int}/attachments", summary="The request's documents and drawings")
    async def request_files(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[RfqAttachment]:
        return await attachments.vendor_rfq_files(conn, actor, rfq_id)

    @get(
        "/{rfq_id:int}/attachments/{attachment_id:int}",
        summary="Download one of the request's files",
    )
    async def request_file(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, attachment_id: PathId
    ) -> Stream:
        storage = LocalStorage(state.settings.storage_dir)
        return _download(await attachments.vendor_rfq_file(conn, actor, rfq_id, attachment_id, storage=storage))

    @post(
        "/{rfq_id:int}/bid/attachments",
        summary="Attach a file to your offer (until the deadline; sealed with the bid for tenders)",
        description="Multipart form: `file`. Send your offer first. The type is checked by content, the size by "
        "`TRADEYARD_RFQ_FILE_MAX_BYTES`. For tenders the file, its name and size are encrypted: nobody but your "
        "company can read them before the deadline.",
        request_max_body_size=attachments.MAX_UPLOAD_BODY,
    )
    async def attach_bid_file(
        self, request: Request[Any, Any, Any], conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId
    ) -> BidAttachment:
        await service.get_visible(conn, actor, rfq_id)  # a request the vendor cannot see: 404 before the body
        upload = _upload(await request.form())
        return await attachments.add_bid_file(
            conn,
            actor,
            rfq_id,
            filename=upload.filename or "",
            chunks=chunks_of(upload),
            storage=LocalStorage(state.settings.storage_dir),
            settings=state.settings,
        )

    @get("/{rfq_id:int}/bid/attachments", summary="The files of your offer")
    async def bid_files(self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId) -> list[BidAttachment]:
        return await attachments.own_bid_files(conn, actor, rfq_id, settings=state.settings)

    @get(
        "/{rfq_id:int}/bid/attachments/{bid_attachment_id:int}",
        summary="Download a file of your offer",
    )
    async def bid_file(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_attachment_id: PathId
    ) -> Stream:
        found = await attachments.own_bid_file(
            conn,
            actor,
            rfq_id,
            bid_attachment_id,
            storage=LocalStorage(state.settings.storage_dir),
            settings=state.settings,
        )
        return _download(found)

    @delete(
        "/{rfq_id:int}/bid/attachments/{bid_attachment_id:int}",
        summary="Remove a file from your offer (before the deadline)",
    )
    async def remove_bid_file(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, bid_attachment_id: PathId
    ) -> None:
        await attachments.remove_bid_file(conn, actor, rfq_id, bid_attachment_id, settings=state.settings)

    @post("/{rfq_id:int}/questions", summary="Ask the buyer a question (privately, before questions close)")
    async def ask(
        self, conn: Tx, actor: CurrentActor, state: State, rfq_id: PathId, data: JSONBody[QuestionIn]
    ) -> Question:
        return await questions.ask_question(conn, actor, rfq_id, data, settings=state.settings)

    @get("/{rfq_id:int}/questions", summary="Your own questions and every answered one")
    async def list_questions(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[Question]:
        return await questions.vendor_questions(conn, actor, rfq_id)

    @get("/{rfq_id:int}/questions/{question_id:int}", summary="One question you may read")
    async def question(self, conn: Tx, actor: CurrentActor, rfq_id: PathId, question_id: PathId) -> Question:
        return await questions.vendor_question(conn, actor, rfq_id, question_id)

    @get("/{rfq_id:int}/amendments", summary="What changed since publication, revision by revision")
    async def list_amendments(self, conn: Tx, actor: CurrentActor, rfq_id: PathId) -> list[Amendment]:
        return await amendments.vendor_amendments(conn, actor, rfq_id)
