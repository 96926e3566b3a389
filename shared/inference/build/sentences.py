"""Fixed sentence sets for the build: the reference set every variant is checked against, and a
separate calibration set for static INT8 quantization (never the same sentences: a variant must
not be judged on the data it was tuned on).

The reference set mixes lengths (one word to ~60), domains, code, other languages and chat-style
text; short texts matter most, because INT8 error concentrates where few tokens are averaged.
"""

from __future__ import annotations

import hashlib
import itertools

REFERENCE: tuple[str, ...] = (
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "A man is playing a guitar on stage.",
    "The new movie is awesome.",
    "The cat sleeps on the warm windowsill all afternoon.",
    "Quarterly revenue grew by twelve percent, beating analyst expectations.",
    "The central bank raised interest rates to curb inflation.",
    "Please reset my password; I can't log in to my account.",
    "My order arrived damaged and I would like a refund.",
    "How do I cancel my subscription before the next billing date?",
    "The patient reported a mild headache and a low fever.",
    "Regular exercise lowers the risk of heart disease.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The Eiffel Tower is one of the most visited monuments in the world.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "She plays the violin in the city orchestra every Sunday.",
    "Our team shipped the release two days ahead of schedule.",
    "The function app scales out when the queue grows.",
    "Vector databases store embeddings for fast similarity search.",
    "Transformers use self-attention to weigh the importance of each token.",
    "I'm really disappointed with the customer service I received.",
    "This is the best pizza I have ever eaten!",
    "The train to Berlin was delayed by forty minutes because of snow.",
    "Can you recommend a good book about the history of Rome?",
    "The children built a sandcastle on the beach.",
    "A bird is singing in the tree outside my window.",
    "The stock market fell sharply after the announcement.",
    "The museum opens at nine and closes at five on weekdays.",
    "He forgot his umbrella and got soaked in the rain.",
    "Ok",
    "Thanks!",
    "Hello, how are you?",
    "What time is it?",
    "I need help.",
    "Error 503: service unavailable.",
    "def add(a, b): return a + b",
    "SELECT name FROM users WHERE id = 42;",
    "Das Wetter ist heute schön.",
    "Le chat dort sur le canapé.",
    "El tren llega a las ocho de la mañana.",
    "Meeting moved to 3pm, room 4B; bring the Q3 slides.",
    "RT @user: big news coming tomorrow!!! #launch",
    "The quick brown fox jumps over the lazy dog.",
    "After months of negotiations, the two companies finally agreed on the terms of the merger, "
    "which is expected to close early next year pending regulatory approval.",
    "The researchers collected soil samples from forty sites across the valley and measured "
    "nitrogen, phosphorus and organic carbon to understand how farming practices changed the land "
    "over the last two decades.",
    "When the power went out during the storm, the whole neighbourhood gathered in the community "
    "hall, where volunteers served hot soup and the children played board games by candlelight "
    "until the lights came back on just after midnight.",
    "To configure the service, set the connection string in the application settings, restart the "
    "host, and check the logs for a line that confirms the queue listener has started; if it does "
    "not appear within a minute, verify that the storage account allows access from the function's "
    "managed identity.",
    "I love it.",
    "I hate it.",
    "The soup is too salty.",
    "The flight was cancelled.",
    "Our server crashed at midnight.",
    "She won the chess tournament.",
    "The bridge was closed for repairs.",
    "They adopted a puppy from the shelter.",
    "The invoice is overdue by thirty days.",
    "A large dog is running across the park.",
    "Two men are playing football in the field.",
    "A woman is slicing tomatoes in the kitchen.",
    "The baby laughed at the funny face.",
    "Rainfall was below average this spring.",
    "The election results will be announced tonight.",
    "Please find the attached report for your review.",
)

_SUBJECTS = (
    "The committee",
    "A young engineer",
    "Our quarterly budget",
    "The new vaccine",
    "A heavy storm",
    "The basketball team",
    "This old recipe",
    "The delivery robot",
)
_VERBS = ("was postponed because of", "depends heavily on", "was reviewed before", "ended after")
_OBJECTS = (
    "the holidays.",
    "a long series of unexpected problems in the data center.",
    "the annual meeting.",
    "rain.",
)
_SHORT = (
    "Yes",
    "No way!",
    "Great",
    "Goodbye.",
    "Sure thing",
    "Not bad.",
    "Help!",
    "Why?",
    "Cool",
    "See you later",
    "Awful",
    "Nice work",
    "Done.",
    "Maybe tomorrow",
    "Sorry",
    "Welcome back",
)

CALIBRATION: tuple[str, ...] = (
    *(f"{s} {v} {o}" for s, v, o in itertools.product(_SUBJECTS, _VERBS, _OBJECTS)),
    *_SHORT,
    *_SUBJECTS,
)


def sentences_sha256(sentences: tuple[str, ...]) -> str:
    """A fingerprint of a sentence set (the manifest records which set the cosines are for)."""
    return hashlib.sha256("\n".join(sentences).encode()).hexdigest()
