"""The phrasing check keeps a faithful rewording and rejects one that invents numbers, drops the
point or rambles; follow-up detection joins the previous question only when needed."""

from __future__ import annotations

from shared.chat.grounding import check_phrasing, strip_marks
from shared.chat.retrieval import retrieval_query

SOURCE = "Quexton was founded in 1642 by river traders. It is the capital of Zorblandia."
EXTRACTED = "Quexton was founded in 1642 by river traders. [1]"


def test_a_faithful_rewording_passes():
    assert check_phrasing("River traders founded Quexton in 1642.", EXTRACTED, [SOURCE])


def test_a_number_not_in_the_sources_fails():
    assert not check_phrasing("River traders founded Quexton in 1643.", EXTRACTED, [SOURCE])


def test_a_rewording_that_loses_the_content_fails():
    assert not check_phrasing("It is a nice old city.", EXTRACTED, [SOURCE])


def test_an_empty_or_rambling_rewording_fails():
    assert not check_phrasing("", EXTRACTED, [SOURCE])
    rambling = "River traders founded Quexton in 1642. " * 20
    assert not check_phrasing(rambling, EXTRACTED, [SOURCE])


def test_marks_are_stripped():
    assert strip_marks("One fact [1]. Another [2][3].") == "One fact. Another."


def test_a_follow_up_is_searched_with_the_previous_question():
    previous = "What is the capital of Zorblandia?"
    assert retrieval_query("When was it founded?", previous) == f"{previous}\nWhen was it founded?"
    standalone = "Which river runs through the northern provinces of the old kingdom of Vell?"
    assert retrieval_query(standalone, previous) == standalone
    assert retrieval_query("When was it founded?", None) == "When was it founded?"


def test_a_short_question_goes_on_from_the_last_unless_it_names_its_own_subject():
    previous = "What is the capital of Zorblandia?"
    for follow_up in ("And the population?", "What about exports?", "Population?"):
        assert retrieval_query(follow_up, previous) == f"{previous}\n{follow_up}"
    # joined to the previous question, this one found Zorblandia's passages and was answered
    # from them as if grounded
    for standalone in ("Who painted the Mona Lisa?", "Where is Paris? Tell me."):
        assert retrieval_query(standalone, previous) == standalone
