"""Renders prompt-template cases with tracelight.render_prompt / template_variables, for python-sdk.test.ts to
compare with the server's renderPrompt / templateVariables (schemas/prompt-template.ts, mustache.js).

Usage: python sdk_templates.py CASES.json      (a JSON array of [template, variables])
Prints one JSON array: per case {ok: text} or {error: class, missing}, and vars (the names, or the error class).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sdk_common import emit

import tracelight

with open(sys.argv[1], encoding="utf-8") as f:
    cases = json.load(f)
out: list[dict[str, Any]] = []
for template, variables in cases:
    result: dict[str, Any]
    try:
        result = {"ok": tracelight.render_prompt(template, variables)}
    except tracelight.MissingVariablesError as err:
        result = {"error": "MissingVariablesError", "missing": err.missing}
    except tracelight.TemplateError:
        result = {"error": "TemplateError", "missing": None}
    try:
        result["vars"] = tracelight.template_variables(template)
    except tracelight.TemplateError:
        result["vars"] = "TemplateError"
    out.append(result)
emit(out)
