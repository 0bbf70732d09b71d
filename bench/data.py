"""Generated business data: visitors with unique mobiles, leads for a bulk import, an event."""
import io
import itertools
import json
import random
from datetime import datetime, timezone

from contracts.envelope import build_event

SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗"
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
               "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平")
_visitors = itertools.count(1)  # next() on it is atomic under the GIL: safe across threads


def visitor_name(number: int) -> str:
    """400 different names (and so many different customer-code initials)."""
    surname = SURNAMES[number % len(SURNAMES)]
    return surname + GIVEN_NAMES[number // len(SURNAMES) % len(GIVEN_NAMES)]


def mobile(number: int, prefix: str = "139") -> str:
    return f"{prefix}{number:08d}"


def lead_body(office_id: int) -> dict:
    """A first visit (来访登记) of a new customer: a name and a mobile never used before."""
    number = next(_visitors)
    return {"office_id": office_id, "name": visitor_name(number), "mobile": mobile(number),
            "channel": "passing_by"}


def generated_leads(count: int, duplicate_share: float = 0.05, seed: int = 20261122,
                    prefix: str = "136"):
    """Leads of call lists (mobiles `prefix`…, never a walk-in's 139…): `duplicate_share` of
    them repeat an earlier mobile written differently (+86, spaces, dashes), which the import
    must dedupe. The same arguments always give the same leads."""
    chooser = random.Random(seed)
    fresh = 0
    for _ in range(count):
        if fresh and chooser.random() < duplicate_share:
            number = chooser.randrange(1, fresh + 1)
            digits = mobile(number, prefix)
            yield {"name": visitor_name(number),
                   "mobile": f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"}
        else:
            fresh += 1
            yield {"name": visitor_name(fresh), "mobile": mobile(fresh, prefix)}


def call_list_csv(leads) -> bytes:
    """A call list as a manager uploads it: CSV with the forms' Chinese header."""
    lines = ["姓名,手机"] + [f"{lead['name']},{lead['mobile']}" for lead in leads]
    return ("\n".join(lines) + "\n").encode("utf-8")


def complaint_filed_event(complaint_id: int) -> dict:
    """A valid `complaints.complaint_filed` envelope (it concerns no unit: no dossier opens)."""
    return build_event("complaints", "complaint_filed",
                       {"complaint_id": complaint_id, "channel": "phone",
                        "due_at": datetime(2026, 11, 29, 2, tzinfo=timezone.utc)})


def sample_event_body() -> str:
    return json.dumps(complaint_filed_event(1))


ROOM_COLUMNS = ["号楼", "单元", "房号", "楼层", "建筑面积", "户型", "物业类型", "朝向", "单价", "底价"]


def rooms_workbook(count: int) -> bytes:
    """A table of rooms and prices (房源/价格表) as an office's XLSX: 50 rooms a floor, 40
    floors a building, as many buildings as `count` needs."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(ROOM_COLUMNS)
    for n in range(count):
        building, floor, room = n // 2000 + 1, n // 50 % 40 + 1, n % 50 + 1
        sheet.append([str(building), "1", f"{floor}{room:02d}", floor, 89.5 + room % 7,
                      "3/2", "高层", "南北", 12000 + floor * 50, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
