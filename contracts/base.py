"""Schema helpers shared by every contract module."""
import re
from decimal import Decimal, InvalidOperation

from marshmallow import (Schema, ValidationError, fields, missing, post_load, pre_load, validate,
                         RAISE)

from contracts.errors import InvalidInput

FEN = Decimal("0.01")
MAX_MONEY = Decimal("1000000000000")  # Numeric(14, 2): at most 999 999 999 999.99
MAX_ID = 2**31 - 1  # the database's INTEGER
MAX_INTEGER = 2**31 - 1  # every integer a request carries fits the database's INTEGER
MAX_NESTING = 32  # no contract nests that deep; deeper input is refused, not recursed into

# Text no record may hold: NUL (PostgreSQL refuses it), control characters other than tab and
# newline (CR, LF or CRLF) — XLSX cannot hold them —, DEL and the C1 controls, lone surrogates
# (valid in JSON as "\ud800", but not encodable) and the non-characters U+FFFE/U+FFFF.
FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text_problem(text: str) -> str | None:
    """Why `text` may not be stored, or None when it may."""
    found = FORBIDDEN_TEXT.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = ("a lone surrogate" if 0xD800 <= code <= 0xDFFF else
            "a NUL character" if code == 0 else "a control character")
    return f"contains {kind} (U+{code:04X}); only printable text, tabs and newlines are accepted"


def clean_text(text: str, replacement: str = "") -> str:
    """`text` without what `text_problem` refuses (for repairing rows stored before the check)."""
    return FORBIDDEN_TEXT.sub(replacement, text)


def _safe_name(name) -> str:
    """A key as it may appear in an error message (a refused character is shown escaped)."""
    name = str(name)
    return name if text_problem(name) is None else name.encode("unicode_escape", "backslashreplace").decode("ascii")


def _problems(value, path: str, found: list) -> None:
    """Every refused string, out-of-range integer and too deep nesting anywhere in `value`
    (keys included), by path; iterative, so no input can exhaust the stack."""
    pending = [(value, path, 0)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                found.append((path, problem))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_INTEGER:
                found.append((path, f"must be between {-MAX_INTEGER} and {MAX_INTEGER}"))
        elif isinstance(value, (dict, list, tuple)):
            if depth >= MAX_NESTING:
                found.append((path, f"nested more than {MAX_NESTING} levels deep"))
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(value, dict):
                    name = _safe_name(key)
                    item_path = f"{path}.{name}" if path else name
                    key_problem = text_problem(key) if isinstance(key, str) else None
                    if key_problem:
                        found.append((item_path, f"the key {key_problem}"))
                else:
                    item_path = f"{path}[{key}]"
                pending.append((item, item_path, depth + 1))


def nesting_depth(value) -> int:
    """How deeply `value` nests lists and dicts (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list, tuple)):
            deepest = max(deepest, depth + 1)
            pending.extend((item, depth + 1) for item in
                           (value.values() if isinstance(value, dict) else value))
    return deepest


def input_errors(payload) -> dict:
    """Marshmallow-style errors, by top-level field, for the text and numbers no field may hold."""
    found: list = []
    _problems(payload, "", found)
    errors: dict = {}
    for path, problem in sorted(found):
        field = re.split(r"[.\[]", path, maxsplit=1)[0] or "_schema"
        errors.setdefault(field, []).append(problem if path == field else f"{path}: {problem}")
    return errors


class StrictSchema(Schema):
    """The base of every contract schema: unknown fields refused, and every string anywhere
    in the input (nested lists and dicts, table cells, keys) checked once, before any field
    sees it, so no NUL, control character or lone surrogate reaches a record."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_unstorable_input(self, data, **kwargs):
        if isinstance(data, dict):
            errors = input_errors(data)
            if errors:
                raise ValidationError(errors)
        return data

    @post_load
    def _refuse_integers_beyond_the_database(self, data, **kwargs):
        """Integers parsed from text (query strings) are checked here, once they are numbers."""
        if not isinstance(data, dict):
            return data
        errors = {name: [f"must be between {-MAX_INTEGER} and {MAX_INTEGER}"]
                  for name, value in data.items()
                  if isinstance(value, int) and not isinstance(value, bool)
                  and abs(value) > MAX_INTEGER}
        if errors:
            raise ValidationError(errors)
        return data

    @classmethod
    def shared(cls):
        """One instance per schema, reused: building one copies every field, which costs more
        than loading or dumping a request."""
        if "_shared" not in cls.__dict__:
            cls._shared = cls()
        return cls._shared


MONEY_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"
_MONEY = re.compile(MONEY_PATTERN)


def _at_most_fen(value: Decimal):
    if abs(value) >= MAX_MONEY:
        raise ValidationError(f"at most {MAX_MONEY - FEN}")
    if value != value.quantize(FEN):
        raise ValidationError("at most two decimal places (fen)")


class MoneyField(fields.Decimal):
    """Accepts only strings of digits with at most two decimals, so a JSON float, an exponent
    ("1e30"), NaN or Infinity never becomes money."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('money is a string like "12345.60", not a number')
        if not _MONEY.match(value):
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite() and abs(number) >= MAX_MONEY:
                raise ValidationError(f"at most {MAX_MONEY - FEN}")
            raise ValidationError('money is a string of yuan with at most two decimals, '
                                  'like "12345.60"')
        return super()._deserialize(value, attr, data, **kwargs)


def Money(**kwargs):
    """Yuan to the fen: a JSON string like "12345.60" in and out, a Decimal inside."""
    validators = [_at_most_fen, *kwargs.pop("validate", [])]
    return MoneyField(as_string=True, allow_nan=False, validate=validators, **kwargs)


def PositiveMoney(**kwargs):
    return Money(validate=[validate.Range(min=0, min_inclusive=False, error="must be greater than 0")], **kwargs)


Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kw)  # noqa: E731


def load(schema: Schema, payload):
    """Validate `payload` with `schema`, raising the typed InvalidInput with the field errors."""
    if not isinstance(payload, dict):
        raise InvalidInput("the request body must be a JSON object", {"_schema": ["not an object"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None


def _plain_string(value):
    return None if value is None else str(value)


def _plain_integer(value):
    return None if value is None else int(value)


def _plain_integers(value):
    return None if value is None else [int(item) for item in value]


def _iso(value):
    return None if value is None else value.isoformat()


class RowList(fields.List):
    """`List(Nested(schema))` for many plain rows (dicts): each row is dumped by a plan compiled
    once from the nested schema's fields — every field's own `_serialize`, a plain `str`,
    `int`, list of `int` or `isoformat()` for the plain String, Integer, List(Integer) and
    ISO DateTime fields — instead of marshmallow's per-value machinery.
    The output is the same as `List(Nested(schema))` (tests/unit/test_row_list.py); anything
    else (objects, dump hooks, `only`/`exclude`) takes marshmallow's own path. For lists of
    a thousand rows, such as a dossier's entries."""

    def __init__(self, nested, **kwargs):
        super().__init__(fields.Nested(nested), **kwargs)
        self._plan = None

    def _compile(self):
        schema = self.inner.schema
        if schema._hooks["pre_dump"] or schema._hooks["post_dump"]:
            return False
        plan = []
        for name, field in schema.dump_fields.items():
            if field.dump_default is not missing or "." in (field.attribute or name):
                return False
            if type(field) is fields.String:
                convert = _plain_string
            elif type(field) is fields.Integer and not field.as_string:
                convert = _plain_integer
            elif (type(field) is fields.List and type(field.inner) is fields.Integer
                  and not field.inner.as_string):
                convert = _plain_integers
            elif (type(field) in (fields.DateTime, fields.AwareDateTime)
                  and (field.format or field.DEFAULT_FORMAT) == "iso"):
                convert = _iso
            else:
                convert = field._serialize  # bound to the field; (value, attr, obj)
                plan.append((field.data_key or name, field.attribute or name, convert, True))
                continue
            plan.append((field.data_key or name, field.attribute or name, convert, False))
        return plan

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if self._plan is None:
            self._plan = self._compile()
        if not self._plan or not all(isinstance(row, dict) for row in value):
            return super()._serialize(value, attr, obj, **kwargs)
        out = []
        for row in value:
            dumped = {}
            for key, source, convert, full in self._plan:
                if source not in row:
                    continue  # as marshmallow: a missing value is left out
                item = row[source]
                dumped[key] = convert(item, source, row) if full else convert(item)
            out.append(dumped)
        return out
