"""Deposit rules, free of frameworks."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
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


# --- order forms (定单), receipts and the sale documents ---------------------------------

ACTIVE, VOIDED = "active", "voided"
SIGNATORIES = ("customer", "consultant", "manager")  # 客户、经办置业顾问、案场经理三方签名
MANAGER_ROLES = ("sales_manager", "general_manager", "admin")
PAYMENT_METHODS = ("lump_sum", "mortgage", "provident_fund", "installments")


def check_deposit_amount(amount: Decimal, stated_total_price: Decimal | None) -> dict:
    """Field errors of a deposit: more than zero, not more than the unit's price."""
    errors = {}
    if amount <= 0:
        errors["amount"] = ["must be greater than 0"]
    elif stated_total_price is not None and amount > stated_total_price:
        errors["amount"] = [f"more than the total price {stated_total_price}"]
    return errors


def missing_signatures(signatures: dict) -> list[str]:
    return [party for party in SIGNATORIES if not signatures.get(party)]


def balance_due(total_price: Decimal | None, paid: Decimal) -> Decimal | None:
    return None if total_price is None else total_price - paid


def check_payment(amount: Decimal, total_price: Decimal | None, paid: Decimal) -> dict:
    """A payment is positive and never takes the amount paid above the total price."""
    if amount <= 0:
        return {"amount": ["must be greater than 0"]}
    due = balance_due(total_price, paid)
    if due is not None and amount > due:
        return {"amount": [f"more than the {due} still due on the total price {total_price}"]}
    return {}


def normalize_id_number(value: str | None) -> str:
    """ID numbers compare without spaces and with an upper-case check letter (…X)."""
    return "".join((value or "").split()).upper()


def check_buyer(order_id_number: str | None, buyer_id_number: str, signer: str, buyer_name: str,
                power_of_attorney: str | None) -> dict:
    """核对身份: the buyer is the one on the order form; anyone else signs only with a power of
    attorney (委托代理书) recorded."""
    errors = {}
    if not order_id_number:
        errors["buyer_id_number"] = ["the order form records no ID number to check against"]
    elif normalize_id_number(order_id_number) != normalize_id_number(buyer_id_number):
        errors["buyer_id_number"] = ["does not match the ID number on the order form"]
    if signer.strip() != buyer_name.strip() and not (power_of_attorney or "").strip():
        errors["power_of_attorney"] = ["a proxy signs only with a power of attorney"]
    return errors


def pinned_total(pinned_total_price: Decimal | None, stated_total_price: Decimal | None
                 ) -> Decimal | None:
    """The order's price: the one inventory pinned at reservation, else what the order form
    states (reservations made before prices were pinned)."""
    return pinned_total_price if pinned_total_price is not None else stated_total_price


# --- payment plans ----------------------------------------------------------------------------

PLAN_ITEM_KINDS = ("full_payment", "down_payment", "installment", "loan")
LOAN_METHODS = ("mortgage", "provident_fund")  # 按揭 / 公积金: a bank or the fund pays the loan


def check_plan(method: str, total_price: Decimal, items: list[dict]) -> dict:
    """Field errors of a payment plan: it adds up to the contract price, its dates run in
    order, and its shape fits the payment method."""
    errors = []
    kinds = [item["kind"] for item in items]
    total = sum((item["amount"] for item in items), Decimal("0.00"))
    if total != total_price:
        errors.append(f"the items add up to {total}, the contract price is {total_price}")
    dates = [item["due_date"] for item in items]
    if dates != sorted(dates):
        errors.append("due dates must run in order")
    if any(item["amount"] <= 0 for item in items):
        errors.append("every amount is greater than 0")
    if method == "lump_sum" and kinds != ["full_payment"]:
        errors.append("a lump sum is one full_payment item")
    if method in LOAN_METHODS and (kinds[:1] != ["down_payment"] or kinds.count("loan") != 1
                                   or kinds[-1] != "loan"):
        errors.append("a loan plan is a down_payment first and one loan item last")
    if method == "installments" and (len(items) < 2 or "loan" in kinds):
        errors.append("installments are at least two items and no loan")
    return {"items": errors} if errors else {}


def allocate(paid: Decimal, items: list[dict]) -> list[Decimal]:
    """What has been paid, the deposit first, covers the plan's items in due order."""
    covered = []
    for item in items:
        share = min(paid, item["amount"])
        covered.append(share)
        paid -= share
    return covered


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def check_refund(paid: Decimal, penalty: Decimal, refund_amount: Decimal | None) -> dict:
    """退房: the penalty (违约金) comes out of what was paid; the refund is never more than was
    paid and, when stated, is what was paid less the penalty."""
    errors = {}
    if penalty < 0:
        errors["penalty"] = ["must be 0 or more"]
    elif penalty > paid:
        errors["penalty"] = [f"more than the {paid} paid"]
    if refund_amount is not None:
        if refund_amount > paid:
            errors["refund_amount"] = [f"more than the {paid} paid"]
        elif not errors and refund_amount != paid - penalty:
            errors["refund_amount"] = [f"{paid} paid less the penalty {penalty} is "
                                       f"{paid - penalty}"]
    return errors


# --- collections (催款) and the deal report -----------------------------------------------------

COLLECTION_LEVELS = ("consultant", "sales_manager", "finance")  # 置业顾问 → 案场经理 → 财务
CUSTOMER_OWED = ("full_payment", "down_payment", "installment")  # a loan is the bank's to pay


def overdue_owed(items) -> Decimal:
    """What the buyer owes past its due date: the outstanding part of overdue plan items the
    buyer pays (a loan's is the bank's)."""
    return sum((item["outstanding"] for item in items
                if item["overdue"] and item["kind"] in CUSTOMER_OWED), Decimal("0.00"))


def next_collection_level(level: str) -> str | None:
    index = COLLECTION_LEVELS.index(level)
    return COLLECTION_LEVELS[index + 1] if index + 1 < len(COLLECTION_LEVELS) else None


def visit_bucket(visits: int) -> str:
    """来访次数 as the deal report's boxes: 一次 … 五次, 五次以上."""
    names = ("一次", "二次", "三次", "四次", "五次")
    if visits < 1:
        return "无"
    return names[visits - 1] if visits <= 5 else "五次以上"


def birth_date(id_number: str | None) -> date | None:
    """出生日期 as a resident ID number gives it (18 digits: YYYYMMDD at 7-14; the old 15: YYMMDD
    at 7-12, 19YY), or None when the number does not hold a valid date."""
    number = normalize_id_number(id_number)
    if len(number) == 18 and number[:17].isdigit():
        digits = number[6:14]
    elif len(number) == 15 and number.isdigit():
        digits = "19" + number[6:12]
    else:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
