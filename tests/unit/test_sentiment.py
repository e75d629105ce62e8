"""Sentiment scores with text-message pre-processing."""

from __future__ import annotations

import pytest
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from surveys.sentiment import prepare, score


@pytest.mark.parametrize(
    ("text", "prepared"),
    [
        ("sooooo baaaad", "so bad"),
        ("goooood week", "good week"),
        ("coooool", "cool"),
        ("weeeeek", "week"),
        ("isnt fair", "is not fair"),
        ("they don\u2019t care", "they do not care"),
        ("I cannot log in", "I can not log in"),
        ("thx u r great", "thanks you r great"),
        ("TERRIBLE WEEK", "terrible week"),
        ("I am NOT happy", "I am NOT happy"),
    ],
)
def test_prepare_rewrites_text_message_habits(text: str, prepared: str) -> None:
    assert prepare(text) == prepared


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("\U0001f621", "angry"),
        ("\U0001f44d", "good"),
        ("\u2764\ufe0f", "love"),
        (":(", "sad"),
        (":-)", "happy"),
        ("-_-", "annoyed"),
    ],
)
def test_prepare_reads_emoji_and_emoticons_as_words(text: str, word: str) -> None:
    assert prepare(f"lead again {text}").split() == ["lead", "again", word]


def test_prepare_leaves_links_alone() -> None:
    assert prepare("see https://example.com/a:b (page 2)") == "see https://example.com/a:b (page 2)"


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("\U0001f621\U0001f621", -1),
        ("\U0001f44d", 1),
        ("this week was baaaad", -1),
        ("the new site isnt good", -1),
        ("love it here :)", 1),
    ],
)
def test_score_reads_text_message_sentiment(text: str, sign: int) -> None:
    result = score(text)
    assert result.polarity * sign > 0
    assert result.compound * sign > 0


def test_score_gives_textblob_and_vader_scores_of_the_prepared_text() -> None:
    text = "The client is friendly but the commute is awful"
    result = score(text)
    blob = TextBlob(text).sentiment
    assert (result.polarity, result.subjectivity) == (blob.polarity, blob.subjectivity)
    expected = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert result.compound == expected


def test_score_of_all_caps_message_matches_lower_case() -> None:
    assert score("WORST SHIFT EVER") == score("worst shift ever")
