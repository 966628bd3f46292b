"""JSON API of the accounts domain for machine clients (bearer tokens): who am I, company, addresses, members."""

from __future__ import annotations

from litestar import Controller, get, patch, post, put
from litestar.params import JSONBody

from marketplace.accounts import service
from marketplace.accounts.commands import AddAddress, ChangeMember, UpdateProfile
from marketplace.accounts.schemas import AddressOut, CompanyOut, MemberOut, MeOut
from marketplace.core.actor import CurrentActor
from marketplace.core.db import PathId, Tx


class AccountsController(Controller):
    path = "/"
    tags = ("accounts",)

    @get("/me", summary="The caller: user, company and the token's roles")
    async def me(self, actor: CurrentActor) -> MeOut:
        return MeOut.from_actor(actor)

    @get("/company", summary="The caller's company")
    async def company(self, conn: Tx, actor: CurrentActor) -> CompanyOut:
        return CompanyOut.from_record(await service.get_own_company(conn, actor))

    @put("/company", summary="Update the company's details (admin)")
    async def update_company(self, conn: Tx, actor: CurrentActor, data: JSONBody[UpdateProfile]) -> CompanyOut:
        return CompanyOut.from_record(await service.update_profile(conn, actor, data))

    @get("/company/addresses", summary="Bill-to and ship-to addresses")
    async def addresses(self, conn: Tx, actor: CurrentActor) -> list[AddressOut]:
        return [AddressOut.from_record(a) for a in await service.list_addresses(conn, actor)]

    @get("/company/addresses/{address_id:int}", summary="One address")
    async def address(self, conn: Tx, actor: CurrentActor, address_id: PathId) -> AddressOut:
        return AddressOut.from_record(await service.get_address(conn, actor, address_id))

    @post("/company/addresses", summary="Add an address (admin); the first of a kind becomes its default")
    async def add_address(self, conn: Tx, actor: CurrentActor, data: JSONBody[AddAddress]) -> AddressOut:
        return AddressOut.from_record(await service.add_address(conn, actor, data))

    @get("/company/members", summary="Members with roles and spending limits")
    async def members(self, conn: Tx, actor: CurrentActor) -> list[MemberOut]:
        return [MemberOut.from_record(m) for m in await service.list_members(conn, actor)]

    @get("/company/members/{user_id:int}", summary="One member")
    async def member(self, conn: Tx, actor: CurrentActor, user_id: PathId) -> MemberOut:
        return MemberOut.from_record(await service.get_member(conn, actor, user_id))

    @patch("/company/members/{user_id:int}", summary="Change a member's roles and spending limit (admin)")
    async def change_member(
        self, conn: Tx, actor: CurrentActor, user_id: PathId, data: JSONBody[ChangeMember]
    ) -> MemberOut:
        return MemberOut.from_record(await service.change_member(conn, actor, user_id, data))
