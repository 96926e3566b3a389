"""The chat benchmark's corpus and labelled questions, deterministic.

``LABELLED`` holds 20 made-up facts no model can know, each with a question that paraphrases it
(other words, same meaning) and a distractor: a passage on the same kind of subject that does not
answer it, so that ranking the right passage first takes more than matching the topic. ``corpus``
surrounds them with distinct filler chunks of 2-4 sentences from ``datasets.sentences``.
``hit_rate`` scores ranked results against the labels.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from datasets.sentences import DID, WHAT, WHEN, WHO


@dataclass(frozen=True)
class Labelled:
    """A fact's passage, a question it answers, and a passage that looks related but does not."""

    fact: str
    question: str
    distractor: str


LABELLED: tuple[Labelled, ...] = (
    Labelled(
        "The capital of Velmora is Tarsk, a walled town on the banks of the Ulen river. "
        "Tarsk has been the seat of the Velmoran parliament since 1788.",
        "Which city is the seat of government of Velmora?",
        "The largest port of Quenlia is Durrow, where most of the country's salt is shipped. "
        "Durrow's harbour freezes for two weeks every winter.",
    ),
    Labelled(
        "The Hollin suspension bridge spans 1,412 metres across the Marsh Strait. "
        "It opened to traffic in 1967 after eleven years of construction.",
        "How long is the bridge over the Marsh Strait?",
        "The Penrick viaduct carries the coastal railway over the Dunmere valley. "
        "Its forty stone arches were restored in 2004.",
    ),
    Labelled(
        "Grelwort is a blue alpine flower that blooms only once every seven years. "
        "Its seeds are spread by mountain hares rather than by the wind.",
        "Which animal carries the seeds of grelwort?",
        "Fenmallow is a white marsh flower that closes its petals at dusk. "
        "Bees collect its pollen in early spring.",
    ),
    Labelled(
        "The programming language Quillet was designed by Mara Ostrev in 1994. "
        "Quillet programs are compiled to a compact bytecode for pocket calculators.",
        "Who created the Quillet programming language?",
        "The scripting language Brask was first used to automate telephone exchanges. "
        "Brask scripts run inside a tiny stack machine.",
    ),
    Labelled(
        "The Zendari festival of lanterns is held on the first full moon of October. "
        "Families float paper lanterns down the river to honour their ancestors.",
        "When does the Zendari lantern festival take place?",
        "The Orvane harvest fair fills the market square with cider stalls. "
        "Farmers compete there for the heaviest pumpkin.",
    ),
    Labelled(
        "The starship Kestrel Nine carries a crew of fourteen and is powered by a fusion core. "
        "Its maiden voyage to the Jovian moons lasted nineteen months.",
        "How many people make up the crew of the Kestrel Nine?",
        "The freighter Albatross Two hauls ice from the outer belt to the inner colonies. "
        "Its cargo bays are lined with lead.",
    ),
    Labelled(
        "The Tovish violin maker Ilse Brammer used spruce from trees felled in midwinter. "
        "She believed the cold made the wood ring more clearly.",
        "What kind of timber did Ilse Brammer build her violins from?",
        "The Tovish flute maker Anton Weil carved his instruments from boxwood. "
        "He sold most of them to travelling musicians.",
    ),
    Labelled(
        "Lake Ombrel is 312 metres deep at its deepest point, making it the deepest lake in "
        "the Sarn highlands. Its water stays at four degrees all year round.",
        "What is the maximum depth of Lake Ombrel?",
        "Lake Vessa is a shallow lake on the Sarn plateau, famous for its reed beds. "
        "Herons nest on its small islands.",
    ),
    Labelled(
        "The Drummond Prize for chemistry was first awarded in 1921 to Clara Vey for "
        "isolating the element she named velsium.",
        "Who received the very first Drummond Prize in chemistry?",
        "The Harlow Medal for physics is awarded every four years by the Royal Society of "
        "Pellmark. It comes with a small silver telescope.",
    ),
    Labelled(
        "Brenholt cheese is aged for eighteen months in limestone caves near the village of "
        "Ost. Its rind is washed with pear brandy every week.",
        "How long is Brenholt cheese left to mature?",
        "Calder cheese is a soft cheese from the western valleys, eaten fresh within days. "
        "It is wrapped in chestnut leaves.",
    ),
    Labelled(
        "The Merrow Observatory's main telescope has a mirror 4.2 metres across. "
        "It was ground by hand in a workshop in Ellisford over six years.",
        "What is the diameter of the mirror in the Merrow Observatory telescope?",
        "The Caskin Observatory stands on a bare ridge above the town of Lorne. "
        "Astronomers there study variable stars.",
    ),
    Labelled(
        "The Pellish national football team wears green shirts with a white collar. "
        "Its nickname, the Herons, comes from the birds of the Pellish wetlands.",
        "What nickname do supporters give the Pellish football team?",
        "The Darnish rugby team plays its home matches in the old stadium of Kell. "
        "Its captain is chosen by the players each season.",
    ),
    Labelled(
        "The Ashgrove tram line runs 23 kilometres from the central station to Fennick Pier. "
        "A one-way ride takes about fifty minutes.",
        "How far does the Ashgrove tram travel from end to end?",
        "The Millbrook bus network was rebuilt in 2019 around six express routes. "
        "Night buses run only on weekends.",
    ),
    Labelled(
        "The novelist Teodor Lusk wrote all his books standing at a tall desk by the window. "
        "His best-known novel, The Salt Orchard, sold two million copies.",
        "What is the most famous book by Teodor Lusk?",
        "The poet Wenna Carrow published three slim volumes about life on the coast. "
        "She taught Latin at a village school.",
    ),
    Labelled(
        "The Kirrin glacier has retreated 860 metres since measurements began in 1950. "
        "Its meltwater feeds the reservoirs of three towns.",
        "By how much has the Kirrin glacier shrunk back since records started?",
        "The Holt ice field covers the northern slopes of Mount Garran. "
        "Climbers cross it in late summer.",
    ),
    Labelled(
        "The robot vacuum model Tidewell R7 maps a room with a spinning laser and "
        "runs for 140 minutes on one charge.",
        "How long does the Tidewell R7 battery last?",
        "The Brightline K2 robot mower cuts grass in a spiral pattern. "
        "It returns to its dock when it starts to rain.",
    ),
    Labelled(
        "In the game of Fennel Chess each player starts with two extra pieces called heralds. "
        "A herald moves like a knight but may also jump backwards twice.",
        "What are the additional pieces in Fennel Chess called?",
        "Marrow draughts is played on a ten by ten board with forty counters. "
        "It is popular in the harbour taverns of Quenlia.",
    ),
    Labelled(
        "The Ostrava Choir was founded by a group of railway workers in 1903. "
        "It still rehearses every Thursday in the old engine shed.",
        "Who started the Ostrava Choir?",
        "The Beldon Brass Band marches through the town on the first day of May. "
        "Its uniforms are dark red with gold buttons.",
    ),
    Labelled(
        "Vantric tea is picked only at dawn, when the leaves are still wet with dew. "
        "It is grown on terraces 2,400 metres up in the Morrow hills.",
        "At what time of day are Vantric tea leaves harvested?",
        "Solberry coffee is roasted over beech wood in small batches. "
        "Its beans are dried on raised beds in the sun.",
    ),
    Labelled(
        "The lighthouse on Gannet Rock flashes white three times every fifteen seconds. "
        "Its keeper's log records 212 shipwrecks before the light was built in 1871.",
        "What signal does the Gannet Rock lighthouse show?",
        "The harbour wall of Penmorrow was rebuilt after the great storm of 1903. "
        "Fishing boats shelter behind it in winter.",
    ),
)


def filler_chunks(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct chunks of 2-4 sentences about office and town life (none answers a
    labelled question)."""
    sentences = [
        f"{who} {did} {what} {when}"
        for who, did, what, when in itertools.product(WHO, DID, WHAT, WHEN)
    ]
    rng = random.Random(seed)
    seen: set[str] = set()
    chunks: list[str] = []
    while len(chunks) < count:
        text = " ".join(rng.sample(sentences, rng.randint(2, 4)))
        if text not in seen:
            seen.add(text)
            chunks.append(text)
    return chunks


def corpus(size: int) -> tuple[list[str], list[int]]:
    """``size`` chunk texts holding every fact and distractor once, spread evenly among filler,
    and the index of each labelled question's fact chunk (same order as ``LABELLED``)."""
    special = [text for item in LABELLED for text in (item.fact, item.distractor)]
    if size < len(special):
        raise ValueError(f"a corpus needs at least {len(special)} chunks")
    texts = filler_chunks(size - len(special))
    step = size // len(special)
    answers: list[int] = []
    for n, text in enumerate(special):
        position = n * step
        texts.insert(position, text)
        if n % 2 == 0:
            answers.append(position)
    return texts, answers


def hit_rate(ranked: Sequence[Sequence[int]], answers: Sequence[int], k: int) -> float:
    """The share of questions whose answer is among the first ``k`` of its ranked results."""
    if len(ranked) != len(answers):
        raise ValueError("one ranked list per answer is needed")
    if not answers:
        return float("nan")
    hits = sum(answer in list(found)[:k] for found, answer in zip(ranked, answers, strict=True))
    return hits / len(answers)
