"""The names tracelight reads from spans and events (schemas/genai.ts `TL`, instrumentation/sdk/*.ts).

One home for them, so the Python SDK and the server can never spell one differently.
"""

from __future__ import annotations

#: The rollout a span belongs to (span attribute, resource attribute or baggage entry).
ROLLOUT_ID = "tracelight.rollout.id"
#: The attempt of that rollout (one claim of the rollout queue).
ATTEMPT_ID = "tracelight.attempt.id"
#: `tracelight.resource.<name>.version`: the version of a resource the span's work used.
RESOURCE_VERSION_PREFIX = "tracelight.resource."
RESOURCE_VERSION_SUFFIX = ".version"
#: Marks the reward training uses when a rollout has several.
REWARD_PRIMARY = "tracelight.reward.primary"

#: The OTel GenAI evaluation event that carries a reward.
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
EVALUATION_SCORE_LABEL = "gen_ai.evaluation.score.label"
EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

#: Instrumentation scope of the SDK's own spans (the same as the TypeScript SDK's).
SDK_SCOPE = "tracelight-sdk"
#: Root span of a rollout (with_rollout).
ROLLOUT_SPAN_NAME = "tracelight.rollout"
#: A reward given outside every span and rollout gets a short span of its own, named so.
REWARD_SPAN_NAME = "tracelight.reward"


def resource_version_key(name: str) -> str:
    """The attribute naming the version of resource `name`: `tracelight.resource.<name>.version`."""
    return f"{RESOURCE_VERSION_PREFIX}{name}{RESOURCE_VERSION_SUFFIX}"
