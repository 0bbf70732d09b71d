"""Deposit rules, free of frameworks."""
from decimal import Decimal

PENDING, CONFIRMED, REFUND_PENDING = "pending", "confirmed", "refund_pending"

# what inventory's answer does to a pending deposit
OUTCOMES = {"reserved": CONFIRMED, "rejected": REFUND_PENDING}


def settle(status: str, outcome: str) -> str | None:
    """The deposit's next status on inventory's answer, or None when the answer comes too late
    (the deposit was settled already) and must change nothing."""
    if status != PENDING:
        return None
    return OUTCOMES[outcome]


def to_fen(amount: Decimal) -> Decimal:
    """Money is kept to the fen; refuse anything finer rather than round it silently."""
    quantized = amount.quantize(Decimal("0.01"))
    if quantized != amount:
        raise ValueError(f"{amount} has more than two decimal places")
    return quantized
