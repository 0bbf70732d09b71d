"""Inventory's nameko entrypoints: parse, call one handler, serialize."""
import base64

from nameko.timer import timer

from contracts import inventory as schemas, opening as opening_schemas
from contracts.base import load
from contracts.imports import ImportJobSchema
from contracts.scope import split_actor
from infra import config, imports
from infra.consumer import event_handler
from infra.dependencies import Database
from infra.rpc import rpc
from infra import operations
from services.inventory import (board, channels, handlers, history, holds, openings, prices,
                                progress, sales, scope, structure)
from services.inventory.models import metadata
from services.inventory.selection_batches import SelectionBatches

SELECTIONS = SelectionBatches()


class InventoryService(operations.OperationsRpc):
    name = "inventory"
    uow = Database(metadata)

    @rpc
    def create_project(self, payload):
        cmd = load(schemas.CreateProjectSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.ProjectSchema.shared().dump(handlers.create_project(uow, cmd))

    @rpc
    def hold_unit(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.HoldUnitSchema.shared(), payload)
        with self.uow() as uow:
            scope.new_hold(uow.session, actor, cmd)
            hold = holds.hold_unit(uow, cmd)
            return schemas.UnitSchema.shared().dump(handlers.unit_view(uow.session, hold["unit_id"]))

    @rpc(idempotent=True)
    def get_hold(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetHoldSchema.shared(), payload)
        with self.uow() as uow:
            scope.hold(uow.session, actor, query["hold_id"])
            return schemas.HoldSchema.shared().dump(holds.get_hold(uow.session, query["hold_id"],
                                                            query["channel_id"]))

    @rpc(idempotent=True)
    def list_holds(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.ListHoldsSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.HoldListSchema.shared().dump({"holds": holds.open_holds(
                uow.session, actor, query["status"], query["expiring_within_hours"],
                query["limit"], query["channel_id"])})

    @rpc
    def approve_hold(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ApproveHoldSchema.shared(), payload)
        with self.uow() as uow:
            scope.hold(uow.session, actor, cmd["hold_id"])
            return schemas.HoldSchema.shared().dump(holds.approve_hold(uow, cmd))

    @rpc
    def extend_hold(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ExtendHoldSchema.shared(), payload)
        with self.uow() as uow:
            scope.hold(uow.session, actor, cmd["hold_id"])
            return schemas.HoldSchema.shared().dump(holds.extend_hold(uow, cmd))

    @rpc
    def release_hold(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.ReleaseHoldSchema.shared(), payload)
        with self.uow() as uow:
            scope.hold(uow.session, actor, cmd["hold_id"])
            return schemas.HoldSchema.shared().dump(holds.release_hold(uow, cmd))

    @rpc
    def join_waitlist(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.JoinWaitlistSchema.shared(), payload)
        with self.uow() as uow:
            scope.new_hold(uow.session, actor, cmd)
            return schemas.WaitlistEntrySchema.shared().dump(holds.join_waitlist(uow, cmd))

    @rpc(idempotent=True)
    def get_waitlist_entry(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetWaitlistEntrySchema.shared(), payload)
        with self.uow() as uow:
            scope.waitlist_entry(uow.session, actor, query["entry_id"])
            return schemas.WaitlistEntrySchema.shared().dump(holds.get_entry(uow.session,
                                                                      query["entry_id"]))

    @rpc
    def withdraw_from_waitlist(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.WithdrawFromWaitlistSchema.shared(), payload)
        with self.uow() as uow:
            scope.waitlist_entry(uow.session, actor, cmd["entry_id"])
            return schemas.WaitlistEntrySchema.shared().dump(holds.withdraw_from_waitlist(uow, cmd))

    @rpc(idempotent=True)
    def get_unit(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetUnitSchema.shared(), payload)
        with self.uow() as uow:
            scope.unit(uow.session, actor, query["unit_id"])
            channels.check_unit(uow.session, query["channel_id"], query["unit_id"])
            return schemas.UnitSchema.shared().dump(handlers.unit_view(uow.session, query["unit_id"]))

    @rpc(idempotent=True)
    def get_board(self, payload):
        actor, payload = split_actor(payload)
        """The board (contracts.inventory.BoardSchema) as gzipped JSON text, passed on
        unparsed: {"gzip_base64": …}."""
        query = load(schemas.GetBoardSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            board.begin_snapshot(uow.session)
            channels.check_project(uow.session, query["channel_id"], query["project_id"])
            return board.packed_board(uow.session, query["project_id"], query["building"],
                                      query["rooms"])

    @rpc(idempotent=True)
    def get_board_xlsx(self, payload):
        actor, payload = split_actor(payload)
        """The board as an XLSX workbook: {"file_name", "content_base64"}."""
        query = load(schemas.GetBoardSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            board.begin_snapshot(uow.session)
            channels.check_project(uow.session, query["channel_id"], query["project_id"])
            grid = board.board(uow.session, query["project_id"], query["building"])
        return {"file_name": f"board-{grid['project']['code']}.xlsx",
                "content_base64": base64.b64encode(board.board_workbook(grid)).decode("ascii")}

    @rpc(idempotent=True)
    def get_unit_history(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetUnitSchema.shared(), payload)
        with self.uow() as uow:
            scope.unit(uow.session, actor, query["unit_id"])
            channels.check_unit(uow.session, query["channel_id"], query["unit_id"])
            return schemas.UnitHistorySchema.shared().dump(history.unit_history(uow.session,
                                                                         query["unit_id"]))

    @rpc
    def add_unit(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.AddUnitSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            unit_id = structure.add_unit(uow, cmd)
            return schemas.UnitSchema.shared().dump(handlers.unit_view(uow.session, unit_id))

    @rpc
    def generate_building(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.GenerateBuildingSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            return schemas.GeneratedBuildingSchema.shared().dump(structure.generate_building(uow, cmd))

    @rpc
    def upload_unit_table(self, payload):
        """A chunk of a table of rooms to import; the last one queues the import job."""
        actor, payload = split_actor(payload)
        cmd = load(schemas.UnitTableChunkSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            channels.visible_project(uow.session, cmd["project_id"], cmd["channel_id"])
            job = imports.receive_chunk(
                uow, metadata.tables, "units", cmd,
                {"project_id": cmd["project_id"], "channel_id": cmd["channel_id"]},
                structure.check_import_header)
        return ImportJobSchema.shared().dump(job)

    @rpc(idempotent=True)
    def get_unit_import(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetUnitImportSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            channels.visible_project(uow.session, query["project_id"], query["channel_id"])
            return ImportJobSchema.shared().dump(imports.get_job(
                uow.session, metadata.tables, "units", query["job_id"],
                lambda params: params["project_id"] == query["project_id"]))

    @timer(interval=config.import_poll_seconds())
    def run_imports(self):
        while imports.run_next(self.uow, metadata.tables, {
                "units": (schemas.MAX_IMPORT_ROWS, structure.run_import)}):
            pass

    @rpc
    def create_channel(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.CreateChannelSchema.shared(), payload)
        with self.uow() as uow:
            scope.projects(actor, cmd["project_ids"])
            return schemas.ChannelSchema.shared().dump(channels.create_channel(uow, cmd))

    @rpc
    def set_channel_projects(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetChannelProjectsSchema.shared(), payload)
        with self.uow() as uow:
            scope.projects(actor, cmd["project_ids"])
            scope.channel(uow.session, actor, cmd["channel_id"])
            return schemas.ChannelSchema.shared().dump(channels.set_projects(uow, cmd))

    @rpc(idempotent=True)
    def get_channel(self, payload):
        query = load(schemas.GetChannelSchema.shared(), payload)
        with self.uow() as uow:
            return schemas.ChannelSchema.shared().dump(channels.channel_view(uow.session,
                                                                      query["channel_id"]))

    @rpc
    def set_weekly_plan(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.SetWeeklyPlanSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            return schemas.QuarterlyProgressSchema.shared().dump(progress.set_plan(uow, cmd))

    @rpc(idempotent=True)
    def get_quarterly_progress(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetProgressSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.QuarterlyProgressSchema.shared().dump(progress.quarterly_progress(
                uow.session, query["project_id"], query["year"], query["quarter"],
                query["channel_id"]))

    @rpc
    def create_price_list(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(schemas.CreatePriceListSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            return schemas.PriceListSchema.shared().dump(prices.create_price_list(uow, cmd))

    @rpc(idempotent=True)
    def list_price_lists(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetPriceListsSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.PriceListsSchema.shared().dump(prices.list_versions(
                uow.session, query["project_id"], query["channel_id"]))

    @rpc(idempotent=True)
    def get_price_list(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetPriceListSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, query["project_id"])
            return schemas.PriceListSchema.shared().dump(prices.get_version(
                uow.session, query["project_id"], query["version"], query["channel_id"]))

    @rpc(idempotent=True)
    def get_unit_price(self, payload):
        actor, payload = split_actor(payload)
        query = load(schemas.GetUnitPriceSchema.shared(), payload)
        with self.uow() as uow:
            scope.unit(uow.session, actor, query["unit_id"])
            return schemas.UnitPriceSchema.shared().dump(prices.price_at(
                uow.session, query["unit_id"], query["at"], query["channel_id"]))

    @rpc
    def create_opening(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.CreateOpeningSchema.shared(), payload)
        with self.uow() as uow:
            scope.project(actor, cmd["project_id"])
            return opening_schemas.OpeningSchema.shared().dump(openings.create_opening(uow, cmd))

    @rpc(idempotent=True)
    def get_opening(self, payload):
        actor, payload = split_actor(payload)
        query = load(opening_schemas.OpeningQuery.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, query["opening_id"])
            return opening_schemas.OpeningSchema.shared().dump(openings.opening_view(
                uow.session, openings.found(uow.session, query["opening_id"])))

    @rpc
    def set_opening_entrants(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.SetEntrantsSchema.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, cmd["opening_id"])
            return opening_schemas.OpeningSchema.shared().dump(openings.set_entrants(uow, cmd))

    @rpc
    def announce_lottery_seed(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.AnnounceSeedSchema.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, cmd["opening_id"])
            return opening_schemas.OpeningOrderSchema.shared().dump(
                openings.announce_seed(uow, cmd))

    @rpc(idempotent=True)
    def get_opening_order(self, payload):
        actor, payload = split_actor(payload)
        query = load(opening_schemas.OpeningQuery.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, query["opening_id"])
            return opening_schemas.OpeningOrderSchema.shared().dump(openings.order_view(
                uow.session, openings.found(uow.session, query["opening_id"])))

    @rpc
    def select_unit(self, payload):
        """Decided with the other requests waiting in this process, in the order received
        (`selection_batches`); the scope is checked with the rules."""
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.SelectUnitSchema.shared(), payload)
        return opening_schemas.SelectionSchema.shared().dump(
            SELECTIONS.decide(self.uow, actor, cmd))

    @rpc
    def close_opening(self, payload):
        actor, payload = split_actor(payload)
        cmd = load(opening_schemas.CloseOpeningSchema.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, cmd["opening_id"])
            return opening_schemas.OpeningSchema.shared().dump(openings.close_opening(uow, cmd))

    @rpc(idempotent=True)
    def get_opening_results_xlsx(self, payload):
        actor, payload = split_actor(payload)
        query = load(opening_schemas.OpeningQuery.shared(), payload)
        with self.uow() as uow:
            scope.opening(uow.session, actor, query["opening_id"])
            return openings.results_file(uow.session, query["opening_id"])

    @event_handler("transactions.deposit_received", batch_size=50)
    def on_deposits_received(self, events):
        self.uow.handle_batch(events, handlers.reserve_for_deposit,
                              order=handlers.reservation_order)

    @event_handler("transactions.subscription_signed")
    def on_subscription_signed(self, event):
        self.uow.handle_once(event, sales.advance_sale)

    @event_handler("transactions.contract_signed")
    def on_contract_signed(self, event):
        self.uow.handle_once(event, sales.advance_sale)

    @event_handler("transactions.contract_filed")
    def on_contract_filed(self, event):
        self.uow.handle_once(event, sales.advance_sale)

    @event_handler("transactions.refund_approved")
    def on_refund_approved(self, event):
        self.uow.handle_once(event, sales.release_unit)

    @event_handler("transactions.deposit_forfeited")
    def on_deposit_forfeited(self, event):
        self.uow.handle_once(event, sales.release_unit)

    @event_handler("transactions.swap_approved")
    def on_swap_approved(self, event):
        self.uow.handle_once(event, sales.swap_reservation)

    @event_handler("transactions.selection_unfunded")
    def on_selection_unfunded(self, event):
        self.uow.handle_once(event, holds.release_unfunded_selection)

    @timer(interval=config.hold_sweep_seconds())
    def expire_holds(self):
        with self.uow() as uow:
            holds.expire(uow)

    @timer(interval=config.hold_sweep_seconds())
    def apply_price_lists(self):
        with self.uow() as uow:
            prices.apply_due(uow.session)
            uow.commit()

