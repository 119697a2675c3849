"""Pydantic's validation errors, reworded for the person editing ``linkletter.toml``.

Each problem becomes one line: ``FILE:LINE: KEY = VALUE: what is wrong; e.g. a valid value``,
or ``FILE:LINE: unknown key "shedule" in [[digest]]; did you mean "schedule"?``.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.config.toml_lines import Path, line_of
from bot.platforms import every


def _examples() -> dict[str, str]:
    """Each registered platform's example ids, as TOML lists."""
    channels = [f"{p.name}:{p.ids.channel_example}" for p in every()]
    editors = [f"{p.name}:{p.ids.editor_example}" for p in every()]
    return {
        "sources": f"sources = {json.dumps(channels, ensure_ascii=False)}",
        "publish_to": f"publish_to = {json.dumps([channels[0], 'file:./issues'])}",
        "editors": f"editors = {json.dumps(editors, ensure_ascii=False)}",
        "editors_channel": f"editors_channel = {json.dumps(channels[0])}",
    }


# A valid line for the keys people most often get wrong (shown with "e.g.").
EXAMPLES = {
    "name": 'name = "weekly"',
    **_examples(),
    "timezone": 'timezone = "Europe/London"',
    "port": "port = 8080",
    "host": 'host = "127.0.0.1"',
    "kind": 'kind = "webhook"',
    "read_more": 'read_more = "words"',
    "duplicate_mode": 'duplicate_mode = "reaction"',
}
_KINDS = {
    "string_type": "must be text in quotes",
    "int_type": "must be a whole number, without quotes",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number, without quotes",
    "bool_type": "must be true or false, without quotes",
    "list_type": 'must be a list in brackets, like ["a", "b"]',
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
}
_PATTERNS = {
    "name": "must be lower-case letters, digits, - and _, starting with a letter or digit",
    "api_key_env": "must be the name of an environment variable, like MY_API_KEY",
    "secret_env": "must be the name of an environment variable, like MY_SECRET",
    "reply_to": "must be an e-mail address",
    "url": "must be an http(s) URL, like https://example.com/hook",
    "base_url": "must be an http(s) URL, like https://example.com",
    "app_url": "must be an http(s) URL, like https://example.com",
    "save_url": "must be an http(s) URL, like https://web.archive.org/save/",
}


def toml_value(value: object) -> str:
    """A scalar written as TOML would write it (strings in double quotes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def key_name(path: Path) -> str:
    """``("digest", 0, "emoji", "sections")`` -> ``digest.emoji.sections``."""
    return ".".join(part for part in path if isinstance(part, str)) or "(top level)"


def table_name(path: Path) -> str:
    """How the TOML file names the table at ``path``: ``[[digest]]``, ``[web]``, the top."""
    if not path:
        return "the top level"
    name = key_name(path)
    return f"[[{name}]]" if isinstance(path[-1], int) else f"[{name}]"


def _has(node: object, part: str | int) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def data_path(data: object, loc: Sequence[str | int]) -> Path:
    """Pydantic's ``loc`` without the parts that are not in the file (a union's tag)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if _has(node, part):
            node = node[part]  # type: ignore[index]
            path.append(part)
        elif index == len(loc) - 1:
            path.append(part)  # a missing or unknown key
    return tuple(path)


def _step(annotation: Any, part: str | int) -> Any:
    """The type one level below ``annotation`` along ``part``, or None when unknown."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _step(args[0], part)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict:
        return args[1]
    if origin in (Union, types.UnionType):
        return next((found for a in args if (found := _step(a, part)) is not None), None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
    return None


def _keys_of(annotation: Any) -> set[str]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _keys_of(args[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_keys_of(a) for a in args))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {field.alias or name for name, field in annotation.model_fields.items()}
    return set()


def allowed_keys(root: type[BaseModel], table: Path) -> set[str]:
    """The keys the model accepts in the table at ``table``."""
    annotation: Any = root
    for part in table:
        annotation = _step(annotation, part)
    return _keys_of(annotation)


def _unknown(root: type[BaseModel], path: Path) -> str:
    table, key = path[:-1], str(path[-1])
    message = f"unknown key {json.dumps(key, ensure_ascii=False)} in {table_name(table)}"
    close = difflib.get_close_matches(key, sorted(allowed_keys(root, table)), n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {json.dumps(close[0])}?"
    known = ", ".join(sorted(allowed_keys(root, table)))
    return f"{message} (known keys: {known})" if known else message


def _example(path: Path) -> str:
    key = next((part for part in reversed(path) if isinstance(part, str)), "")
    return f"; e.g. {EXAMPLES[key]}" if key in EXAMPLES else ""


def _sentence(error: ErrorDetails, path: Path) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    key = next((part for part in reversed(path) if isinstance(part, str)), "")
    wording: dict[str, Callable[[], str]] = {
        "value_error": lambda: str(ctx.get("error", error["msg"])),
        "literal_error": lambda: f"must be {ctx.get('expected')}",
        "greater_than_equal": lambda: f"must be at least {ctx.get('ge')}",
        "greater_than": lambda: f"must be more than {ctx.get('gt')}",
        "less_than_equal": lambda: f"must be at most {ctx.get('le')}",
        "too_short": lambda: "must not be empty",
        "string_too_short": lambda: "must not be empty",
        "string_pattern_mismatch": lambda: _PATTERNS.get(key, "is not in the expected form"),
        "union_tag_invalid": lambda: f"must be one of {ctx.get('expected_tags')}",
    }
    if kind in _KINDS:
        return _KINDS[kind]
    if kind in wording:
        return wording[kind]()
    return error["msg"].replace("Input should be", "must be")


def describe(root: type[BaseModel], data: object, error: ErrorDetails) -> tuple[Path, str]:
    """Where the problem is (a key path in the file) and one plain sentence about it."""
    path = data_path(data, error["loc"])
    if error["type"] == "extra_forbidden":
        return path, _unknown(root, path)
    if error["type"].startswith("union_tag_"):  # [destinations.NAME]: no or a wrong kind
        path = (*path, "kind")
    if error["type"] in ("missing", "union_tag_not_found") and path != ("digest",):
        where = table_name(path[:-1])
        return path, f"{where} needs the key {json.dumps(str(path[-1]))}{_example(path)}"
    if path == ("digest",) and error["type"] in ("too_short", "missing"):
        return path, 'needs at least one [[digest]] table; e.g. [[digest]] name = "weekly" …'
    value = (error.get("ctx") or {}).get("tag", error.get("input"))
    shown = "" if isinstance(value, dict | list) else f" = {toml_value(value)}"
    return path, f"{key_name(path)}{shown}: {_sentence(error, path)}{_example(path)}"


def report(source: str, lines: dict[Path, int], problems: Iterable[tuple[Path, str]]) -> str:
    """One ``FILE:LINE: message`` line per problem, in file order (``FILE: message`` when
    the key is not in the file at all)."""
    placed = sorted(((line_of(lines, path) or 0, message) for path, message in problems))
    return "\n".join(
        f"{source}:{line}: {message}" if line else f"{source}: {message}"
        for line, message in placed
    )
