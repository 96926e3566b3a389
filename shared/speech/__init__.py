"""Text to speech behind a small protocol (``synthesizer``), with a Piper implementation
(``piper``) registered in the model catalog. The voice feature builds on the same pieces."""
