"""Which events each service consumes: the single source of queue bindings.

Queues are declared from this table at service start and by `anchang declare`, before any
producer runs, so no event is ever published into nothing.
"""
from contracts.envelope import REGISTRY

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "inventory": ("transactions.deposit_received", "transactions.subscription_signed",
                  "transactions.contract_signed", "transactions.contract_filed",
                  "transactions.refund_approved", "transactions.deposit_forfeited",
                  "transactions.swap_approved", "transactions.selection_unfunded"),
    "leads": ("transactions.deposit_confirmed",),
    "transactions": ("inventory.unit_reserved", "inventory.unit_reservation_rejected",
                     "inventory.reservation_swapped", "inventory.swap_rejected",
                     "leads.visit_recorded", "inventory.unit_selected",
                     "inventory.opening_closed"),
    # finance files every money event: vouchers, the pull feed, the webhooks
    "finance": ("transactions.deposit_received", "transactions.deposit_confirmed",
                "transactions.deposit_rejected", "transactions.payment_received",
                "transactions.receipt_voided", "transactions.refund_approved",
                "transactions.refund_paid", "transactions.deposit_forfeited",
                "transactions.unit_swapped", "transactions.discount_approved",
                "transactions.bank_receipt_confirmed", "transactions.sincerity_received",
                "transactions.sincerity_refunded", "transactions.sincerity_converted"),
    # the archive files every event into the dossiers, its own dossier_opened included
    "archive": tuple(REGISTRY),
}


def queue_name(service: str) -> str:
    return f"anchang.{service}.events"
