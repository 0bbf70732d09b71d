"""Form fields (always text) to the JSON the API takes. Only types change here: what a value
may be is the API's to say, and its message is shown next to the field."""
import re

_INTEGER = re.compile(r"^-?\d{1,18}$")
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
OFFICE_OFFSET = "+08:00"  # a datetime-local field is the office's own time (Asia/Shanghai)


def as_json(form, integers=(), booleans=(), lists=(), local_times=()) -> dict:
    """Blank fields are left out (the API's defaults apply); integer fields that are not
    integers are passed on as typed, so the API names them."""
    body = {}
    for name in form.keys():
        if name in lists:
            values = [value.strip() for value in form.getlist(name) if value.strip()]
            if values:
                body[name] = values
            continue
        value = form.get(name, "").strip()
        if value == "" or name.startswith("_"):
            continue
        if name in integers and _INTEGER.match(value):
            body[name] = int(value)
        elif name in local_times and _LOCAL_MINUTE.match(value):
            body[name] = value + OFFICE_OFFSET
        elif name in booleans:
            body[name] = value in ("1", "true", "on", "yes")
        else:
            body[name] = value
    return body
