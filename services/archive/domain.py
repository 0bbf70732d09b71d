"""The archive's rules (seed 000 第7篇 客户文档管理规范), pure: no database, no nameko.

Categories (3.1–3.9), the six groups of the bound files (5.10.2), carriers (2), security
levels (5.1.5), retention (5.12.1), dossier numbers (5.10.1), the hash chain of a dossier,
handover deadlines (5.2.2–5.5.1) and the checklist of what a sold unit must hold.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from contracts.errors import Forbidden, InvalidInput
from infra.working_calendar import SHANGHAI

# 3.1–3.9
CATEGORIES = {
    "sales": "销售资料", "signing": "签约资料", "title": "办证资料", "move_in": "入伙资料",
    "repair": "维修资料", "compensation": "赔付资料", "litigation": "诉讼资料",
    "shop_lease": "商铺租赁资料", "other": "其他资料",
}

# 5.10.2 names six groups and lists five (a–e); the sixth is the litigation case file that
# 5.5.2 keeps apart ("诉讼资料单独分类建档"), referenced from the customer's dossier.
GROUPS = {
    "required": "销售、签约、办证及入伙资料(必备)",
    "repair_compensation": "维修/赔付资料",
    "other": "其他资料(含诉讼结案资料)",
    "lease_period": "出租期资料",
    "sales_history": "销售历史资料",
    "litigation_case": "诉讼案卷",
}
GROUP_OF_CATEGORY = {
    "sales": "required", "signing": "required", "title": "required", "move_in": "required",
    "repair": "repair_compensation", "compensation": "repair_compensation",
    "litigation": "other", "shop_lease": "lease_period", "other": "other",
}

CARRIERS = ("paper", "electronic", "photo", "audio", "video")  # 2. 适用范围

# 5.1.5: C for every customer file; higher levels only with the department and the archive
# (总经理办公室) together, visible only to the roles the level names.
DEFAULT_LEVEL = "C"
LEVEL_ROLES = {
    "C": ("archivist", "sales_manager", "legal", "general_manager", "admin"),
    "B": ("archivist", "legal", "general_manager"),
    "A": ("archivist", "general_manager"),
}
RETENTIONS = ("permanent", "30_years", "10_years")
CUSTOMER_KINDS = ("unit", "customer", "litigation")  # customer files: permanent (5.12.1)
DOSSIER_KINDS = ("unit", "customer", "topic", "litigation", "project", "general")
DEPARTMENTS = {  # 4. 职责: who keeps and hands over which papers
    "sales": "销售经营部", "customer_service": "客户服务中心", "legal": "法律室",
    "commercial": "销售经营部商业组", "finance": "财务管理部", "archive": "总经理办公室",
}
DEPARTMENT_OF_CATEGORY = {
    "sales": "sales", "signing": "sales", "title": "sales", "move_in": "sales",
    "repair": "customer_service", "compensation": "customer_service", "litigation": "legal",
    "shop_lease": "commercial", "other": "archive",
}

# events → category: the sales process (5.2.1 counts swaps, discounts, refunds among the sales
# papers), the contract (3.2), its filing with the authority (3.3), complaints (3.5/3.6)
EVENT_CATEGORY = {
    "transactions.contract_signed": "signing", "transactions.payment_received": "signing",
    "transactions.receipt_voided": "signing", "transactions.contract_filed": "title",
    "inventory.unit_sold": "title", "complaints.complaint_filed": "compensation",
}
SALES_HISTORY_EVENTS = {  # 5.10.2 e): what happened to the unit before its final buyer
    "inventory.unit_released", "inventory.hold_expired", "inventory.hold_released",
    "inventory.offer_lapsed", "inventory.unit_reservation_rejected",
    "transactions.deposit_forfeited", "transactions.deposit_rejected",
    "transactions.refund_approved", "transactions.refund_paid",
    "inventory.reservation_swapped", "transactions.unit_swapped",
}


def event_category(routing_key: str) -> str:
    if routing_key in EVENT_CATEGORY:
        return EVENT_CATEGORY[routing_key]
    source = routing_key.split(".", 1)[0]
    return "sales" if source in ("leads", "inventory", "transactions") else "other"


def event_group(routing_key: str, category: str) -> str:
    return "sales_history" if routing_key in SALES_HISTORY_EVENTS else GROUP_OF_CATEGORY[category]


def check_document(dossier_kind: str, doc: dict, role: str) -> dict:
    """A new document's classification, completed with the defaults; typed errors naming the
    field for what the rules refuse."""
    doc = dict(doc)
    doc.setdefault("group", GROUP_OF_CATEGORY[doc["category"]])
    doc.setdefault("security_level", DEFAULT_LEVEL)
    doc.setdefault("retention", "permanent")
    if dossier_kind in CUSTOMER_KINDS and doc["retention"] != "permanent":
        raise InvalidInput("customer files are kept permanently (5.12.1)",
                           {"retention": ["must be permanent for a customer dossier"]})
    if doc["carrier"] == "paper" and not doc.get("storage_location"):
        raise InvalidInput("a paper document needs its storage location (5.10.4)",
                           {"storage_location": ["required for paper"]})
    if doc["security_level"] != DEFAULT_LEVEL:
        if role != "archivist" or not doc.get("level_agreed_with"):
            raise Forbidden("a level above C is set by the handling department together with "
                            "the archive (5.1.5)",
                            {"security_level": ["an archivist sets it, naming the department "
                                                "that agreed (level_agreed_with)"]})
    return doc


def may_see(role: str, level: str) -> bool:
    return role in LEVEL_ROLES.get(level, ())


def check_may_see(role: str, level: str, what: str) -> None:
    if not may_see(role, level):
        raise Forbidden(f"{what} is classified {level}",
                        {"security_level": [f"level {level} is for "
                                            f"{', '.join(LEVEL_ROLES[level])}"]})


def unit_dossier_number(garden: str, building: str, entrance: str, room: str) -> str:
    """5.10.1: the unit's own name, 苑名-栋号-单元号-房号, one form for the whole company."""
    parts = [p.strip() for p in (garden, building, entrance, room)]
    if not all(parts):
        raise InvalidInput("a dossier number names the garden, building, entrance and room",
                           {"number": ["garden, building, entrance and room are required"]})
    return "-".join(parts)


def other_dossier_number(kind: str, project_id: int | None, sequence: int) -> str:
    prefix = {"topic": "ZT", "litigation": "SS", "project": "XM", "customer": "KH",
              "general": "ZH"}[kind]
    return f"{prefix}-{project_id or 0}-{sequence:05d}"


# ---- the chain -----------------------------------------------------------------------------

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical(record: dict) -> bytes:
    """One byte form of a record: sorted keys, UTC times with microseconds, no spaces."""
    return json.dumps(_plain(record), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def link_hash(prev_hash: str, dossier_id: int, seq: int, entry_type: str, entry_id: int,
              entry_digest: str, algorithm: str) -> str:
    """What a link commits to: the link before it and the digest of its record."""
    return digest(f"{prev_hash}|{dossier_id}|{seq}|{entry_type}|{entry_id}|{entry_digest}"
                  .encode(), algorithm)


@dataclass(frozen=True)
class Link:
    seq: int
    entry_type: str
    entry_id: int
    entry_digest: str
    prev_hash: str
    hash: str
    algorithm: str


def verify_chain(dossier_id: int, links: list[Link], records: dict,
                 file_checks: dict | None = None) -> list[dict]:
    """Every problem of a dossier's chain, in order; empty when it holds. `records` maps
    (entry_type, entry_id) to the record as stored now (missing: deleted); `file_checks`
    maps a stored file's digest to its digest recomputed now (None: gone)."""
    problems, prev = [], GENESIS
    for expected_seq, link in enumerate(links, start=1):
        where = {"seq": link.seq, "entry_type": link.entry_type, "entry_id": link.entry_id}
        if link.seq != expected_seq:
            problems.append({**where, "problem": f"link {expected_seq} is missing"})
        if link.prev_hash != prev:
            problems.append({**where, "problem": "does not follow the link before it"})
        if link_hash(link.prev_hash, dossier_id, link.seq, link.entry_type, link.entry_id,
                     link.entry_digest, link.algorithm) != link.hash:
            problems.append({**where, "problem": "the link's hash does not match"})
        record = records.get((link.entry_type, link.entry_id))
        if record is None:
            problems.append({**where, "problem": "the record is gone"})
        elif digest(canonical(record), link.algorithm) != link.entry_digest:
            problems.append({**where, "problem": "the record was changed"})
        elif record.get("file_digest") and file_checks is not None:
            now = file_checks.get(record["file_digest"])
            if now != record["file_digest"]:
                problems.append({**where, "problem": "the stored file is gone" if now is None
                                 else "the stored file was changed"})
        prev = link.hash
    return problems


# ---- deadlines -----------------------------------------------------------------------------

def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def last_working_day_on_or_before(calendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    return add_months(date(day.year, month, 1), 1) - timedelta(days=1)


def half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


@dataclass(frozen=True)
class Requirement:
    kind: str       # the document kind that satisfies it
    title: str
    category: str
    after: str      # the event that makes it due
    rule: str       # how its handover deadline is set


# what a sold unit's dossier must hold at each stage
CHECKLIST = (
    Requirement("subscription_agreement", "认购书", "sales",
                "transactions.subscription_signed", "five_working_days"),
    Requirement("sale_contract", "房地产买卖合同及补充协议", "signing",
                "transactions.contract_signed", "after_move_in"),
    Requirement("filing_certificate", "合同备案及办证资料", "title",
                "transactions.contract_filed", "after_move_in"),
    Requirement("move_in_records", "入伙资料", "move_in", "move_in", "after_move_in"),
    Requirement("service_records", "维修/赔付处理资料", "compensation",
                "complaints.complaint_filed", "half_year"),
    Requirement("case_closing_copy", "诉讼结案资料复印件", "litigation",
                "litigation_closed", "five_working_days"),
)
DOCUMENT_KINDS = tuple(r.kind for r in CHECKLIST) + (
    "id_copy", "queue_agreement", "change_approval", "mortgage_contract", "payment_voucher",
    "notice", "contract_template", "judgment", "case_closed", "lease_contract", "photo",
    "recording", "correspondence", "event", "other")


def handover_due(rule: str, trigger: date, move_in_end: date | None, calendar) -> date | None:
    """The day by which the department hands the papers to the archive.

    five_working_days: 5.2.2 (and, where the seed names no period, the closing papers of a
    case, 5.5.1); after_move_in: a month after the concentrated move-in (5.3.2), then at the end
    of each quarter (5.3.3), unknown while the move-in has no date; half_year: at the end of
    the half year (5.4.2). A day off moves the end of a period back to the last working day."""
    if rule == "five_working_days":
        return calendar.add_working_days(trigger, 5)
    if rule == "half_year":
        return last_working_day_on_or_before(calendar, half_year_end(trigger))
    if rule == "after_move_in":
        if move_in_end is None:
            return None
        month_after = add_months(move_in_end, 1)
        if trigger <= month_after:
            return month_after
        return last_working_day_on_or_before(calendar, quarter_end(trigger))
    raise ValueError(rule)


def completeness(triggers: dict, held: dict, move_in_end: date | None, today: date,
                 calendar) -> list[dict]:
    """The checklist of a dossier: `triggers` maps an event (or stage) to the day it happened,
    `held` maps a document kind to the day it was filed."""
    items = []
    for req in CHECKLIST:
        since = triggers.get(req.after)
        if since is None:
            continue
        due = handover_due(req.rule, since, move_in_end, calendar)
        filed_on = held.get(req.kind)
        status = ("present" if filed_on else
                  "overdue" if due is not None and due < today else "missing")
        items.append({"kind": req.kind, "title": req.title, "category": req.category,
                      "department": DEPARTMENT_OF_CATEGORY[req.category], "since": since,
                      "due_on": due, "filed_on": filed_on, "status": status,
                      "late": bool(filed_on and due and filed_on > due)})
    return items


# ---- lending, external access, inspections --------------------------------------------------

def check_loan_due(lent_on: date, due_on: date) -> None:
    if due_on < lent_on:
        raise InvalidInput("a volume is due back after it is lent",
                           {"due_on": ["must not be before today"]})
    if (due_on - lent_on).days > 30:
        raise InvalidInput("a volume is lent for at most 30 days",
                           {"due_on": ["at most 30 days from today"]})


def check_period(period: str, planned_on: date) -> None:
    """Inspections twice a year (seed 001): a plan per half year, `2026H1` or `2026H2`."""
    try:
        year, half = int(period[:4]), period[4:]
    except ValueError:
        year, half = 0, ""
    if len(period) != 6 or half not in ("H1", "H2"):
        raise InvalidInput("a period is a half year like 2026H1",
                           {"period": ["YYYYH1 or YYYYH2"]})
    first = date(year, 1, 1) if half == "H1" else date(year, 7, 1)
    if not first <= planned_on <= half_year_end(first):
        raise InvalidInput(f"the inspection of {period} falls within it",
                           {"planned_on": [f"a day in {period}"]})


def periods_of(year: int) -> tuple[str, str]:
    return f"{year}H1", f"{year}H2"
