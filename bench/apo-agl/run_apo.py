"""Agent Lightning's own APO (agentlightning.algorithm.apo.APO, 0.3.0) on the bench task, for bench/apo.ts.

The algorithm, its trainer, store, tracer (AgentOps) and adapter (TraceToMessages) are Agent Lightning's, used as
its APO example uses them. What is supplied here:
  - the agent: one call to the agent model (sim-small) with the rendered prompt, rewarded by the bench's grading
    endpoint, so Agent Lightning and tracelight are scored by the same grader;
  - a subclass of APO that counts the rollouts it runs (train and validation, every agent run) and prints the best
    prompt after each round with the rollouts spent so far, one JSON object per line on stdout;
  - with "feedback" in the config, the grader's explanation (e.g. "expected 20240; the reply's final number is
    202.4"), emitted by the agent with agl.emit_message and appended by the adapter to the rollout's messages,
    so APO's critic sees why a rollout failed, as tracelight's does.

Usage: python run_apo.py CONFIG.json   (written by bench/apo.ts)
"""

import asyncio
import json
import logging
import os
import random
import sys
import traceback
import urllib.request
from typing import Any, Dict

import agentlightning as agl
import agentlightning.algorithm.apo.apo as apo_module
from agentlightning.adapter.messages import TraceToMessages
from agentlightning.emitter.message import get_message_value
from agentlightning.algorithm.apo import APO
from agentlightning.execution.shared_memory import SharedMemoryExecutionStrategy
from agentlightning.types import PromptTemplate
from openai import AsyncOpenAI, OpenAI

# stdout carries the bench's JSON lines; everything Agent Lightning logs goes to stderr.
OUT = sys.stdout
sys.stdout = sys.stderr


def emit(event: Dict[str, Any]) -> None:
    OUT.write(json.dumps(event) + "\n")
    OUT.flush()


class _FastPoll:
    """APO polls the store every 2 s while a batch runs; a simulated call takes milliseconds, so that poll alone
    would be most of the run's wall time. Shorter sleeps change when it looks, not what it does."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(min(delay, 0.02), result)


apo_module.asyncio = _FastPoll()  # type: ignore[assignment]


class CountingAPO(APO[Dict[str, Any]]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rollouts = 0
        self.rounds_done = 0

    async def evaluate_prompt_on_batch(self, prompt, resource_name, dataset, mode, *, prefix=None):  # type: ignore[override]
        results, score = await super().evaluate_prompt_on_batch(prompt, resource_name, dataset, mode, prefix=prefix)
        self.rollouts += len(results)
        return results, score

    async def _update_best_prompt(self, beam, resource_name, val_dataset, round_num):  # type: ignore[override]
        await super()._update_best_prompt(beam, resource_name, val_dataset, round_num)
        self.rounds_done = round_num + 1
        best = self.get_best_prompt()
        emit(
            {
                "event": "round",
                "round": round_num + 1,
                "rollouts": self.rollouts,
                "best_score": self._history_best_score,
                "best_prompt": best.template,
            }
        )


class GraderFeedbackToMessages(TraceToMessages):
    """Agent Lightning's adapter, plus the messages the agent emitted (the grader's feedback) as the last turn."""

    def adapt(self, source):  # type: ignore[override]
        out = super().adapt(source)
        notes = [v for v in (get_message_value(s) for s in source) if v]
        if out and notes:
            last = out[-1]
            last["messages"] = [*last["messages"], *({"role": "user", "content": n} for n in notes)]
        return out


def main() -> None:
    cfg = json.load(open(sys.argv[1]))
    random.seed(cfg["seed"])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("agentlightning.algorithm.apo").setLevel(os.environ.get("BENCH_AGL_LOG", "WARNING"))

    agent_client = OpenAI(base_url=cfg["agent_url"], api_key="unused", max_retries=0)

    feedback = bool(cfg.get("feedback"))

    def grade(question: str, output: str, expected: Any) -> Dict[str, Any]:
        body = json.dumps({"run": cfg["seed"], "question": question, "output": output, "expected": expected}).encode()
        req = urllib.request.Request(cfg["grade_url"], data=body, headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.load(res)

    @agl.rollout
    def agent(task: Dict[str, Any], prompt_template: PromptTemplate) -> float:
        res = agent_client.chat.completions.create(
            model=cfg["agent_model"],
            messages=[{"role": "user", "content": prompt_template.format(question=task["question"])}],
        )
        g = grade(task["question"], res.choices[0].message.content or "", task["answer"])
        if feedback and g.get("explanation"):
            agl.emit_message(f"Grader: reward {float(g['reward']):g}. {g['explanation']}")
        return float(g["reward"])

    knobs = cfg["knobs"]
    algo = CountingAPO(
        AsyncOpenAI(base_url=cfg["optimizer_url"], api_key="unused", max_retries=0),
        gradient_model=cfg["optimizer_model"],
        apply_edit_model=cfg["optimizer_model"],
        beam_width=knobs["beam_width"],
        branch_factor=knobs["branch_factor"],
        beam_rounds=knobs["beam_rounds"],
        gradient_batch_size=knobs["gradient_batch_size"],
        val_batch_size=knobs["val_batch_size"],
    )
    emit({"event": "start", "rollouts": 0, "best_prompt": cfg["start"]})
    # Agent Lightning's default tracer, and its runner polling the store for work every 50 ms instead of every 5 s.
    tracer = agl.AgentOpsTracer(agentops_managed=True, instrument_managed=True, daemon=True)
    runner = agl.LitAgentRunner(tracer, poll_interval=0.05, interval_jitter=0.0)
    trainer = agl.Trainer(
        algorithm=algo,
        tracer=tracer,
        runner=runner,
        n_runners=knobs["runners"],
        # In one process (no store server, no runner processes); Agent Lightning's tracer is process-wide, so one runner.
        strategy=SharedMemoryExecutionStrategy(n_runners=knobs["runners"], main_thread="algorithm"),
        initial_resources={"prompt_template": PromptTemplate(template=cfg["start"], engine="f-string")},
        adapter=GraderFeedbackToMessages() if feedback else TraceToMessages(),
    )
    trainer.fit(agent, train_dataset=cfg["train"], val_dataset=cfg["validation"])
    emit({"event": "done", "rollouts": algo.rollouts, "rounds": algo.rounds_done, "best_prompt": algo.get_best_prompt().template})


if __name__ == "__main__":
    try:
        main()
    except BaseException as err:  # the bench prints the reason in AGL's row
        traceback.print_exc(file=sys.stderr)
        emit({"event": "error", "reason": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"})
        raise SystemExit(1)
