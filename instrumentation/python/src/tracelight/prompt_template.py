"""Prompt templates: mustache `{{variable}}` placeholders, rendered exactly as schemas/prompt-template.ts does.

The parser is a line-by-line port of mustache.js 4.2 (the renderer the server, the TypeScript SDK and the
optimizers use), so one template renders to the same text in every language: the same standalone-line
rules (a section, comment or delimiter tag alone on its line takes the line with it), the same `{{=<% %>=}}`
delimiter changes, the same JavaScript truthiness for sections (0, "" and null are false; an empty list
renders nothing; an empty object is true) and the same JavaScript `String()` for values (1.0 → `1`,
True → `true`, [1, 2] → `1,2`).

Like renderPrompt there, and unlike plain mustache:
- strict: every placeholder that is looked up must have a value (False, None, 0, "" and [] are values); a
  missing one is an error naming all missing placeholders, instead of an empty string;
- no HTML escaping: prompts are text, so `{{x}}` and `{{{x}}}` render the same. Partials (`{{> p}}`) are
  refused. Lookups read data only (dict keys, list indices and `length`), never attributes or callables, so
  a template written by an optimizer cannot reach into the process that renders it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

PlaceholderKind = Literal["variable", "section", "inverted"]


class TemplateError(ValueError):
    """The template does not parse, uses a partial, or cannot be rendered."""


class MissingVariablesError(TemplateError):
    """Placeholders without a value; `missing` names every one of them, in order of first use."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(f"missing template variable{'' if len(self.missing) == 1 else 's'}: {', '.join(self.missing)}")


@dataclass(frozen=True)
class Placeholder:
    #: The name as written, dotted paths included (`user.name`).
    name: str
    kind: PlaceholderKind
    #: Names of the sections this placeholder sits inside, outermost first (empty at top level).
    within: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- the parser
# mustache.js's parseTemplate, squashTokens and nestTokens. A token is a list, as there:
# [type, value, start, end] plus, for sections, [4] the nested tokens and [5] where the section's body ends.

_WHITE = re.compile(r"\s*")
_SPACE = re.compile(r"\s+")
_EQUALS = re.compile(r"\s*=")
_CURLY = re.compile(r"\s*\}")
_TAG = re.compile(r"#|\^|/|>|\{|&|=|!")
_NON_SPACE = re.compile(r"\S")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.tail = text
        self.pos = 0

    def eos(self) -> bool:
        return self.tail == ""

    def scan(self, pattern: re.Pattern[str]) -> str:
        match = pattern.match(self.tail)
        if not match:
            return ""
        found = match.group(0)
        self.tail = self.tail[len(found) :]
        self.pos += len(found)
        return found

    def scan_until(self, pattern: re.Pattern[str]) -> str:
        match = pattern.search(self.tail)
        if match is None:
            found, self.tail = self.tail, ""
        elif match.start() == 0:
            found = ""
        else:
            found, self.tail = self.tail[: match.start()], self.tail[match.start() :]
        self.pos += len(found)
        return found


def _compile_tags(tags: str | Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    pair = _SPACE.split(tags)[:2] if isinstance(tags, str) else list(tags)
    if len(pair) != 2:
        raise ValueError(f"Invalid tags: {tags}")
    opening, closing = pair
    return (
        re.compile(re.escape(opening) + r"\s*"),
        re.compile(r"\s*" + re.escape(closing)),
        re.compile(r"\s*" + re.escape("}" + closing)),
    )


def _parse_tokens(template: str) -> list[list[Any]]:
    if not template:
        return []
    sections: list[list[Any]] = []
    tokens: list[list[Any] | None] = []
    spaces: list[int] = []  # indices of whitespace tokens on the current line
    has_tag = False  # is there a {{tag}} on the current line?
    non_space = False  # is there a non-space char on the current line?

    def strip_space() -> None:
        # Strips the line's whitespace if it held a tag and otherwise only space (a standalone tag).
        nonlocal spaces, has_tag, non_space
        if has_tag and not non_space:
            while spaces:
                tokens[spaces.pop()] = None
        else:
            spaces = []
        has_tag = False
        non_space = False

    opening_re, closing_re, closing_curly_re = _compile_tags(("{{", "}}"))
    scanner = _Scanner(template)
    while not scanner.eos():
        start = scanner.pos
        value = scanner.scan_until(opening_re)
        for char in value:
            if not _NON_SPACE.search(char):
                spaces.append(len(tokens))
            else:
                non_space = True
            tokens.append(["text", char, start, start + 1])
            start += 1
            if char == "\n":
                strip_space()

        if not scanner.scan(opening_re):
            break
        has_tag = True
        kind = scanner.scan(_TAG) or "name"
        scanner.scan(_WHITE)
        if kind == "=":
            value = scanner.scan_until(_EQUALS)
            scanner.scan(_EQUALS)
            scanner.scan_until(closing_re)
        elif kind == "{":
            value = scanner.scan_until(closing_curly_re)
            scanner.scan(_CURLY)
            scanner.scan_until(closing_re)
            kind = "&"
        else:
            value = scanner.scan_until(closing_re)
        if not scanner.scan(closing_re):
            raise ValueError(f"Unclosed tag at {scanner.pos}")

        token: list[Any] = [kind, value, start, scanner.pos]
        tokens.append(token)
        if kind in ("#", "^"):
            sections.append(token)
        elif kind == "/":
            if not sections:
                raise ValueError(f'Unopened section "{value}" at {start}')
            open_section = sections.pop()
            if open_section[1] != value:
                raise ValueError(f'Unclosed section "{open_section[1]}" at {start}')
        elif kind in ("name", "{", "&"):
            non_space = True
        elif kind == "=":
            opening_re, closing_re, closing_curly_re = _compile_tags(value)

    strip_space()
    if sections:
        raise ValueError(f'Unclosed section "{sections[-1][1]}" at {scanner.pos}')
    return _nest(_squash([t for t in tokens if t is not None]))


def _squash(tokens: list[list[Any]]) -> list[list[Any]]:
    out: list[list[Any]] = []
    last: list[Any] | None = None
    for token in tokens:
        if token[0] == "text" and last is not None and last[0] == "text":
            last[1] += token[1]
            last[3] = token[3]
        else:
            out.append(token)
            last = token
    return out


def _nest(tokens: list[list[Any]]) -> list[list[Any]]:
    nested: list[list[Any]] = []
    collector = nested
    sections: list[list[Any]] = []
    for token in tokens:
        if token[0] in ("#", "^"):
            collector.append(token)
            sections.append(token)
            token.extend([[], None])
            collector = token[4]
        elif token[0] == "/":
            section = sections.pop()
            section[5] = token[2]
            collector = sections[-1][4] if sections else nested
        else:
            collector.append(token)
    return nested


def _parse(template: str) -> list[list[Any]]:
    if not isinstance(template, str):
        raise TypeError("a prompt template must be a string")
    try:
        return _parse_tokens(template)
    except ValueError as err:
        raise TemplateError(f"invalid template: {err}") from None


# ---------------------------------------------------------------------------------------------- placeholders


def template_placeholders(template: str) -> list[Placeholder]:
    """Every placeholder in the template, in order of appearance (each name/kind/position once)."""
    out: list[Placeholder] = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()

    def walk(tokens: list[list[Any]], within: tuple[str, ...]) -> None:
        for token in tokens:
            kind, name = token[0], token[1]
            if kind == ">":
                raise TemplateError(f"partials are not supported in prompt templates ({{{{> {name}}}}})")
            placeholder: PlaceholderKind | None = {"name": "variable", "&": "variable", "#": "section", "^": "inverted"}.get(kind)  # type: ignore[assignment]
            if placeholder is not None and name != ".":
                key = (placeholder, name, within)
                if key not in seen:
                    seen.add(key)
                    out.append(Placeholder(name, placeholder, within))
            if kind in ("#", "^"):
                walk(token[4], (*within, name))

    walk(_parse(template), ())
    return out


def template_variables(template: str) -> list[str]:
    """The names a template uses, in order of first appearance, each once: variables and section names alike
    (what an optimizer must keep when it rewrites the text). `.` (the current list item) is not a name."""
    return list(dict.fromkeys(p.name for p in template_placeholders(template)))


def check_template(template: str) -> None:
    """Raises TemplateError when the text is not a valid template (unclosed tag or section, partials)."""
    template_placeholders(template)


# ---------------------------------------------------------------------------------------------- rendering


def _js_number(value: float) -> str:
    """JavaScript's Number.prototype.toString() (ECMA-262 Number::toString), from Python's shortest repr."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exponent = int(exponent) + len("".join(map(str, digit_tuple))) - len(digits)
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _js_string(value: Any) -> str:
    """JavaScript's String(value) for JSON-like values, which is what mustache.js writes into the text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**21 else _js_number(float(value))
    if isinstance(value, float):
        return _js_number(value)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None else _js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def _truthy(value: Any) -> bool:
    """JavaScript truthiness: None, False, 0, NaN and "" are false; every list and dict (even empty) is true."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


_MISS = object()


def _own_lookup(view: Any, name: str) -> Any:
    """The dotted path's value read through data only (mustache.js reads own properties there), or _MISS."""
    current = view
    for part in name.split("."):
        if current is None:
            return _MISS
        if isinstance(current, Mapping):
            if part not in current:
                return _MISS
            current = current[part]
        elif isinstance(current, (list, tuple, str)):
            if part == "length":
                current = len(current)
            elif part.isdigit() and (part == "0" or not part.startswith("0")) and int(part) < len(current):
                current = current[int(part)]
            else:
                return _MISS
        else:
            return _MISS
    return current


class _Context:
    """mustache's context stack, strict: a name found nowhere is recorded as missing."""

    def __init__(self, view: Any, parent: _Context | None, missing: dict[str, None]) -> None:
        self.view = view
        self.parent = parent
        self.missing = missing

    def push(self, view: Any) -> _Context:
        return _Context(view, self, self.missing)

    def lookup(self, name: str) -> Any:
        if name == ".":
            return self.view
        ctx: _Context | None = self
        while ctx is not None:
            found = _own_lookup(ctx.view, name)
            if found is not _MISS:
                return found
            ctx = ctx.parent
        self.missing[name] = None
        return None


def _render_tokens(tokens: list[list[Any]], ctx: _Context) -> str:
    out: list[str] = []
    for token in tokens:
        kind = token[0]
        if kind == "text":
            out.append(token[1])
        elif kind in ("name", "&"):
            value = ctx.lookup(token[1])
            if value is not None:
                out.append(_js_string(value))
        elif kind == "#":
            value = ctx.lookup(token[1])
            if not _truthy(value):
                continue
            if isinstance(value, (list, tuple)):
                out.extend(_render_tokens(token[4], ctx.push(item)) for item in value)
            elif isinstance(value, bool):
                out.append(_render_tokens(token[4], ctx))
            else:
                out.append(_render_tokens(token[4], ctx.push(value)))
        elif kind == "^":
            value = ctx.lookup(token[1])
            if not _truthy(value) or (isinstance(value, (list, tuple)) and len(value) == 0):
                out.append(_render_tokens(token[4], ctx))
        # Comments ("!") and delimiter changes ("=") render nothing; partials were refused before rendering.
    return "".join(out)


def render_prompt(template: str, variables: Mapping[str, Any]) -> str:
    """Renders the template with the variables.

    Raises MissingVariablesError naming every placeholder that has no value (so the caller sees all of them
    at once), TemplateError when the template does not parse or uses a partial.
    """
    check_template(template)
    missing: dict[str, None] = {}
    out = _render_tokens(_parse(template), _Context(variables, None, missing))
    if missing:
        raise MissingVariablesError(list(missing))
    return out
