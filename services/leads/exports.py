"""XLSX exports in the seed's columns (第1篇 客户接待表格): the visit register (来访客户登记表),
the call register (来电客户登记表) and the manager's grade-tracking sheet (客户等级分配跟踪表).
Every export is logged: who, what, when, how many rows. Contact details are masked (mobiles)
or left out (address, postcode) for a viewer who may not see them, as on screen."""
import base64
from datetime import datetime, time, timedelta

from sqlalchemy import select

from contracts.errors import InvalidInput
from contracts.leads import CONTACT_DETAILS
from infra.database import utcnow
from infra.workbooks import xlsx
from services.leads import domain, handlers
from services.leads.models import Consultant, Customer, ExportLog, GradeChange, Visit

MAX_ROWS = 20_000
EMPTY = "/"  # the seed: 无内容处用/表示

LABELS = {  # the forms' Chinese for the stored codes
    "male": "男", "female": "女",
    "under_25": "25岁以下", "25_34": "25-34岁", "35_44": "35-44岁", "45_54": "45-54岁",
    "55_plus": "55岁以上",
    "single": "未婚", "married": "已婚", "divorced": "离异", "widowed": "丧偶",
    "daily_paper": "日报", "evening_paper": "晚报", "tv": "电视", "passing_by": "路过",
    "word_of_mouth": "听说", "referral": "老带新", "flyer": "单页", "outdoor": "户外",
    "website": "网络", "phone_invite": "电话邀约", "other": "其他",
    "location": "地段", "unit_price": "单价", "total_price": "总价", "layout": "房型",
    "view": "景观", "floor": "楼层", "payment_method": "付款方式", "transport": "交通",
    "construction_progress": "工程进度", "school": "学校", "orientation": "朝向",
    "interior_zoning": "室内功能分区", "amenities": "公共设施配套", "appreciation": "升值潜力",
    "area": "面积", "delivery_standard": "交房标准",
    "own_use": "自用", "for_family": "为家人购", "investment": "投资",
    "own_use_and_investment": "自住兼投资",
    "private_business_owner": "私营业主", "company_purchase": "单位购房",
    "relocation_compensation": "动迁补偿", "state_enterprise_leader": "国营企事业单位领导",
    "teacher": "老师", "lawyer": "律师", "doctor": "医生", "working_elsewhere": "外地工作",
    "private_company_leader": "私企领导", "freelancer": "自由职业", "civil_servant": "公务员",
    "walk_up": "楼梯多层", "low_rise_elevator": "电梯多层", "mid_rise": "小高层",
    "high_rise": "高层", "stacked_villa": "叠加", "townhouse": "联排", "detached_villa": "独栋",
    "101_120": "101-120㎡", "121_150": "121-150㎡", "151_180": "151-180㎡",
    "181_200": "181-200㎡", "200_250": "200-250㎡", "250_plus": "250㎡以上",
    "1b1l": "1/1", "2b2l": "2/2", "3b2l": "3/2", "4b2l": "4/2", "small_duplex": "小复式",
    "large_duplex": "大复式",
    "1500_2000": "1500-2000", "2000_2500": "2000-2500", "2500_3000": "2500-3000",
    "3000_3500": "3000-3500", "3500_4000": "3500-4000", "4000_plus": "4000以上",
    "under_300k": "30万以下", "310k_400k": "31-40万", "410k_600k": "41-60万",
    "610k_800k": "61-80万", "810k_1m": "81-100万", "1m_plus": "100万以上",
    "lump_sum": "一次性付款", "mortgage": "按揭贷款", "provident_fund": "公积金贷款",
    "installments": "分期付款",
}

VISIT_COLUMNS = ("客户编号", "来访日期", "置业顾问", "客户姓名", "性别", "年龄", "婚姻状况",
                 "手机", "现住区域", "地址", "邮编", "家庭结构", "来访人数及关系", "认知途径",
                 "询问重点", "购买动机", "客户类别", "物业类型", "所需面积", "户型", "单价",
                 "总价", "付款方式", "推荐房源", "意向房源", "其他洽谈内容及洽谈结果", "分配依据")
CALL_COLUMNS = ("序号", "来电时间", "客户姓名", "联系方式", "获知渠道", "现住区域", "购房类型",
                "需求房型", "需求面积", "购房用途", "接受价格", "咨询洽谈内容", "置业顾问",
                "广告投放媒体及主题")
GRADE_COLUMNS = ("NO.", "时间", "客户姓名", "客户级别", "置业顾问", "升级情况", "成交", "备注")


def export(uow, cmd) -> dict:
    """The sheet as base64 XLSX, its row count, and the log entry written with it."""
    session = uow.session
    office = handlers.find_office(session, cmd["office_id"])
    build = {"visits": _visit_rows, "calls": _call_rows, "grades": _grade_rows}[cmd["kind"]]
    title, columns, rows = build(session, office, cmd)
    if len(rows) > MAX_ROWS:
        raise InvalidInput("too many rows for one export", {"date_from": [
            f"{len(rows)} rows; narrow the dates to at most {MAX_ROWS}"]})
    content = _xlsx(title, columns, rows)
    log = ExportLog(kind=cmd["kind"], office_id=office.id, exported_by=cmd["exported_by"],
                    row_count=len(rows), filters={k: str(cmd.get(k)) for k in (
                        "date_from", "date_to", "consultant_id")}, exported_at=utcnow())
    session.add(log)
    uow.commit()
    return {"file_name": f"{office.code}-{cmd['kind']}.xlsx", "rows": len(rows),
            "content": base64.b64encode(content).decode(), "export_id": log.id}


def export_log(session, office_id) -> dict:
    logs = session.scalars(select(ExportLog).where(ExportLog.office_id == office_id)
                           .order_by(ExportLog.id.desc()).limit(500)).all()
    return {"exports": [{"id": log.id, "kind": log.kind, "exported_by": log.exported_by,
                         "row_count": log.row_count, "filters": log.filters,
                         "exported_at": log.exported_at} for log in logs]}


def _visit_rows(session, office, cmd):
    names, can_see = _people(session, office, cmd)
    rows = []
    for visit, customer in _contacts(session, office, cmd, "visit"):
        profile, form = customer.profile or {}, visit.form or {}
        if not can_see(customer):
            profile = {k: v for k, v in profile.items() if k not in CONTACT_DETAILS["profile"]}
        product = profile.get("intended_product") or {}
        visitors = f"{visit.visitors}人 {form.get('visitor_relation', '')}".strip()
        rows.append([customer.code, _day(visit.visited_at), names.get(visit.consultant_id),
                     customer.name, _label(customer.gender), _label(profile.get("age_band")),
                     _label(profile.get("marital_status")), _mobile(customer, can_see),
                     profile.get("residence_area"), profile.get("address"),
                     profile.get("postcode"), profile.get("family_structure"), visitors,
                     _label(visit.channel, profile.get("channel_other")),
                     _labels(profile.get("focus_points"), profile.get("focus_other")),
                     _label(profile.get("purchase_motive"), profile.get("motive_other")),
                     _label(profile.get("customer_category"), profile.get("category_other")),
                     _label(product.get("property_type")), _label(product.get("area_band")),
                     _label(product.get("layout"), product.get("layout_other")),
                     _label(product.get("unit_price_band")),
                     _label(product.get("total_price_band")),
                     _label(product.get("payment_method"), product.get("payment_other")),
                     form.get("recommended_units"), form.get("intended_units"), visit.notes,
                     visit.explanation])
    return "来访客户登记表", VISIT_COLUMNS, rows


def _call_rows(session, office, cmd):
    names, can_see = _people(session, office, cmd)
    rows = []
    for n, (visit, customer) in enumerate(_contacts(session, office, cmd, "call"), start=1):
        profile, form = customer.profile or {}, visit.form or {}
        product = profile.get("intended_product") or {}
        price = " / ".join(filter(None, [_label(product.get("unit_price_band"), blank=""),
                                         _label(product.get("total_price_band"), blank="")]))
        ad = " ".join(filter(None, [form.get("ad_medium"), form.get("ad_theme")]))
        rows.append([n, visit.visited_at.astimezone(domain.OFFICE_TIMEZONE)
                     .strftime("%Y-%m-%d %H:%M"), customer.name, _mobile(customer, can_see),
                     _label(visit.channel), profile.get("residence_area"),
                     _label(product.get("property_type")),
                     _label(product.get("layout"), product.get("layout_other")),
                     _label(product.get("area_band")),
                     _label(profile.get("purchase_motive"), profile.get("motive_other")),
                     price, visit.notes, names.get(visit.consultant_id), ad])
    return "来电客户登记表", CALL_COLUMNS, rows


def _grade_rows(session, office, cmd):
    names, _ = _people(session, office, cmd)
    query = select(Customer).where(Customer.office_id == office.id)
    query = _scope(query, Customer.registered_at, Customer.consultant_id, cmd)
    customers = session.scalars(query.order_by(Customer.id).limit(MAX_ROWS + 1)).all()
    history = {}
    for change in session.scalars(select(GradeChange).where(
            GradeChange.customer_id.in_([c.id for c in customers])).order_by(GradeChange.id)):
        history.setdefault(change.customer_id, []).append(change)
    rows = []
    for n, customer in enumerate(customers, start=1):
        changes = history.get(customer.id, [])
        path = "→".join([changes[0].from_grade or "", *[c.to_grade for c in changes]]
                        ).lstrip("→") if changes else ""
        outcome = {"deal": "√", "hopeless": "×"}.get(customer.outcome, "")
        note = changes[-1].note if changes else ""
        rows.append([n, _day(customer.registered_at), customer.name, customer.grade,
                     names.get(customer.consultant_id), path, outcome, note])
    return "客户等级分配跟踪表", GRADE_COLUMNS, rows


def _contacts(session, office, cmd, kind):
    query = (select(Visit, Customer).join(Customer, Customer.id == Visit.customer_id)
             .where(Visit.office_id == office.id, Visit.kind == kind))
    query = _scope(query, Visit.visited_at, Visit.consultant_id, cmd)
    return session.execute(query.order_by(Visit.id).limit(MAX_ROWS + 1)).all()


def _scope(query, moment, consultant, cmd):
    if cmd.get("date_from"):
        query = query.where(moment >= _start(cmd["date_from"]))
    if cmd.get("date_to"):
        query = query.where(moment < _start(cmd["date_to"]) + timedelta(days=1))
    if cmd.get("consultant_id"):
        query = query.where(consultant == cmd["consultant_id"])
    return query


def _people(session, office, cmd):
    """Consultant names of the office, and who may see a customer's full mobile."""
    staff = session.execute(select(Consultant.id, Consultant.name, Consultant.kind).where(
        Consultant.office_id == office.id)).all()
    names = {row.id: row.name for row in staff}
    viewer = cmd.get("viewer_consultant_id")
    managers = {row.id for row in staff if row.kind == "manager"}

    def can_see(customer):
        return cmd.get("viewer_sees_all") or viewer in managers or viewer == customer.consultant_id
    return names, can_see


def _mobile(customer, can_see):
    mobile = customer.mobile
    return mobile if can_see(customer) else f"{mobile[:3]}****{mobile[-4:]}"


def _label(code, other=None, blank=EMPTY):
    if not code:
        return blank
    text = LABELS.get(code, code)
    return f"{text}:{other}" if code == "other" and other else text


def _labels(codes, other=None):
    return "、".join(_label(code, other) for code in codes) if codes else EMPTY


def _day(moment):
    return moment.astimezone(domain.OFFICE_TIMEZONE).date().isoformat()


def _start(day):
    return datetime.combine(day, time(), domain.OFFICE_TIMEZONE)


def _xlsx(title, columns, rows) -> bytes:
    return xlsx([(title, [list(columns), *([EMPTY if value in (None, "") else value
                                            for value in row] for row in rows)])])
