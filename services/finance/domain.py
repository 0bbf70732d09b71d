"""Finance's pure rules: money events → balanced vouchers (记账凭证), the vendors' import
layouts, Standard Webhooks signatures and the retry schedule. No database, no clock."""
import base64
import csv
import hashlib
import hmac
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import xlsxwriter

from contracts.base import clean_text
from contracts.errors import InvalidInput
from contracts.subscriptions import SUBSCRIPTIONS
from infra.working_calendar import SHANGHAI

ZERO = Decimal("0.00")

# 科目 roles a voucher needs → the default 科目代码 and 科目名称 (企业会计准则 chart); a project
# overrides any of them through the account mapping.
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "bank": ("1002", "银行存款"),
    "cash": ("1001", "库存现金"),
    "deposits_held": ("2241.01", "其他应付款-暂收定金"),
    "advance_deposit": ("2203.01", "预收账款-定金"),
    "advance_price": ("2203.02", "预收账款-房款"),
    "refunds_payable": ("2241.02", "其他应付款-应退房款"),
    "penalty_income": ("6301.01", "营业外收入-违约金"),
}
ACCOUNT_ROLES = tuple(DEFAULT_ACCOUNTS)
# the liabilities a deal's money sits in, in the order a refund or a forfeit draws on them
LIABILITIES = ("deposits_held", "advance_deposit", "advance_price")

# the money events: every one is in the pull feed and may be subscribed to by a webhook
MONEY_EVENTS = SUBSCRIPTIONS["finance"]
# finance's own webhook event: a voucher recorded (a money event's, or a reversing one)
VOUCHER_RECORDED = "finance.voucher_recorded"
WEBHOOK_EVENTS = MONEY_EVENTS + (VOUCHER_RECORDED,)
# the money events that may make a voucher (build_voucher answers None for every other one)
VOUCHER_EVENTS = frozenset(("deposit_received", "payment_received", "receipt_voided",
                            "refund_paid", "deposit_forfeited", "unit_swapped"))
PURPOSES = {"deposit": "定金", "down_payment": "首付款", "installment": "分期款",
            "full_payment": "全款", "loan": "按揭贷款", "other": "其他款项"}
METHODS = {"pos": "POS刷卡", "transfer": "转账", "cash": "现金", "bank_loan": "银行放款"}
DEPOSIT_KINDS = {"small": "小定", "large": "大定"}


class UnbalancedVoucher(ValueError):
    pass


class MissingAccount(InvalidInput):
    """The project's account mapping lacks an account a voucher needs."""

    def __init__(self, role):
        super().__init__(f"the account mapping has no account for {role}",
                         {f"accounts.{role}": ["missing: a voucher needs this account"]})


def office_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _line(accounts, role, debit=ZERO, credit=ZERO, unit_id=None):
    """`accounts` maps role → (code, name); an unset code stays empty on the line, and the
    export refuses it naming the account (check_accounts)."""
    code, name = accounts.get(role) or (None, None)
    return {"role": role, "account_code": code, "account_name": name,
            "debit": money(debit), "credit": money(credit), "unit_id": unit_id}


def build_voucher(event: dict, context: dict, accounts: dict) -> dict | None:
    """The voucher of one money event, or None when the event moves no money between accounts.

    `context` is what finance knows of the deal from earlier events: `deposit` (amount, kind),
    `payment` (purpose, receipt_number) of a voided receipt, `balances` (role → Decimal still
    held for the deposit), `approval` (the refund's amount_paid and penalty)."""
    kind = event["type"]
    data = event["data"]
    unit = event.get("unit_id")
    lines, summary = [], None
    if kind == "deposit_received":
        label = DEPOSIT_KINDS.get(data["kind"], data["kind"])
        summary = f"收到{label} 定金单{data['deposit_id']}"
        lines = [_line(accounts, "bank", debit=data["amount"], unit_id=unit),
                 _line(accounts, "deposits_held", credit=data["amount"], unit_id=unit)]
    elif kind == "payment_received" and data["purpose"] == "deposit":
        summary = f"定金确认 收据第{data['receipt_number']}号 定金单{data['deposit_id']}"
        lines = [_line(accounts, "deposits_held", debit=data["amount"], unit_id=unit),
                 _line(accounts, "advance_deposit", credit=data["amount"], unit_id=unit)]
    elif kind == "payment_received":
        purpose = PURPOSES.get(data["purpose"], data["purpose"])
        method = METHODS.get(data["method"], data["method"])
        summary = f"收到{purpose}({method}) 收据第{data['receipt_number']}号"
        into = "cash" if data["method"] == "cash" else "bank"
        lines = [_line(accounts, into, debit=data["amount"], unit_id=unit),
                 _line(accounts, "advance_price", credit=data["amount"], unit_id=unit)]
    elif kind == "receipt_voided":
        payment = context.get("payment") or {}
        if data.get("replaced_by_number") is None or payment.get("purpose") != "deposit":
            return None  # a void moves no money (the refund does); a 房款 exchange neither
        summary = (f"定金收据第{data['receipt_number']}号换开购房收据"
                   f"第{data['replaced_by_number']}号")
        lines = [_line(accounts, "advance_deposit", debit=data["amount"], unit_id=unit),
                 _line(accounts, "advance_price", credit=data["amount"], unit_id=unit)]
    elif kind == "refund_paid":
        refund = money(data["refund_amount"])
        approval = context.get("approval") or {}
        total = max(money(approval.get("amount_paid", refund)), refund)
        summary = f"退房退款 申请{data['application_id']} 银行流水{data['bank_reference']}"
        lines = _draw(accounts, context.get("balances", {}), total, unit)
        lines.append(_line(accounts, "bank", credit=refund, unit_id=unit))
        if total > refund:
            lines.append(_line(accounts, "penalty_income", credit=total - refund, unit_id=unit))
    elif kind == "deposit_forfeited":
        balances = context.get("balances", {})
        kept = money(sum((balances.get(r, ZERO) for r in ("deposits_held", "advance_deposit")),
                         ZERO))
        if kept <= ZERO:
            return None
        summary = f"挞定没收定金 定金单{data['deposit_id']}"
        lines = _draw(accounts, balances, kept, unit, roles=("deposits_held", "advance_deposit"))
        lines.append(_line(accounts, "penalty_income", credit=kept, unit_id=unit))
    elif kind == "unit_swapped":
        balances = context.get("balances", {})
        overpaid = money(data.get("overpaid_amount") or ZERO)
        summary = (f"换房 房号{data['from_unit_id']}转{data['to_unit_id']} "
                   f"申请{data['application_id']}")
        for role in ("advance_deposit", "advance_price"):
            held = money(balances.get(role, ZERO))
            moved = held - overpaid if role == "advance_price" else held
            if held > ZERO:
                lines.append(_line(accounts, role, debit=held, unit_id=data["from_unit_id"]))
            if moved > ZERO:
                lines.append(_line(accounts, role, credit=moved, unit_id=data["to_unit_id"]))
        if overpaid > ZERO:
            lines.append(_line(accounts, "refunds_payable", credit=overpaid,
                               unit_id=data["to_unit_id"]))
    else:
        return None
    lines = [line for line in lines if line["debit"] or line["credit"]]
    if not lines:
        return None
    voucher = {"business_id": event["event_id"], "event_type": kind,
               "project_id": event["project_id"], "customer_id": event.get("customer_id"),
               "unit_id": unit, "deposit_id": data.get("deposit_id"),
               "voucher_date": office_date(_when(event)), "word": "记", "summary": summary,
               "attachments": 1, "lines": lines, "reverses": None}
    check_balanced(voucher)
    return voucher


def _when(event) -> datetime:
    paid_at = event["data"].get("paid_at")
    moment = paid_at or event["occurred_at"]
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def _draw(accounts, balances, total, unit, roles=LIABILITIES) -> list[dict]:
    """Debit lines taking `total` out of the deal's liabilities in order; what the balances do
    not cover comes out of 预收账款-房款."""
    lines, left = [], money(total)
    for role in roles:
        take = min(money(balances.get(role, ZERO)), left)
        if take > ZERO:
            lines.append(_line(accounts, role, debit=take, unit_id=unit))
            left -= take
    if left > ZERO:
        lines.append(_line(accounts, "advance_price", debit=left, unit_id=unit))
    return lines


def check_accounts(voucher) -> None:
    for line in voucher["lines"]:
        if not line["account_code"]:
            raise MissingAccount(line["role"])


def check_balanced(voucher) -> None:
    debit = sum((line["debit"] for line in voucher["lines"]), ZERO)
    credit = sum((line["credit"] for line in voucher["lines"]), ZERO)
    if debit != credit:
        raise UnbalancedVoucher(f"voucher {voucher['business_id']}: debit {debit} ≠ "
                                f"credit {credit}")


def reversal(voucher: dict, reason: str, on: date) -> dict:
    """红字冲销: the same lines on the same sides with negative amounts."""
    lines = [{**line, "debit": -line["debit"], "credit": -line["credit"]}
             for line in voucher["lines"]]
    result = {**voucher, "business_id": f"reversal:{voucher['business_id']}",
              "event_type": "reversal", "voucher_date": on, "lines": lines,
              "summary": f"冲销{voucher['word']}-{voucher['number']}号凭证 {reason}"[:200],
              "reverses": voucher["id"]}
    check_balanced(result)
    return result


def balances_after(balances: dict, voucher: dict) -> dict:
    """The deal's liabilities after a voucher (credit raises a liability, debit lowers it)."""
    result = dict(balances)
    for line in voucher["lines"]:
        if line["role"] in LIABILITIES or line["role"] == "refunds_payable":
            result[line["role"]] = money(result.get(line["role"], ZERO) + line["credit"]
                                         - line["debit"])
    return result


# --- the vendors' import layouts ---------------------------------------------------------

KINGDEE_COLUMNS = ("凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "分录序号", "摘要",
                   "科目代码", "科目名称", "币别代码", "币别名称", "原币金额", "借方", "贷方",
                   "附件数", "制单", "核算项目", "参考信息")
YONYOU_COLUMNS = ("凭证类别字", "制单日期", "凭证号", "附单据数", "摘要", "科目编码", "科目名称",
                  "借方金额", "贷方金额", "制单人", "客户编码", "项目编码", "自定义项1",
                  "自定义项2")
LAYOUTS = {"kingdee": KINGDEE_COLUMNS, "yonyou": YONYOU_COLUMNS}
PREPARER = "anchang"


def auxiliary(voucher, line) -> dict:
    """辅助核算: customer, unit (房号) and project codes."""
    return {"customer": f"C{voucher['customer_id']:06d}" if voucher.get("customer_id") else "",
            "unit": f"U{line['unit_id']:06d}" if line.get("unit_id") else "",
            "project": f"P{voucher['project_id']:04d}"}


def export_rows(layout: str, vouchers):
    """One row per voucher line, in the layout's column order; text stays text."""
    for voucher in vouchers:
        day = voucher["voucher_date"]
        for index, line in enumerate(voucher["lines"], start=1):
            aux = auxiliary(voucher, line)
            if layout == "kingdee":
                items = ";".join(f"{label}---{code}" for label, code in
                                 (("客户", aux["customer"]), ("房号", aux["unit"]),
                                  ("项目", aux["project"])) if code)
                amount = line["debit"] or line["credit"]
                yield (day.isoformat(), day.year, day.month, voucher["word"], voucher["number"],
                       index, voucher["summary"], line["account_code"], line["account_name"],
                       "RMB", "人民币", amount, line["debit"], line["credit"],
                       voucher["attachments"], PREPARER, items, voucher["business_id"])
            else:
                yield (voucher["word"], day.isoformat(), voucher["number"],
                       voucher["attachments"], voucher["summary"], line["account_code"],
                       line["account_name"], line["debit"], line["credit"], PREPARER,
                       aux["customer"], aux["project"], aux["unit"], voucher["business_id"])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """A value as the CSV shows it (the csv module writes numbers itself)."""
    if value.__class__ is str:
        # a spreadsheet opening the CSV shows it, never evaluates it
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value.__class__ is Decimal:
        return f"{value:.2f}"
    return value


def run_here(function, *args):
    """How the writers run each page by default: here, in this thread."""
    return function(*args)


def write_csv(layout: str, pages, out, run=run_here) -> None:
    """The lines of `pages` (lists of vouchers) as CSV into the binary file `out`, a page at
    a time (memory flat); each page written by `run(write, page)` (the service runs it off
    eventlet's hub)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    text.write("\ufeff")  # BOM: Excel reads it as UTF-8
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(LAYOUTS[layout])

    def write(page):
        writer.writerows([csv_text(value) for value in row] for row in export_rows(layout, page))
    for page in pages:
        run(write, page)
    text.flush()
    text.detach()


# the workbook's creation date, fixed: no save time in the file, the same vouchers give the
# same bytes (XlsxWriter stamps its zip entries 1980-01-01 by itself)
FIXED_TIME = datetime(2000, 1, 1)


def xlsx_text(value: str) -> str:
    """Text as a string cell shows it. Cleaned of what a workbook cannot hold; a text that
    XlsxWriter's streaming mode would copy into the sheet as rich-text markup (`<r>…</r>`)
    gets a leading `'`, as formula-like text does in the CSV."""
    value = clean_text(value)
    return "'" + value if value.startswith("<r>") and value.endswith("</r>") else value


def write_xlsx(layout: str, pages, out, tmpdir: str | None = None, run=run_here) -> None:
    """The lines of `pages` (lists of vouchers) as a workbook into `out` (a path or a binary
    file), streamed: XlsxWriter's constant_memory mode writes each row to disk once the next
    begins (its temporary files in `tmpdir`). Every text is a string cell (write_string:
    never a formula nor a link), money a number shown `#,##0.00`; no timestamp inside, so
    the same vouchers give the same bytes. Each page, and the closing, by `run` as in
    write_csv."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": tmpdir,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": FIXED_TIME})
    money_format = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("凭证")
    text, number = sheet.write_string, sheet.write_number
    for column, heading in enumerate(LAYOUTS[layout]):
        text(0, column, heading)
    rows = 0

    def write(page):
        nonlocal rows
        for row in export_rows(layout, page):
            rows += 1
            for column, value in enumerate(row):
                if value.__class__ is str:
                    text(rows, column, xlsx_text(value))
                elif value.__class__ is Decimal:
                    number(rows, column, value, money_format)
                else:
                    number(rows, column, value)
    for page in pages:
        run(write, page)
    run(book.close)


# --- the weekly reconciliation as a workbook ---------------------------------------------

# (key, heading): the seed's 收据核对 (第3篇 16: 本周的回款额和累计的回款额), three ways
RECONCILIATION_SHEETS = (
    ("payments", "本周收款 payments", (
        ("receipt_number", "收据号 receipt"), ("payment_id", "收款单 payment"),
        ("purpose", "款项 purpose"), ("amount", "收款金额 amount"),
        ("vouchers", "凭证号 vouchers"), ("bank_references", "银行流水号 bank references"),
        ("problems", "问题 problems"))),
    ("differences", "差异 differences", (
        ("problem", "问题 problem"), ("receipt_number", "收据号 receipt"),
        ("payment_id", "收款单 payment"), ("amount", "收款金额 amount"),
        ("voucher_amounts", "凭证金额 voucher amounts"),
        ("bank_amounts", "银行确认金额 bank amounts"), ("vouchers", "凭证号 vouchers"),
        ("bank_references", "银行流水号 bank references"))),
    ("exchanges_not_closed", "换开未闭合 exchanges not closed", (
        ("deposit_id", "定金单 deposit"), ("unit_id", "房号 unit"),
        ("deposit_held", "未换开定金 deposit held"))),
    ("refunds_not_paid", "已批未付退款 refunds not paid", (
        ("application_id", "申请 application"), ("deposit_id", "定金单 deposit"),
        ("refund_amount", "应退金额 refund amount"), ("approved_at", "批准时间 approved at"))),
    ("totals", "合计 totals", (
        ("way", "核对项 way"), ("amount", "金额 amount"))),
)
PROBLEMS = {"missing_voucher": "缺凭证 missing voucher",
            "missing_bank_confirmation": "缺银行确认 missing bank confirmation",
            "duplicated": "重复 duplicated", "mismatched": "金额不符 mismatched"}
WAYS = {"receipts": "收据 receipts", "vouchers": "凭证 vouchers",
        "bank": "银行确认 bank confirmations"}


def reconciliation_rows(report: dict) -> dict:
    """The reconciliation's sheets as rows of values (key → value) in the workbook's terms:
    lists joined, times in Asia/Shanghai, each payment's problems named."""
    problems = {}
    for key in PROBLEMS:
        for item in report[key]:
            problems.setdefault(item["payment_id"], []).append(PROBLEMS[key])
    joined = lambda values: "; ".join(str(v) for v in values) or None  # noqa: E731
    payments = [{**p, "vouchers": joined(p["vouchers"]),
                 "bank_references": joined(p["bank_references"]),
                 "purpose": PURPOSES.get(p["purpose"], p["purpose"]),
                 "problems": joined(problems.get(p["payment_id"], []))}
                for p in report["payments"]]
    differences = []
    for key in PROBLEMS:
        for item in report[key]:
            differences.append({
                **item, "problem": PROBLEMS[key], "vouchers": joined(item["vouchers"]),
                "bank_references": joined(item["bank_references"]),
                "voucher_amounts": joined(f"{a:.2f}" for a in item.get("voucher_amounts", [])),
                "bank_amounts": joined(f"{a:.2f}" for a in item.get("bank_amounts", []))})
    refunds = [{**r, "approved_at": r["approved_at"].astimezone(SHANGHAI)
                .strftime("%Y-%m-%d %H:%M") if r["approved_at"] else None}
               for r in report["refunds_not_paid"]]
    totals = [{"way": WAYS[key], "amount": amount} for key, amount in report["totals"].items()]
    totals.append({"way": "周 week (Asia/Shanghai)",
                   "amount": f"{report['week_start']} – {report['week_end']}"})
    return {"payments": payments, "differences": differences,
            "exchanges_not_closed": report["exchanges_not_closed"],
            "refunds_not_paid": refunds, "totals": totals}


def reconciliation_workbook(report: dict) -> bytes:
    """The weekly three-way reconciliation as XLSX: text as string cells (never formulas),
    money as numbers to the fen, an empty cell as "/" (the seed's forms)."""
    from infra.workbooks import xlsx
    rows = reconciliation_rows(report)

    def sheet(key, columns):
        yield [heading for _, heading in columns]
        for row in rows[key]:
            yield ["/" if row.get(name) is None else row[name] for name, _ in columns]
    return xlsx((title, sheet(key, columns)) for key, title, columns in RECONCILIATION_SHEETS)


# --- Standard Webhooks --------------------------------------------------------------------

SECRET_PREFIX = "whsec_"


def new_secret(random_bytes: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_body(routing_key: str, envelope: dict) -> bytes:
    """The Standard Webhooks payload: type, timestamp and the event's envelope as data."""
    import json
    return json.dumps({"type": routing_key, "timestamp": envelope["occurred_at"],
                       "data": envelope}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def voucher_body(voucher: dict, recorded_at: str) -> bytes:
    """A voucher as a Standard Webhooks payload: its lines, amounts as strings to the fen,
    辅助核算 codes; `business_id` is the money event's id (a reversal's: `reversal:<id>`)."""
    import json
    stable = {key: value for key, value in voucher.items()
              if key not in ("status", "status_note", "reversed_by")}  # the same on every retry
    data = {**stable, "lines": [{**line, "debit": f"{line['debit']:.2f}",
                                  "credit": f"{line['credit']:.2f}",
                                  "auxiliary": auxiliary(voucher, line)}
                                 for line in voucher["lines"]],
            "debit_total": f"{voucher['debit_total']:.2f}",
            "voucher_date": voucher["voucher_date"].isoformat()}
    return json.dumps({"type": VOUCHER_RECORDED, "timestamp": recorded_at, "data": data},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature_header(secrets, message_id: str, timestamp: int, body: bytes) -> str:
    """Every valid secret signs (space-separated): during a rotation's overlap a receiver
    holding either secret verifies the delivery."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


# Standard Webhooks' suggested schedule after the first attempt: 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h — 27.6 hours in all, then the delivery is dead-lettered.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)


def next_delay(attempts: int, scale: float = 1.0) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt, or None when the delivery is dead."""
    if attempts > len(RETRY_DELAYS):
        return None
    return timedelta(seconds=RETRY_DELAYS[attempts - 1] * scale)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
