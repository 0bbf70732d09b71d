"""Monthly mortgage repayments (为客户核算每月的还款数额), pure Decimal arithmetic.

Every amount is rounded to the fen with ROUND_HALF_UP; the last month takes what rounding left
over, so the principal parts add up to the loan exactly. No float anywhere.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

FEN = Decimal("0.01")
EQUAL_INSTALLMENTS, EQUAL_PRINCIPAL = "equal_installments", "equal_principal"  # 等额本息 / 等额本金
METHODS = (EQUAL_INSTALLMENTS, EQUAL_PRINCIPAL)


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Month:
    number: int
    payment: Decimal
    principal: Decimal
    interest: Decimal
    remaining: Decimal


def _check(principal: Decimal, annual_rate: Decimal, months: int) -> None:
    if not isinstance(principal, Decimal) or not isinstance(annual_rate, Decimal):
        raise TypeError("principal and rate are Decimal")
    if principal <= 0 or months < 1 or annual_rate < 0:
        raise ValueError("a positive principal, a rate of 0 or more and at least one month")


def equal_installment_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """等额本息: the same payment every month, P·r·(1+r)^n / ((1+r)^n − 1), r = annual / 12."""
    _check(principal, annual_rate, months)
    if annual_rate == 0:
        return fen(principal / months)
    with localcontext() as context:
        context.prec = 50
        rate = annual_rate / 12
        growth = (1 + rate) ** months
        return fen(principal * rate * growth / (growth - 1))


def schedule(principal: Decimal, annual_rate: Decimal, months: int, method: str) -> list[Month]:
    """Month by month: payment, principal part, interest (remaining × r, to the fen), what
    remains owed."""
    _check(principal, annual_rate, months)
    if method not in METHODS:
        raise ValueError(f"unknown repayment method {method}")
    rate = annual_rate / 12
    level = equal_installment_payment(principal, annual_rate, months)
    principal_part = fen(principal / months)
    remaining, rows = principal, []
    for number in range(1, months + 1):
        interest = fen(remaining * rate)
        if number == months:
            part = remaining
        elif method == EQUAL_INSTALLMENTS:
            part = level - interest
        else:
            part = principal_part
        remaining -= part
        rows.append(Month(number, part + interest, part, interest, remaining))
    return rows


def summary(principal: Decimal, annual_rate: Decimal, months: int, method: str) -> dict:
    rows = schedule(principal, annual_rate, months, method)
    total = sum((row.payment for row in rows), Decimal("0.00"))
    return {"method": method, "principal": principal, "annual_rate": annual_rate,
            "months": months, "first_payment": rows[0].payment, "last_payment": rows[-1].payment,
            "monthly_decrease": (rows[0].payment - rows[1].payment) if months > 1 else FEN * 0,
            "total_payment": total, "total_interest": total - principal}
