"""Leads: sales offices, consultants, visit registration (来访客户登记)."""
from marshmallow import fields, validate

from contracts.audit import ReadAudit
from contracts.base import Id, StrictSchema
from contracts.envelope import EventType, register
from contracts.imports import ImportChunkSchema

CONSULTANT_STATUSES = ("available", "busy", "absent", "inactive")
# a manager (案场经理) is a consultant record of kind manager: their user's consultant_id says
# which office they manage; neither managers nor call agents are in the rotation
CONSULTANT_KINDS = ("sales", "call_agent", "manager")
# seed 003 call outcomes: A 肯定来并确定上门时间, B 有时间就来, C 没兴趣但愿接收通知, D 挂断/不愿接收
CALL_OUTCOMES = ("A", "B", "C", "D")
GENDERS = ("male", "female")
# 来访/来电登记表 channels (获知途径)
CHANNELS = ("daily_paper", "evening_paper", "tv", "passing_by", "word_of_mouth", "referral",
            "flyer", "outdoor", "website", "phone_invite", "other")
# every rule that can choose a customer's consultant (第1篇 三、客户分配的原则)
ALLOCATION_RULES = ("new_visitor_rotation", "returning_customer", "returning_customer_assisted",
                    "phone_invited", "referral", "same_day_call", "call_answered",
                    "call_phone_order", "call_reception_order", "existing_customer_call",
                    "manager_override", "hopeless_reassignment")
# 来访客户登记表: the seed's lists; "other" takes a free text (其他__) in the *_other field
AGE_BANDS = ("under_25", "25_34", "35_44", "45_54", "55_plus")
MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
FOCUS_POINTS = ("location", "unit_price", "total_price", "layout", "view", "floor",
                "payment_method", "transport", "construction_progress", "school", "orientation",
                "interior_zoning", "amenities", "appreciation", "area", "delivery_standard",
                "other")
PURCHASE_MOTIVES = ("own_use", "for_family", "investment", "own_use_and_investment", "other")
CUSTOMER_CATEGORIES = ("private_business_owner", "company_purchase", "relocation_compensation",
                       "state_enterprise_leader", "teacher", "lawyer", "doctor",
                       "working_elsewhere", "private_company_leader", "freelancer",
                       "civil_servant", "other")
PROPERTY_TYPES = ("walk_up", "low_rise_elevator", "mid_rise", "high_rise", "stacked_villa",
                  "townhouse", "detached_villa")
AREA_BANDS = ("101_120", "121_150", "151_180", "181_200", "200_250", "250_plus")
LAYOUTS = ("1b1l", "2b2l", "3b2l", "4b2l", "small_duplex", "large_duplex", "other")
UNIT_PRICE_BANDS = ("1500_2000", "2000_2500", "2500_3000", "3000_3500", "3500_4000",
                    "4000_plus")
TOTAL_PRICE_BANDS = ("under_300k", "310k_400k", "410k_600k", "610k_800k", "810k_1m", "1m_plus")
PAYMENT_METHODS = ("lump_sum", "mortgage", "provident_fund", "installments", "other")
# 第1篇 五(一): A 三天内可成交, B 近期能成交但资金/家人未到位, C 态度积极未表态, D 明确不买或抗性极大
GRADES = ("A", "B", "C", "D")
OUTCOMES = ("deal", "hopeless")  # 成交, 无望
# 第1篇 五(三)3: the four kinds of hopeless customers
HOPELESS_KINDS = ("refused_repeatedly", "never_returns", "conflict_with_consultant",
                  "beyond_consultant")
FOLLOW_UP_KINDS = ("visit", "call", "sms")
# 未成交客户分析报告: 主要异议, 第几次置业
OBJECTIONS = ("location", "unit_price", "total_price", "layout", "view", "floor",
              "payment_method", "other")
HOME_PURCHASES = ("first", "second", "multiple")
FAMILY_RELATIONS = ("self", "spouse", "child", "parent", "other")
# 客户信息档案 (第6篇): the sections' questions, free text each
PROFILE_ARCHIVE_FIELDS = (
    "mailing_address", "company", "office_phone", "home_phone", "native_place", "education",
    "family_situation", "spouse", "spouse_education", "spouse_interests", "parents",
    "children", "closest_family_member", "favourite_restaurants", "favourite_shopping",
    "favourite_cuisine", "drinking", "smoking", "health", "travel_by", "associations",
    "social_life", "current_home", "property_investments", "ideal_home", "reason_to_buy",
    "purchase_here", "knows_developer", "cares_about_neighbours", "position", "car_brand",
    "car_plate", "dress", "information_sources", "admires", "career_goals", "personal_goals",
    "proudest_of", "independent_minded")
# Contact details (issue: privacy), the one list of them: in full only for the customer's
# consultant, their office's managers, general managers and admins. For anyone else the mobiles
# and the ID number are masked and the rest dropped, wherever they sit in a customer's views:
# the customer itself, its registration `profile`, its file's `archive` (客户信息档案) and family.
CONTACT_DETAILS = {
    "masked": ("mobile", "other_mobiles", "id_number"),
    "profile": ("address", "postcode"),
    "archive": ("mailing_address", "company", "office_phone", "home_phone", "spouse", "parents",
                "children", "closest_family_member", "car_plate"),
    "file": ("family",),
}
ID_NUMBER = r"^\d{17}[\dXx]$"  # 居民身份证号码 (18 characters)
# seed 003: where call lists come from (自有来访/来电, 拓展, 购买名单, …)
CALL_LIST_SOURCES = ("own_visitors", "own_callers", "expansion", "purchased", "other")
MAX_IMPORT_ROWS = 50_000


class CreateOfficeSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{2,20}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    region_code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z]{1,6}$", error="lower-case pinyin initials of the region, e.g. ly for 洛阳"))
    alternate_groups = fields.Boolean(load_default=False, metadata={
        "description": "two duty groups on alternate days (隔天值班)"})
    project_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=100),
                              metadata={"description": "the projects (inventory's) the office "
                                                       "sells; its sales manager acts on these"})


class OfficeSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region_code = fields.String()
    alternate_groups = fields.Boolean()
    project_ids = fields.List(fields.Integer())


class SetOfficeProjectsSchema(StrictSchema):
    office_id = Id(required=True)
    project_ids = fields.List(Id(), required=True, validate=validate.Length(max=100),
                              metadata={"description": "the office now sells exactly these "
                                                       "projects"})


class ActorScopeQuery(StrictSchema):
    consultant_id = Id(required=True, metadata={
        "description": "a user's consultant or manager record"})


class ActorScopeSchema(StrictSchema):
    office_ids = fields.List(fields.Integer())
    project_ids = fields.List(fields.Integer())


class AddConsultantSchema(StrictSchema):
    office_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    duty_group = fields.Integer(load_default=1, strict=True, validate=validate.OneOf((1, 2)))
    kind = fields.String(load_default="sales", validate=validate.OneOf(CONSULTANT_KINDS),
                         metadata={"description": "call_agent: a call-center agent (电开人员), "
                                                  "never in the reception rotation"})


class SetConsultantStatusSchema(StrictSchema):
    consultant_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CONSULTANT_STATUSES))


class ConsultantSchema(StrictSchema):
    id = fields.Integer()
    office_id = fields.Integer()
    name = fields.String()
    status = fields.String()
    rotation_order = fields.Integer()
    duty_group = fields.Integer()
    kind = fields.String()


def _choice(values, **kw):
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(values), **kw)


def _text(max_length, **kw):
    return fields.String(load_default="", validate=validate.Length(max=max_length), **kw)


class IntendedProductSchema(StrictSchema):
    """意向产品."""
    property_type = _choice(PROPERTY_TYPES)
    area_band = _choice(AREA_BANDS)
    layout = _choice(LAYOUTS)
    layout_other = _text(50)
    unit_price_band = _choice(UNIT_PRICE_BANDS)
    total_price_band = _choice(TOTAL_PRICE_BANDS)
    payment_method = _choice(PAYMENT_METHODS)
    payment_other = _text(50)


class CustomerFormSchema(StrictSchema):
    """What both registration forms ask about the customer (基本情况 … 意向产品), and who
    registers it: one registers in one's own office (the gateway sets these from the token)."""
    office_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=32))
    other_mobiles = fields.List(fields.String(validate=validate.Length(min=1, max=32)),
                                load_default=list, validate=validate.Length(max=5))
    id_number = fields.String(load_default=None, allow_none=True,
                              validate=validate.Regexp(ID_NUMBER, error="not an 18-character "
                                                       "resident ID number"))
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GENDERS))
    age_band = _choice(AGE_BANDS)
    marital_status = _choice(MARITAL_STATUSES)
    residence_area = _text(100)
    address = _text(200)
    postcode = fields.String(load_default="", validate=validate.Regexp(r"^(\d{6})?$"))
    family_structure = _text(100)
    channel = fields.String(load_default="other", validate=validate.OneOf(CHANNELS))
    channel_other = _text(50)
    focus_points = fields.List(fields.String(validate=validate.OneOf(FOCUS_POINTS)),
                               load_default=list)
    focus_other = _text(100)
    purchase_motive = _choice(PURCHASE_MOTIVES)
    motive_other = _text(100)
    customer_category = _choice(CUSTOMER_CATEGORIES)
    category_other = _text(100)
    intended_product = fields.Nested(IntendedProductSchema, load_default=dict)
    recommended_units = _text(200)
    intended_units = _text(200)
    notes = _text(2000)


class RegisterVisitSchema(CustomerFormSchema):
    """来访客户登记表, plus who brought the visitor (for the allocation rules)."""
    visitors = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=50))
    visitor_relation = _text(100)
    invited_by = Id(load_default=None, allow_none=True,
                    metadata={"description": "consultant who invited the visitor by phone"})
    referrer_mobile = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=1, max=32),
                                    metadata={"description": "mobile of the existing customer "
                                                             "who referred them (老带新)"})


class RegisterCallSchema(CustomerFormSchema):
    """来电客户登记表: the call's ad medium and theme, and who answered it."""
    ad_medium = _text(100)
    ad_theme = _text(200)
    answered_by = Id(load_default=None, allow_none=True,
                     metadata={"description": "consultant who answered, from the phone log"})


class ReassignCustomerSchema(StrictSchema):
    """A manager's decision (override or hopeless-customer reassignment), always with reason."""
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    decided_by = fields.String(required=True, validate=validate.Length(min=1, max=100))


class GradeCustomerSchema(StrictSchema):
    customer_id = Id(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    note = _text(500)
    changed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    acting_consultant_id = Id(load_default=None, allow_none=True, metadata={
        "description": "set by the service from the actor: a consultant acts on their own "
                       "customers only"})


class FollowUpSchema(StrictSchema):
    """客户追踪: one follow-up by the customer's own consultant."""
    customer_id = Id(required=True)
    consultant_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_KINDS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reaction = _text(1000)
    next_appointment = fields.AwareDateTime(load_default=None, allow_none=True)


class NonDealAnalysisSchema(StrictSchema):
    """未成交客户分析报告."""
    objections = fields.List(fields.String(validate=validate.OneOf(OBJECTIONS)),
                             load_default=list)
    objection_other = _text(200)
    home_purchase = _choice(HOME_PURCHASES)
    reaction = _text(1000)
    reasons = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class MarkHopelessSchema(StrictSchema):
    customer_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(HOPELESS_KINDS))
    analysis = fields.Nested(NonDealAnalysisSchema, required=True)
    changed_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    acting_consultant_id = Id(load_default=None, allow_none=True)


class FamilyMemberSchema(StrictSchema):
    relation = fields.String(required=True, validate=validate.OneOf(FAMILY_RELATIONS))
    name = _text(50)
    birthday = fields.Date(load_default=None, allow_none=True)


class UpdateProfileSchema(StrictSchema):
    """客户信息档案: answers replace earlier ones; the family list replaces the earlier list."""
    customer_id = Id(required=True)
    acting_consultant_id = Id(load_default=None, allow_none=True)
    archive = fields.Dict(keys=fields.String(validate=validate.OneOf(PROFILE_ARCHIVE_FIELDS)),
                          values=fields.String(validate=validate.Length(max=500)),
                          load_default=dict)
    family = fields.List(fields.Nested(FamilyMemberSchema), load_default=None, allow_none=True,
                         validate=validate.Length(max=20))


class CareRemindersQuery(StrictSchema):
    consultant_id = Id(required=True)
    day = fields.Date(load_default=None, allow_none=True)


class HopelessQuery(StrictSchema):
    office_id = Id(required=True)


class SetOfficeRosterSchema(StrictSchema):
    """Duty groups on alternate days (two groups when the office says so) and the day's phone
    answering order (电话接听顺序)."""
    office_id = Id(required=True)
    alternate_groups = fields.Boolean(load_default=None, allow_none=True)
    groups = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d+$")),
                         values=fields.Integer(strict=True, validate=validate.OneOf((1, 2))),
                         load_default=dict, metadata={"description": "consultant id → group"})
    reception_order = fields.List(Id(), load_default=None, allow_none=True, metadata={
        "description": "the day's reception line; without it, every sales consultant on duty "
                       "in roster order"})
    phone_order = fields.List(Id(), load_default=None, allow_none=True)
    day = fields.Date(load_default=None, allow_none=True,
                      metadata={"description": "day of the orders; today by default"})
    recall_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=365), metadata={
                                     "description": "days before A/B/C numbers are called again"})


class DistributeCallPoolSchema(StrictSchema):
    """Hand numbers from the call pool to call agents (电开资源分配)."""
    agent_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))
    per_agent = fields.Integer(required=True, strict=True,
                               validate=validate.Range(min=1, max=1000))
    source = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(CALL_LIST_SOURCES))


class AgentLeadsQuery(StrictSchema):
    agent_id = Id(required=True)


class RecordCallSchema(StrictSchema):
    """One dialed number: connected or not, the A–D outcome, an invitation to visit."""
    call_lead_id = Id(required=True)
    agent_id = Id(required=True)
    connected = fields.Boolean(required=True)
    outcome = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(CALL_OUTCOMES))
    notes = _text(1000)
    invite_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "the agreed visit time: an invitation (A or B outcomes)"})
    office_id = Id(load_default=None, allow_none=True, metadata={
        "description": "office of the invited visit; the agent's by default"})


class ConfirmInvitationSchema(StrictSchema):
    invitation_id = Id(required=True)
    consultant_id = Id(required=True)


class CallCenterDayQuery(StrictSchema):
    office_id = Id(required=True)
    day = fields.Date(load_default=None, allow_none=True)


class SourceConversionQuery(StrictSchema):
    """Every source; with an office, only the numbers its call agents had, called and brought
    to visit (a sales manager always gets their own office's)."""
    office_id = Id(load_default=None, allow_none=True)


class CallCenterMonthQuery(StrictSchema):
    office_id = Id(required=True)
    # a year the offices can have figures for: 0000 or 9999 are no calendar month of ours
    month = fields.String(required=True, validate=validate.Regexp(
        r"^20\d{2}-(0[1-9]|1[0-2])$", error="YYYY-MM, a month of the years 2000 to 2099"))


class AssignmentSchema(StrictSchema):
    consultant_id = fields.Integer()
    assisted_by = fields.Integer(allow_none=True, metadata={
        "description": "who received the visitor for the absent or busy consultant"})
    rule = fields.String()
    explanation = fields.String()


class CustomerSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    mobile = fields.String()
    gender = fields.String(allow_none=True)
    office_id = fields.Integer()
    consultant_id = fields.Integer()
    channel = fields.String()
    visit_count = fields.Integer()
    call_count = fields.Integer()
    registered_at = fields.AwareDateTime()
    other_mobiles = fields.List(fields.String())
    id_number = fields.String(allow_none=True)
    profile = fields.Dict(metadata={"description": "the registration forms' other answers"})
    grade = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    hopeless_kind = fields.String(allow_none=True)
    excluded_from_credit = fields.List(fields.Integer(), metadata={
        "description": "earlier consultants with no share in this customer's deal"})
    visible_to = fields.List(fields.Integer(), metadata={
        "description": "consultant ids who see full contact details: the customer's consultant "
                       "and the office's managers"})


class GradeChangeSchema(StrictSchema):
    from_grade = fields.String(allow_none=True)
    to_grade = fields.String()
    consultant_id = fields.Integer()
    changed_by = fields.String()
    note = fields.String()
    changed_at = fields.AwareDateTime()


class FollowUpRecordSchema(StrictSchema):
    id = fields.Integer()
    consultant_id = fields.Integer()
    kind = fields.String()
    content = fields.String()
    reaction = fields.String()
    next_appointment = fields.AwareDateTime(allow_none=True)
    recorded_at = fields.AwareDateTime()


class CustomerFileSchema(StrictSchema):
    """The customer, their grade history (晋级), follow-ups, analysis and profile."""
    customer = fields.Nested(CustomerSchema)
    grades = fields.List(fields.Nested(GradeChangeSchema))
    follow_ups = fields.List(fields.Nested(FollowUpRecordSchema))
    non_deal_analysis = fields.Dict(allow_none=True)
    archive = fields.Dict()
    family = fields.List(fields.Nested(FamilyMemberSchema))


class CareReminderSchema(StrictSchema):
    customer_id = fields.Integer()
    customer_name = fields.String()
    occasion = fields.String(metadata={"description": "birthday or a holiday's name"})
    who = fields.String(metadata={"description": "whose birthday (relation and name)"})


class CareRemindersSchema(StrictSchema):
    consultant_id = fields.Integer()
    day = fields.Date()
    reminders = fields.List(fields.Nested(CareReminderSchema))


class ConsultantCustomersQuery(StrictSchema):
    consultant_id = Id(required=True)
    day = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the office day whose follow-ups are due (today by default)"})


class ConsultantCustomerSchema(StrictSchema):
    """One of a consultant's customers as a list shows them: no contact details (those are in
    the customer file, whose read is logged)."""
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    grade = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    visit_count = fields.Integer()
    call_count = fields.Integer()
    registered_at = fields.AwareDateTime()
    last_follow_up_at = fields.AwareDateTime(allow_none=True)
    next_appointment = fields.AwareDateTime(allow_none=True, metadata={
        "description": "the appointment the latest follow-up made"})
    due_today = fields.Boolean(metadata={"description": "next_appointment falls on `day`"})


class ConsultantCustomersSchema(StrictSchema):
    consultant_id = fields.Integer()
    day = fields.Date()
    customers = fields.List(fields.Nested(ConsultantCustomerSchema))


class HopelessListSchema(StrictSchema):
    customers = fields.List(fields.Nested(CustomerSchema))


class VisitResultSchema(StrictSchema):
    customer = fields.Nested(CustomerSchema)
    returning = fields.Boolean()
    assignment = fields.Nested(AssignmentSchema)
    matched_by = fields.String(allow_none=True, metadata={
        "description": "mobile or id_number: how a returning customer was recognized"})


EXPORT_KINDS = ("visits", "calls", "grades")


class ExportSchema(StrictSchema):
    """One XLSX export; the viewer decides which mobiles are masked, as on screen."""
    kind = fields.String(required=True, validate=validate.OneOf(EXPORT_KINDS))
    office_id = Id(required=True)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    consultant_id = Id(load_default=None, allow_none=True, metadata={
        "description": "only this consultant's customers"})
    exported_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    viewer_consultant_id = Id(load_default=None, allow_none=True)
    viewer_sees_all = fields.Boolean(load_default=False)


class ExportFileSchema(StrictSchema):
    export_id = fields.Integer()
    file_name = fields.String()
    rows = fields.Integer()
    content = fields.String(metadata={"description": "the XLSX, base64"})


class ExportLogQuery(StrictSchema):
    office_id = Id(required=True)


class ExportLogEntrySchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    exported_by = fields.String()
    row_count = fields.Integer()
    filters = fields.Dict()
    exported_at = fields.AwareDateTime()


class ExportLogSchema(StrictSchema):
    exports = fields.List(fields.Nested(ExportLogEntrySchema))


class CallLeadSchema(StrictSchema):
    id = fields.Integer()
    mobile = fields.String()
    name = fields.String(allow_none=True)
    source = fields.String()
    status = fields.String()
    agent_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    recall_after = fields.AwareDateTime(allow_none=True)


class CallLeadListSchema(StrictSchema):
    leads = fields.List(fields.Nested(CallLeadSchema))


class DistributionSchema(StrictSchema):
    assigned = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "agent id → numbers handed out"})


class InvitationSchema(StrictSchema):
    id = fields.Integer()
    call_lead_id = fields.Integer()
    agent_id = fields.Integer()
    office_id = fields.Integer()
    appointment_at = fields.AwareDateTime()
    status = fields.String()
    customer_id = fields.Integer(allow_none=True)
    confirmed_by = fields.Integer(allow_none=True)


class CallRecordedSchema(StrictSchema):
    lead = fields.Nested(CallLeadSchema)
    invitation = fields.Nested(InvitationSchema, allow_none=True)


class AgentDaySchema(StrictSchema):
    agent_id = fields.Integer()
    name = fields.String()
    dialed = fields.Integer()
    connected = fields.Integer()
    A = fields.Integer()
    B = fields.Integer()
    C = fields.Integer()
    D = fields.Integer()
    invitations = fields.Integer()
    confirmed_visits = fields.Integer()
    deals = fields.Integer()


class CallCenterDaySchema(StrictSchema):
    office_id = fields.Integer()
    day = fields.Date()
    agents = fields.List(fields.Nested(AgentDaySchema))


class SourceConversionSchema(StrictSchema):
    source = fields.String()
    numbers = fields.Integer()
    called = fields.Integer()
    connected = fields.Integer()
    visits = fields.Integer()
    deals = fields.Integer()
    visit_rate = fields.String(metadata={"description": "visits / numbers called, as a "
                                                        "decimal string"})
    deal_rate = fields.String(metadata={"description": "deals / visits"})


class SourceConversionListSchema(StrictSchema):
    sources = fields.List(fields.Nested(SourceConversionSchema))


class RankingRowSchema(StrictSchema):
    rank = fields.Integer()
    agent_id = fields.Integer()
    name = fields.String()
    confirmed_visits = fields.Integer()
    deals = fields.Integer()


class MonthlyRankingSchema(StrictSchema):
    office_id = fields.Integer()
    month = fields.String()
    ranking = fields.List(fields.Nested(RankingRowSchema))


class OfficeRosterSchema(StrictSchema):
    office_id = fields.Integer()
    alternate_groups = fields.Boolean()
    recall_days = fields.Integer()
    groups = fields.Dict(keys=fields.String(), values=fields.Integer())
    reception_order = fields.List(fields.Integer())
    phone_order = fields.List(fields.Integer())
    day = fields.Date()


class GetCustomerSchema(ReadAudit):
    customer_id = Id(required=True)


class KnownCustomerQuery(ReadAudit):
    """Is a full mobile number already a customer of the office? Asked while a registration is
    typed; a match is a read of that customer, logged."""
    office_id = Id(required=True)
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=32))


class KnownCustomerSchema(StrictSchema):
    known = fields.Boolean()
    code = fields.String(allow_none=True)
    consultant_id = fields.Integer(allow_none=True)


class CustomerFileQuery(GetCustomerSchema):
    consultant_id = Id(load_default=None, allow_none=True, metadata={
        "description": "set when a consultant asks: the file of their own customers only"})


class LeadAssigned(StrictSchema):
    """A customer given to another consultant after registration: a manager's override or a
    hopeless customer's reassignment (a registration's own allocation is in visit_recorded)."""
    consultant_id = fields.Integer(required=True)
    office_id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(ALLOCATION_RULES))
    explanation = fields.String(required=True)


class VisitRecorded(StrictSchema):
    """Every registered visit or call of a customer (来访/来电登记), first or returning, with the
    consultant it was given to and the rule that chose them; the first contact registered the
    customer under `customer_code`. One event per registration: the deal report counts them,
    the dossier files them."""
    kind = fields.String(required=True, validate=validate.OneOf(("visit", "call")))
    office_id = fields.Integer(required=True)
    customer_code = fields.String(required=True)
    consultant_id = fields.Integer(required=True)
    assisted_by = fields.Integer(required=True, allow_none=True)
    rule = fields.String(required=True, validate=validate.OneOf(ALLOCATION_RULES))
    explanation = fields.String(required=True)
    channel = fields.String(required=True)
    first = fields.Boolean(required=True)


class LeadGraded(StrictSchema):
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    previous = fields.String(required=True, allow_none=True)
    consultant_id = fields.Integer(required=True)


class LeadReassigned(StrictSchema):
    """A manager gave the customer to another consultant; when `excluded_from_credit`, the
    previous consultant has no share in a later deal (第1篇 五(三)2)."""
    from_consultant_id = fields.Integer(required=True)
    to_consultant_id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(
        ("manager_override", "hopeless_reassignment")))
    reason = fields.String(required=True)
    excluded_from_credit = fields.Boolean(required=True)


class VisitInvited(StrictSchema):
    invitation_id = fields.Integer(required=True)
    agent_id = fields.Integer(required=True)
    office_id = fields.Integer(required=True)
    appointment_at = fields.AwareDateTime(required=True)


class VisitConfirmed(StrictSchema):
    """The consultant who received an invited visitor confirmed the visit: it counts now."""
    invitation_id = fields.Integer(required=True)
    agent_id = fields.Integer(required=True)
    office_id = fields.Integer(required=True)
    consultant_id = fields.Integer(required=True)


class CallListImported(StrictSchema):
    import_id = fields.Integer(required=True)
    source = fields.String(required=True, validate=validate.OneOf(CALL_LIST_SOURCES))
    added = fields.Integer(required=True)


register(
    EventType("leads", "lead_reassigned", 1, LeadReassigned,
              {"from_consultant_id": 3, "to_consultant_id": 4, "rule": "hopeless_reassignment",
               "reason": "多次跟踪未再上门", "excluded_from_credit": True}),
    EventType("leads", "visit_invited", 1, VisitInvited,
              {"invitation_id": 1, "agent_id": 9, "office_id": 1,
               "appointment_at": "2026-11-28T06:00:00+00:00"}),
    EventType("leads", "visit_confirmed", 1, VisitConfirmed,
              {"invitation_id": 1, "agent_id": 9, "office_id": 1, "consultant_id": 3}),
    EventType("leads", "lead_graded", 1, LeadGraded,
              {"grade": "A", "previous": "B", "consultant_id": 3}),
    EventType("leads", "call_list_imported", 1, CallListImported,
              {"import_id": 1, "source": "purchased", "added": 4980}),
    EventType("leads", "visit_recorded", 2, VisitRecorded,
              {"kind": "visit", "office_id": 1, "customer_code": "ly-zs001", "consultant_id": 3,
               "assisted_by": None, "rule": "new_visitor_rotation",
               "explanation": "reception rotation: next free consultant in today's order",
               "channel": "passing_by", "first": True}),
    EventType("leads", "lead_assigned", 1, LeadAssigned,
              {"consultant_id": 3, "office_id": 1, "rule": "new_visitor_rotation",
               "explanation": "reception rotation: next free consultant in today's order"}),
)


class ImportCallListSchema(StrictSchema):
    """A call list as a table: its header and its rows, cells as text."""
    source = fields.String(required=True, validate=validate.OneOf(CALL_LIST_SOURCES))
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    imported_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    header = fields.List(fields.String(allow_none=True), required=True,
                         validate=validate.Length(min=1, max=50))
    rows = fields.List(fields.List(fields.Raw(allow_none=True)), required=True,
                       validate=validate.Length(max=MAX_IMPORT_ROWS))
    first_line = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=1))


class CallListChunkSchema(ImportChunkSchema):
    """A chunk of a call list file (ImportCallListSchema's table, uploaded as a file)."""
    source = fields.String(required=True, validate=validate.OneOf(CALL_LIST_SOURCES))


class ImportErrorSchema(StrictSchema):
    line = fields.Integer()
    field = fields.String()
    reason = fields.String()


class CallListImportSchema(StrictSchema):
    id = fields.Integer()
    source = fields.String()
    file_name = fields.String()
    rows = fields.Integer()
    added = fields.Integer(metadata={"description": "new numbers in the call pool"})
    duplicates = fields.Integer(metadata={"description": "numbers already known (a customer, "
                                                         "an earlier list, or earlier in this "
                                                         "one)"})
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))


def without_contact_details(customer: dict, mask) -> dict:
    """A customer view with the contact details masked (`mask`) or dropped."""
    masked = CONTACT_DETAILS["masked"]
    view = {key: value for key, value in customer.items() if key not in masked}
    for key in masked:
        if customer.get(key):
            value = customer[key]
            view[key] = [mask(v) for v in value] if isinstance(value, list) else mask(value)
        elif key in customer:
            view[key] = customer[key]
    if "profile" in customer:
        view["profile"] = _dropping(customer["profile"], CONTACT_DETAILS["profile"])
    return view


def file_without_contact_details(file: dict, mask) -> dict:
    """A customer file (客户信息档案) without the contact details of the customer and family."""
    view = _dropping(file, CONTACT_DETAILS["file"])
    view["customer"] = without_contact_details(file["customer"], mask)
    if "archive" in file:
        view["archive"] = _dropping(file["archive"], CONTACT_DETAILS["archive"])
    return view


def _dropping(answers, private) -> dict:
    return {key: value for key, value in (answers or {}).items() if key not in private}
