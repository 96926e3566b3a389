"""The chat model as a dependency of ``GET /api/services/status`` (``shared.health.checks``).

Cheap on purpose: for the embedded model, "the file and llama_cpp are there" without loading
it; for a remote server, one GET of its model list with a short timeout. Not required: the rest
of the platform works without a chat model.
"""

from __future__ import annotations

from shared.health.probe import DependencyCheck


def _probe() -> object:
    from shared.config import get_settings
    from shared.llm import get_llm
    from shared.llm.embedded import model_file_status

    backend = get_llm()
    if backend.name == "embedded":
        return model_file_status(get_settings().llm_model_path)
    backend.ping()
    return None


LLM_CHECK = DependencyCheck("llm", _probe, required=False)
