"""The voice models' names, apart from the code that loads them, so that the served-models
listing (``shared/served_models``) can name them without importing the voice modules, which
resolve client names through that listing."""

TINY_EN = "whisper-tiny.en"
BASE = "whisper-base"
# Short names of our models. OpenAI's names (whisper-1) are configured aliases
# (STT_MODEL_ALIASES, resolved by shared.served_models).
ALIASES = {"tiny.en": TINY_EN, "base": BASE}
SPEECH_MODEL = "piper"
