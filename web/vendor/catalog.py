"""Vendor pages: the catalog list with filters and bulk actions, CSV import (with dry run) and export."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx
from marketplace.core.errors import DomainError
from marketplace.core.storage import LocalStorage, TooLarge, chunks_of
from vendors import categories, groups, imports, jobs, service
from vendors.bmecat_package import ZIP_MAGIC
from vendors.models import ProductStatus
from web.forms import FormErrors, read_form, render_form
from web.session import redirect

AnyRequest = Request[Any, Any, Any]
STATUSES = [("", "Any status")] + [(s.value, s.value.replace("_", " ")) for s in ProductStatus]
MAX_UPLOAD = 512 * 1024 * 1024  # BMEcat files and packages (streamed; spooled by the form parser)
MAX_CSV = 64 * 1024 * 1024  # a CSV is parsed in memory


@get("/vendor/catalog", name="vendor_catalog")
async def catalog(
    conn: Tx, actor: CurrentActor, status: FromQuery[str] = "", q: FromQuery[str] = "", page: FromQuery[int] = 1
) -> Template:
    page = max(1, min(page, 10_000))
    rows, total = await service.list_products(
        conn, actor, status=status or None, query=q.strip()[:100] or None, page=page
    )
    return Template(
        template_name="vendor/catalog.html",
        context={
            "actor": actor,
            "products": rows,
            "total": total,
            "status": status,
            "q": q,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "statuses": STATUSES,
        },
    )


@post("/vendor/catalog/bulk")
async def bulk(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any]:
    form = await request.form()
    action = form.get("action")
    targets = {"submit": ProductStatus.PENDING_REVIEW, "archive": ProductStatus.ARCHIVED}
    ids = [int(v) for v in form.getall("product_id") if str(v).isdigit() and len(str(v)) < 18][:500]
    if action not in targets or not ids:
        return redirect("/vendor/catalog?bulk=nothing")
    done, failed = 0, 0
    for product_id in ids:
        try:
            async with conn.transaction():
                await service.change_status(conn, actor, product_id, targets[str(action)])
            done += 1
        except DomainError:
            failed += 1
    return redirect(f"/vendor/catalog?bulk={action}&done={done}&failed={failed}")


@get("/vendor/catalog/import", name="vendor_import")
async def import_page(actor: CurrentActor) -> Template:
    service.vendor_of(actor, write=True)
    return Template(template_name="vendor/import.html", context={"actor": actor, "report": None})


def error_report(report: imports.ImportReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["row", "column", "reason"])
    writer.writerows([e.row, e.column, e.reason] for e in report.errors)
    return out.getvalue()


@post("/vendor/catalog/import", request_max_body_size=MAX_UPLOAD)
async def run_import(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State) -> Response[Any] | Template:
    """Store the upload and start the import job; the next page shows its progress."""
    service.vendor_of(actor, write=True)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return Template(
            template_name="vendor/import.html",
            context={
                "actor": actor,
                "report": None,
                "problem": "Choose a CSV or BMEcat (XML or .zip package) file to import.",
            },
            status_code=422,
        )
    name = upload.filename
    head = await upload.read(4)
    await upload.seek(0)
    # A zip (by its first bytes) is a BMEcat package: the XML and the media files it names.
    is_xml = name.lower().endswith(".xml") or "xml" in (upload.content_type or "")
    fmt = "bmecat" if head == ZIP_MAGIC or is_xml else "csv"
    try:
        key, _ = await LocalStorage(state.settings.storage_dir).save(
            f"imports/{actor.company_id}", chunks_of(upload), max_bytes=MAX_UPLOAD if fmt == "bmecat" else MAX_CSV
        )
    except TooLarge as exc:
        return Template(
            template_name="vendor/import.html",
            context={"actor": actor, "report": None, "problem": f"The file is {exc}."},
            status_code=422,
        )
    run = await jobs.start_import(
        conn,
        actor,
        format=fmt,
        filename=name,
        storage_key=key,
        dry_run=form.get("dry_run") == "on",
        mode="partial" if form.get("mode") == "partial" else "all",
    )
    return redirect(f"/vendor/catalog/imports/{run.id}")


@get("/vendor/catalog/imports/{import_id:int}", name="vendor_import_run")
async def import_run(request: AnyRequest, conn: Tx, actor: CurrentActor, import_id: PathId) -> Template:
    """The import's progress (htmx polls the fragment until it is done) and then its report."""
    run = await jobs.get_import(conn, actor, import_id)
    fragment = request.headers.get("hx-request") == "true"
    return Template(
        template_name="vendor/import_progress.html" if fragment else "vendor/import_run.html",
        context={"actor": actor, "run": run},
        headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
    )


@get("/vendor/catalog/imports/{import_id:int}/errors.csv")
async def import_errors(conn: Tx, actor: CurrentActor, import_id: PathId) -> Response[str]:
    run = await jobs.get_import(conn, actor, import_id)
    body = error_report(run.report) if run.report else "row;column;reason\n"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{run.id}-errors.csv"'},
    )


async def _groups_context(conn: Tx, actor: CurrentActor) -> dict[str, Any]:
    return {
        "actor": actor,
        "nodes": await groups.vendor_groups(conn, actor),
        "categories": await categories.all_categories(conn),
    }


@get("/vendor/catalog/groups", name="vendor_groups")
async def groups_page(conn: Tx, actor: CurrentActor) -> Template:
    """The vendor's own catalog groups (from BMEcat) and the platform category each one stands for."""
    return Template(template_name="vendor/groups.html", context={**await _groups_context(conn, actor), "values": {}})


@post("/vendor/catalog/groups")
async def choose_group_categories(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    """Fields ``category-<group id>``: a category id, or empty for "match automatically"."""
    data = await read_form(request)
    choices: dict[int, int | None] = {}
    problems: dict[str, str] = {}
    for field, value in data.items():
        group_id = field.removeprefix("category-")
        if group_id == field or not group_id.isdigit() or len(group_id) > 18 or not isinstance(value, str):
            continue
        if value and not (value.isdigit() and len(value) < 19):
            problems[field] = "Choose a category from the list."
            continue
        choices[int(group_id)] = int(value) if value else None
    try:
        if problems:
            raise FormErrors(problems)
        await groups.choose_categories(conn, actor, choices)
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        return render_form("vendor/groups.html", exc, values=data, **await _groups_context(conn, actor))
    return redirect("/vendor/catalog/groups?saved=1")


@get("/vendor/catalog/export.csv", name="vendor_export")
async def export(conn: Tx, actor: CurrentActor) -> Response[str]:
    return Response(
        await imports.export_csv(conn, actor),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="catalog.csv"'},
    )


ROUTES = [
    catalog,
    bulk,
    import_page,
    run_import,
    import_run,
    import_errors,
    groups_page,
    choose_group_categories,
    export,
]
