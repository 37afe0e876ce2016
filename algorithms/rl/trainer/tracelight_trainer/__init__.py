"""tracelight's reference trainer: a tiny from-scratch causal LM, GRPO and SFT updates, and an
OpenAI-compatible server that returns token ids and logprobs (vLLM's extension)."""

import warnings

# torch warns at import when NumPy is absent; the trainer never uses NumPy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

__version__ = "0.1.0"
