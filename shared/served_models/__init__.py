"""The models this deployment serves, under their own names and the names clients send by
default (OpenAI's ``whisper-1``, ``tts-1``, ``text-embedding-3-small``...), in OpenAI's
``/v1/models`` shape. Every model-taking service resolves names here, so a name the catalog
lists is a name every endpoint accepts, and the reverse."""
