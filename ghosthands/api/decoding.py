"""Turning request bytes and query strings into msgspec Structs, with every field error.

msgspec stops at the first error; callers deserve all of them. So a body is decoded in
two steps: JSON to builtins (bad JSON → 400 ``bad_request``), then each field of the
target Struct is converted on its own and every failure becomes one detail
``{"field": "priority", "message": "..."}`` (422 ``validation_error``). Nested Structs
and lists of Structs are walked, so paths read ``profile.location.zip`` or
``jobs[3].priority``. Bounds are ``msgspec.Meta`` constraints on the Struct fields, the
same ones the OpenAPI document shows; semantic checks that JSON Schema cannot say (a
real http(s) URL, a known job type) are :class:`Check` markers in the same annotation.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import urlsplit

import msgspec
from starlette.requests import Request

from ghosthands.api.errors import ApiError

T = TypeVar("T")

#: Deepest nesting accepted in a body (free-form objects such as ``input_data``).
MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True)
class Check:
    """A semantic check on a field's converted value: returns a message when it fails."""

    fn: Callable[[Any], str | None]


@dataclasses.dataclass(frozen=True)
class Alias:
    """A second wire name for a field, declared on a Struct as ``field_aliases``.

    Callers written against the original service send ``valet_user_id`` where this API
    says ``user_id``. Both are accepted: the alias fills the canonical field when that is
    absent; both given and different is a 422 naming the alias; ``required`` means one of
    the two must be there (reported against the canonical name). The OpenAPI document
    marks the pair from the same declaration.
    """

    name: str
    canonical: str
    required: bool = False
    #: Who spells it this way (shown in the OpenAPI document).
    origin: str = "original contract"
    #: Whether two given values mean the same (e.g. one UUID in different spellings).
    same: Callable[[Any, Any], bool] = lambda a, b: bool(a == b)


@dataclasses.dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_detail(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


class ValidationFailed(ApiError):
    """422 with one detail per failing field."""

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        super().__init__(
            422,
            message or f"invalid fields: {fields}",
            code="validation_error",
            details=[e.as_detail() for e in errors],
        )
        self.errors = errors


# -- semantic checks ----------------------------------------------------------------------


def http_url(value: Any) -> str | None:
    """A real absolute http(s) URL with a host (and a valid port, if any)."""
    if not isinstance(value, str):
        return None
    if any(c.isspace() for c in value) or any(ord(c) < 32 for c in value):
        return "must not contain whitespace or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host"
    if port == 0:
        return "has an invalid port"
    return None


HttpUrl = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=2048, extra_json_schema={"format": "uri"}),
    Check(http_url),
]


# -- bodies -------------------------------------------------------------------------------


async def read_body(request: Request) -> bytes:
    """The request body. The size limit is enforced by BodyLimitMiddleware while it streams."""
    return await request.body()


def decode_json(raw: bytes) -> Any:
    """JSON to builtins; anything that is not one valid JSON document is a 400."""
    if not raw.strip():
        raise ApiError(400, "request body must be a JSON object", code="bad_request")
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        # ValidationError: e.g. a number too large for a float (1e999).
        raise ApiError(400, f"malformed JSON: {_short(str(exc))}", code="bad_request") from None


async def parse_body(request: Request, model: type[T], *, required: bool = True) -> T | None:
    """Read, decode and validate a JSON body into ``model`` (400 / 413 / 422).

    With ``required=False`` an empty body is no body (None), not a 400: for routes whose
    body only narrows what they do (``DELETE /valet/sessions/{user_id}``).
    """
    raw = await read_body(request)
    if not required and not raw.strip():
        return None
    return validate(decode_json(raw), model)


def validate(data: Any, model: type[T]) -> T:
    """Validate builtins against a Struct, collecting every field error (422)."""
    errors = list(_walk_junk(data, "", 0))
    if errors:
        raise ValidationFailed(errors)
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("body", f"must be a JSON object, got {_kind(data)}")])
    data, errors = resolve_aliases(model, data)
    errors += _check_struct(model, data, "")
    if errors:
        raise ValidationFailed(errors)
    try:
        value = msgspec.convert(data, model)
    except msgspec.ValidationError as exc:  # a combination the per-field pass missed
        raise ValidationFailed([_from_msgspec("body", str(exc))]) from None
    check = getattr(value, "check", None)
    if check is not None:
        errors = check()
        if errors:
            raise ValidationFailed(errors)
    return value


def resolve_aliases(
    model: type[Any], data: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """``data`` with each alias of ``model`` folded into its canonical field, and the
    errors of the pairs (both different, or neither when one is required)."""
    errors: list[FieldError] = []
    for alias in getattr(model, "field_aliases", ()):
        given, canonical = data.get(alias.name), data.get(alias.canonical)
        if given is not None and canonical is None:
            data = {**data, alias.canonical: given}
        elif given is not None and not alias.same(given, canonical):
            errors.append(
                FieldError(
                    alias.name,
                    f"conflicts with {alias.canonical}: send one of them, or the same value",
                )
            )
        elif given is None and canonical is None and alias.required:
            errors.append(FieldError(alias.canonical, "required field is missing"))
    return data, errors


def validate_query(params: Mapping[str, str | list[str]], model: type[T]) -> T:
    """Validate query parameters (strings) into a Struct; list fields accept a,b,c."""
    data: dict[str, Any] = {}
    hints = _fields(model)
    junk = list(_walk_junk(dict(params), "", 0))
    if junk:
        raise ValidationFailed(junk)
    for key, raw in params.items():
        info = hints.get(key)
        if info is None:
            data[key] = raw  # reported as unknown below
            continue
        base, _, _, _ = _unwrap(info.type)
        values = raw if isinstance(raw, list) else [raw]
        if get_origin(base) in (list, tuple):
            data[key] = [part for v in values for part in v.split(",") if part != ""]
        else:
            data[key] = values[-1]
    errors = _check_struct(model, data, "", strict=False)
    if errors:
        # "status[1]" means nothing to someone who wrote status=a,b: name the parameter.
        raise ValidationFailed([FieldError(e.field.split("[")[0], e.message) for e in errors])
    try:
        return msgspec.convert(data, model, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([_from_msgspec("query", str(exc))]) from None


def convert_path(value: str, tp: Any, name: str) -> Any:
    """Convert one path parameter (e.g. a UUID); a malformed one is a 422 for that field."""
    problem = unstorable(value)
    if problem:
        raise ValidationFailed([FieldError(name, f"must not contain {problem}")])
    try:
        return msgspec.convert(value, tp, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([_from_msgspec(name, str(exc))]) from None


# -- the per-field walk -------------------------------------------------------------------


#: Struct -> its fields by wire name. A Struct's fields never change, and
#: msgspec.structs.fields evaluates the class's annotations on every call (a fifth of
#: POST /jobs's CPU when it ran per request).
_FIELDS: dict[type[Any], dict[str, msgspec.structs.FieldInfo]] = {}


def _fields(model: type[Any]) -> dict[str, msgspec.structs.FieldInfo]:
    found = _FIELDS.get(model)
    if found is None:
        found = _FIELDS[model] = {f.encode_name: f for f in msgspec.structs.fields(model)}
    return found


def _unwrap(tp: Any) -> tuple[Any, list[Any], list[Check], bool]:
    """(base type, msgspec.Meta list, checks, optional) of an annotation."""
    metas: list[Any] = []
    checks: list[Check] = []
    optional = False
    while True:
        if get_origin(tp) is Annotated:
            base, *extra = get_args(tp)
            metas.extend(m for m in extra if isinstance(m, msgspec.Meta))
            checks.extend(m for m in extra if isinstance(m, Check))
            tp = base
            continue
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) < len(get_args(tp)):
                optional = True
            if len(args) == 1:
                tp = args[0]
                continue
        return tp, metas, checks, optional


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _check_struct(
    model: type[Any], data: dict[str, Any], prefix: str, *, strict: bool = True
) -> list[FieldError]:
    errors: list[FieldError] = []
    fields = _fields(model)
    config = getattr(model, "__struct_config__", None)
    if config is not None and config.forbid_unknown_fields:
        for key in data:
            if key not in fields:
                errors.append(FieldError(_join(prefix, str(key)), "unknown field"))
    for name, info in fields.items():
        path = _join(prefix, name)
        if name not in data:
            if info.required:
                errors.append(FieldError(path, "required field is missing"))
            continue
        errors.extend(_check_value(info.type, data[name], path, strict=strict))
    return errors


def _check_value(tp: Any, value: Any, path: str, *, strict: bool) -> list[FieldError]:
    base, metas, checks, optional = _unwrap(tp)
    if value is None and optional:
        return []
    if _is_struct(base) and isinstance(value, dict):
        return _check_struct(base, value, path, strict=strict)
    origin = get_origin(base)
    if origin is list and isinstance(value, list):
        (item_type,) = get_args(base) or (Any,)
        item_base, _, _, _ = _unwrap(item_type)
        if _is_struct(item_base):
            errors = [FieldError(path, msg) for msg in _container_meta_errors(metas, value)]
            for i, item in enumerate(value):
                errors.extend(_check_value(item_type, item, f"{path}[{i}]", strict=strict))
            return errors
    try:
        converted = msgspec.convert(value, tp, strict=strict)
    except msgspec.ValidationError as exc:
        return [_from_msgspec(path, str(exc))]
    errors = []
    for check in checks:
        message = check.fn(converted)
        if message:
            errors.append(FieldError(path, message))
    if not errors and origin is list and isinstance(converted, list):
        # Checks on the items of a list (e.g. list[HttpUrl]).
        (item_type,) = get_args(base) or (Any,)
        _, _, item_checks, _ = _unwrap(item_type)
        for i, item in enumerate(converted):
            for check in item_checks:
                message = check.fn(item)
                if message:
                    errors.append(FieldError(f"{path}[{i}]", message))
    return errors


def _container_meta_errors(metas: list[Any], value: list[Any]) -> list[str]:
    found = []
    for meta in metas:
        if meta.min_length is not None and len(value) < meta.min_length:
            found.append(f"must hold at least {meta.min_length} item(s)")
        if meta.max_length is not None and len(value) > meta.max_length:
            found.append(f"must hold at most {meta.max_length} item(s)")
    return found


_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """What in ``text`` PostgreSQL cannot store, or None: NUL characters, and lone
    surrogates (not characters at all; UTF-8 cannot encode them)."""
    if "\x00" in text:
        return "NUL characters"
    if _SURROGATE.search(text):
        return "unpaired surrogate characters"
    return None


def _walk_junk(value: Any, path: str, depth: int) -> typing.Iterator[FieldError]:
    """Things no field may hold: text PostgreSQL cannot store (:func:`unstorable`) and
    nesting deeper than MAX_DEPTH. Reports the first offending path of each kind."""
    if depth > MAX_DEPTH:
        yield FieldError(path or "body", f"nested deeper than {MAX_DEPTH} levels")
        return
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            yield FieldError(path or "body", f"must not contain {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = _join(path, str(key))
            problem = unstorable(str(key))
            if problem:
                yield FieldError(path or "body", f"keys must not contain {problem}")
                return
            for error in _walk_junk(item, sub, depth + 1):
                yield error
                return
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for error in _walk_junk(item, f"{path}[{i}]", depth + 1):
                yield error
                return


_AT = re.compile(r" - at `\$(.*)`$")


def _from_msgspec(path: str, message: str) -> FieldError:
    """msgspec's 'Expected `int` <= 10 - at `$[2]`' → field 'path[2]', message first part."""
    match = _AT.search(message)
    if match:
        message = message[: match.start()]
        suffix = match.group(1)
        path = path + suffix if suffix.startswith("[") else _join(path, suffix.lstrip("."))
    return FieldError(path, _short(message))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
