"""tracelight's Python SDK: what an agent needs to be trained by tracelight (mirrors the TypeScript SDK).

init()          OpenTelemetry → tracelight (OTLP), GenAI instrumentations, content capture on
with_rollout()  a root span + baggage carrying the rollout identity onto every span inside
reward()        the OTel GenAI `gen_ai.evaluation.result` event
resources       versioned prompt templates & co., cached with ETag revalidation
runner()        the worker loop over tracelight's rollout queue
render_prompt() strict mustache, the same text as the server's renderer
"""

from .api_client import ApiConnectionError, ApiError
from .attributes import ATTEMPT_ID, EVALUATION_EVENT, REWARD_SPAN_NAME, ROLLOUT_ID, ROLLOUT_SPAN_NAME, resource_version_key
from .baggage_processor import BaggageSpanProcessor, tracelight_baggage_keys
from .evaluation import reward
from .otel import TracelightHandle, current_handle, flush, init, shutdown
from .prompt_template import MissingVariablesError, Placeholder, TemplateError, check_template, render_prompt, template_placeholders, template_variables
from .resource_client import Resource, ResourceClient, ResourceClientStats, ResourceNotFoundError, create_resource_client, resources
from .rollout import ActiveRollout, RolloutScope, current_rollout, with_rollout
from .version import __version__
from .worker import AgentContext, Runner, RunnerStats, runner

__all__ = [
    "ATTEMPT_ID",
    "EVALUATION_EVENT",
    "REWARD_SPAN_NAME",
    "ROLLOUT_ID",
    "ROLLOUT_SPAN_NAME",
    "ActiveRollout",
    "AgentContext",
    "ApiConnectionError",
    "ApiError",
    "BaggageSpanProcessor",
    "MissingVariablesError",
    "Placeholder",
    "Resource",
    "ResourceClient",
    "ResourceClientStats",
    "ResourceNotFoundError",
    "RolloutScope",
    "Runner",
    "RunnerStats",
    "TemplateError",
    "TracelightHandle",
    "__version__",
    "check_template",
    "create_resource_client",
    "current_handle",
    "current_rollout",
    "flush",
    "init",
    "render_prompt",
    "resource_version_key",
    "resources",
    "reward",
    "runner",
    "shutdown",
    "template_placeholders",
    "template_variables",
    "tracelight_baggage_keys",
    "with_rollout",
]
