"""Rerank and classify with the real model: paraphrases win, clear texts land in their label,
a trained head beats zero-shot, heads are stored per caller, the cross-encoder path works."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from shared.classify import service as classify_service
from shared.classify.api import ClassifyRequest, LabelledText, TrainRequest
from shared.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from shared.inference.cross_encoder import CrossEncoder
from shared.rerank.api import RerankRequest
from shared.rerank.service import rerank
from tests.utils.tiny_cross_encoder import write_tiny_cross_encoder

URGENT_TRAIN = [
    "Production is down for all customers",
    "We think our database was breached",
    "Payments are failing for every order right now",
    "The whole site returns 502 errors",
    "Customer data is visible to other users",
    "Nobody can log in since 9am",
]
ROUTINE_TRAIN = [
    "How do I change the logo on my invoices?",
    "Where can I find last year's reports?",
    "Please update my billing address",
    "What are your office hours?",
    "Is there a guide for setting up webhooks?",
    "Do you have a discount for nonprofits?",
]
HELD_OUT = {
    "All API requests time out since ten minutes": "urgent",
    "A hacker got access to the admin panel": "urgent",
    "The checkout is broken and we are losing sales": "urgent",
    "Every customer sees an error page": "urgent",
    "How do I export a CSV of my contacts?": "routine",
    "Can I change my username?": "routine",
    "Is there an Android app?": "routine",
    "How can I invite a colleague?": "routine",
}


def test_rerank_puts_the_paraphrase_above_unrelated_texts(manifest):
    documents = [
        "The stock market closed higher today.",
        "To reset your password, open settings and choose 'forgot password'.",
        "Our bakery sells sourdough bread.",
    ]
    response = rerank(
        RerankRequest(query="How can I change my forgotten password?", documents=documents)
    )

    assert response.method == "bi-encoder"
    assert response.results[0].index == 1
    scores = [r.relevance_score for r in response.results]
    assert scores == sorted(scores, reverse=True)


def test_rerank_top_n_and_documents(manifest):
    response = rerank(
        RerankRequest(
            query="cats", documents=["a cat", "a dog", "a car"], top_n=2, return_documents=True
        )
    )
    assert len(response.results) == 2
    assert response.results[0].document == "a cat"


def test_rerank_refuses_empty_and_oversized_inputs():
    with pytest.raises(BadRequestError):
        rerank(RerankRequest(query="q", documents=[]))
    with pytest.raises(BadRequestError):
        rerank(RerankRequest(query=" ", documents=["d"]))
    with pytest.raises(PayloadTooLargeError):
        rerank(RerankRequest(query="q", documents=["d"] * 257))


def test_zero_shot_puts_clear_examples_in_the_right_label(manifest):
    texts = {
        "I absolutely love this phone, best purchase ever!": "positive",
        "This is the worst service I have ever had.": "negative",
        "The team won the championship final last night.": "sports",
        "The central bank raised interest rates again.": "business",
    }
    sentiment = classify_service.classify(
        "tests", ClassifyRequest(texts=list(texts)[:2], label_set="sentiment")
    )
    topic = classify_service.classify(
        "tests", ClassifyRequest(texts=list(texts)[2:], label_set="topic")
    )
    got = [r.label for r in sentiment.results + topic.results]

    assert got == list(texts.values())
    assert all(abs(sum(r.scores.values()) - 1) < 1e-4 for r in sentiment.results)


def test_zero_shot_with_labels_from_the_request(manifest):
    response = classify_service.classify(
        "tests",
        ClassifyRequest(
            texts=["My package never arrived"],
            labels={
                "delivery": "shipping and delivery problems",
                "billing": "invoices and charges",
            },
        ),
    )
    assert response.source == "request"
    assert response.results[0].label == "delivery"


def test_a_trained_head_beats_zero_shot_on_a_small_labelled_set(manifest, blob_storage):
    owner, name = f"tests-{uuid.uuid4().hex[:8]}", "urgency"
    examples = [LabelledText(text=t, label="urgent") for t in URGENT_TRAIN]
    examples += [LabelledText(text=t, label="routine") for t in ROUTINE_TRAIN]

    trained = classify_service.train(owner, TrainRequest(name=name, examples=examples))
    with_head = classify_service.classify(owner, ClassifyRequest(texts=list(HELD_OUT), model=name))
    zero_shot = classify_service.classify(
        owner, ClassifyRequest(texts=list(HELD_OUT), labels=["urgent", "routine"])
    )

    truth = list(HELD_OUT.values())
    head_accuracy = np.mean([r.label == t for r, t in zip(with_head.results, truth, strict=True)])
    zero_accuracy = np.mean([r.label == t for r, t in zip(zero_shot.results, truth, strict=True)])
    assert trained.labels == ["routine", "urgent"]
    assert trained.train_accuracy == 1.0
    assert head_accuracy > zero_accuracy
    assert head_accuracy >= 0.85


def test_heads_belong_to_their_trainer(manifest, blob_storage):
    owner = f"tests-{uuid.uuid4().hex[:8]}"
    examples = [LabelledText(text=t, label=lbl) for t, lbl in HELD_OUT.items()]
    classify_service.train(owner, TrainRequest(name="mine", examples=examples))

    with pytest.raises(NotFoundError):
        classify_service.classify("someone-else", ClassifyRequest(texts=["x"], model="mine"))
    with pytest.raises(NotFoundError):
        classify_service.classify(owner, ClassifyRequest(texts=["x"], model="never-trained"))


def test_the_cross_encoder_path_scores_pairs_with_the_onnx_model(manifest, model_dir, tmp_path):
    path = write_tiny_cross_encoder(tmp_path / "ce", model_dir / manifest.tokenizer_file)
    encoder = CrossEncoder(path, threads=1, max_batch=2)

    scores = encoder.score("query", ["one", "two words here", "a b c d e f g h", "x"])

    # the tiny model's logit is 0.1 x document tokens (+1 for [SEP]); sigmoid of it
    expected = 1 / (1 + np.exp(-0.1 * np.array([2, 4, 9, 2])))
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
