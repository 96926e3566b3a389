"""Voice: speech-to-text (faster-whisper) and text-to-speech (Piper, ``shared.speech``) behind the
OpenAI-compatible audio endpoints (``functions/voice.py``). Heavy libraries (faster_whisper,
ctranslate2, av, numpy, piper) are imported inside functions, never at module import."""
