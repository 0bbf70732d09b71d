"""The complaint steps the console offers as forms: which API step each is, its title and
fields. Which steps a person is offered is the complaints service's own rule
(`services.complaints.domain.available_steps`); the API checks every step again."""
from dataclasses import dataclass

from services.complaints.domain import available_steps


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea or select
    options: tuple = ()  # (value, label) for a select
    required: bool = False


CATEGORIES = (("quality_defect", "品质缺陷"), ("delivery_date", "交房日期"),
              ("not_as_contracted", "与合同不符"), ("outside_tolerance", "超出允许误差"),
              ("damage", "运输或包装损坏"), ("other_contract_breach", "其他违约"))
DEPARTMENTS = (("engineering", "工程部"), ("sales_manager", "销售部"), ("finance", "财务部"),
               ("legal", "法务部"), ("customer_service", "客服部"))
SATISFACTION = (("very_satisfied", "非常满意"), ("satisfied", "满意"), ("neutral", "一般"),
                ("dissatisfied", "不满意"), ("very_dissatisfied", "非常不满意"))
SANCTIONS = (("none", "无"), ("warning", "警告"), ("minor_demerit", "小过"),
             ("major_demerit", "大过"))
NOTE = Field("note", "备注", "textarea")

# domain step → (API path suffix, title, fields)
STEP_FORMS = {
    "accept": ("acceptance", "受理", (Field("category", "投诉类别", "select", CATEGORIES), NOTE)),
    "reject": ("rejection", "不予受理", (Field("reason", "不予受理原因", "textarea"),)),
    "route": ("routing", "转处理部门", (Field("department", "处理部门", "select", DEPARTMENTS),
                                   NOTE)),
    "await_customer": ("waiting", "等待客户", (NOTE,)),
    "resume": ("resumption", "继续处理", (NOTE,)),
    "report": ("investigation-report", "提交调查报告", (
        Field("cause", "发生原因", "textarea"), Field("course", "具体经过", "textarea"),
        Field("responsible_party", "具体责任者"), Field("conclusion", "结论", "textarea"),
        Field("countermeasures", "对策和防范措施", "textarea"))),
    "review": ("review", "总经理审核", (Field("opinion", "审核意见", "textarea"),)),
    "resolve": ("resolution", "出具处理意见", (Field("opinion", "处理意见", "textarea"),)),
    "reply": ("reply", "答复客户", (Field("form", "答复方式", "select",
                                       (("written", "书面"), ("oral", "口头"))),
                                 Field("content", "答复内容", "textarea"))),
    "close": ("closure", "结案", ()),
    "record_accountability": ("accountability", "责任认定", (
        Field("responsible_department", "责任部门"), Field("responsible_person", "责任人"),
        Field("sanction", "处分", "select", SANCTIONS))),
    "visit": ("visit", "回访", (Field("satisfaction", "客户满意度", "select", SATISFACTION),
                               NOTE)),
    "reopen": ("reopening", "重新处理", (Field("reason", "重新处理原因", "textarea"),)),
}
SUFFIXES = {suffix for suffix, _, _ in STEP_FORMS.values()}


def offered(complaint: dict, role: str | None) -> list[dict]:
    """The step forms for this person on this complaint, in the lifecycle's order."""
    if not role:
        return []
    return [{"step": name, "suffix": STEP_FORMS[name][0], "title": STEP_FORMS[name][1],
             "fields": STEP_FORMS[name][2]}
            for name in available_steps(complaint["status"], role, complaint.get("department"))
            if name in STEP_FORMS]
