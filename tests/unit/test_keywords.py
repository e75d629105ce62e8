"""SMS consent keywords: carrier single words and plain-language requests to stop."""

from __future__ import annotations

import pytest

from outreach.keywords import Keyword, about_messages, classify, language_of_keyword
from surveys import corpus
from surveys.corpus import Split


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "Unsubscribe",
        "cancel",
        "END",
        "quit",
        "QUIT!",
        "revoke",
        "OPTOUT",
        "opt out",
        "opt-out",
        "stop all",
    ],
)
def test_classify_carrier_opt_out_word_is_opt_out(text: str) -> None:
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["START", "yes", "Yes!", "unstop"])
def test_classify_carrier_opt_in_word_is_opt_in(text: str) -> None:
    assert classify(text) is Keyword.OPT_IN


@pytest.mark.parametrize("text", ["HELP", "help?", "Info"])
def test_classify_carrier_help_word_is_help(text: str) -> None:
    assert classify(text) is Keyword.HELP


@pytest.mark.parametrize(
    "text",
    [
        "Please stop texting me",
        "STOP texting",
        "stop messaging me, I found a permanent job",
        "remove me from your list",
        "Take me off this texting list please",
        "Don\u2019t text me anymore!",
        "do not contact me",
        "unsubscribe me please",
        "I want to opt out of these surveys",
        "please stop",
        "stop it",
        "STOP. I'm not with the agency anymore",
        "no more texts",
        "I don't want any more of these messages",
        "can you please stop sending me these surveys",
        "lose my number",
        "quit texting me",
        "cease messaging this number",
        "I'd rather not get these texts anymore",
        "i would prefer not to receive any more surveys, thanks",
    ],
)
def test_classify_plain_language_request_is_opt_out(text: str) -> None:
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "I quit",
        "I'm going to quit if this keeps up",
        "the bus stop is a mile from the site",
        "I asked the lead to stop texting me at midnight",
        "remove me from this project, the client is awful",
        "how do I unsubscribe from the 401k?",
        "yes the client is great",
        "help me understand my paystub",
        "End of my shift was rough",
        "we had to stop the line twice today",
        "cancel my Friday shift please",
        "I'd rather not get a call, email works better",
        "we told the lead to quit messaging the temps after hours",
        "",
    ],
)
def test_classify_sentence_with_keyword_inside_is_not_an_instruction(text: str) -> None:
    assert classify(text) is None


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("BAJA", Keyword.OPT_OUT),
        ("Cancelar", Keyword.OPT_OUT),
        ("darme de baja", Keyword.OPT_OUT),
        ("ALTA", Keyword.OPT_IN),
        ("ayuda", Keyword.HELP),
        ("STOP por favor", Keyword.OPT_OUT),
        ("ya no me manden mensajes", Keyword.OPT_OUT),
        ("no quiero recibir mas encuestas", Keyword.OPT_OUT),
        ("sáquenme de la lista", Keyword.OPT_OUT),
        ("dejen de mandarme mensajes por favor", Keyword.OPT_OUT),
        ("cancelar mi suscripción", Keyword.OPT_OUT),
    ],
)
def test_classify_spanish_instruction_is_read(text: str, keyword: Keyword) -> None:
    assert classify(text) is keyword


@pytest.mark.parametrize(
    "text",
    [
        "me dieron de baja del turno del domingo",
        "paren de cambiarme el horario",
        "no me mandes a la tienda de Hemet otra vez",
        "para mi esta bien",
        "el alto de la estantería está flojo",
    ],
)
def test_classify_spanish_look_alike_is_not_an_instruction(text: str) -> None:
    assert classify(text) is None


def test_language_of_keyword_tells_spanish_words_from_english_ones() -> None:
    assert language_of_keyword("BAJA") == "es"
    assert language_of_keyword("stop") == "en"
    assert language_of_keyword("hola") is None


def test_about_messages_keeps_a_model_from_reading_a_bare_quit_as_an_opt_out() -> None:
    assert not about_messages("I quit.")
    assert about_messages("quítenme de esto")
    assert about_messages("stop texting me")


@pytest.mark.parametrize(
    "text",
    [
        "take me off the weekend list, I only signed up for weekdays",
        "please remove me from the Saturday list",
        "remove me from the night shift list",
    ],
)
def test_classify_roster_list_is_not_an_opt_out(text: str) -> None:
    # A list of shifts is not our messages: a false opt-out silences someone who wants to talk.
    assert classify(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "please quit sending me these",
        "Don't send me these anymore.",
        "don't send me these anymore, I moved away",
        "unsub",
        "ya no trabajo con ustedes, no me sigan mandando esto",
        "paren de mandarme esto",
    ],
)
def test_classify_plain_requests_in_words_seen_in_held_out_writers_opt_out(text: str) -> None:
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "take me off the float list please, i've been floated 5 times",
        "stop sending me to site 4",
        "don't send me to nights",
        "no me manden a la planta de Ontario",
    ],
)
def test_classify_requests_about_shifts_and_sites_are_not_opt_outs(text: str) -> None:
    assert classify(text) is None


def _wide(text: str) -> str:
    """The full-width forms of ASCII letters, as some phone keyboards type them."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        (_wide("STOP"), Keyword.OPT_OUT),  # full-width letters
        (_wide("stop"), Keyword.OPT_OUT),
        ("S\u200bTOP", Keyword.OPT_OUT),  # zero-width space inside
        ("\ufeffSTOP", Keyword.OPT_OUT),  # a byte-order mark in front
        ("ST\u200dOP\u2060", Keyword.OPT_OUT),  # zero-width joiner, word joiner
        ("STOP 🛑", Keyword.OPT_OUT),  # a trailing emoji
        ("stop🙏🏽", Keyword.OPT_OUT),  # an emoji with a skin tone, no space
        ("❤️ STOP ❤️", Keyword.OPT_OUT),  # emoji with a variation selector on both sides
        (_wide("BAJA"), Keyword.OPT_OUT),
        (_wide("START") + " 👍", Keyword.OPT_IN),
        ("HE\u200bLP", Keyword.HELP),
        ("please stop texting me 🙏", Keyword.OPT_OUT),
        (_wide("please") + "\u3000" + _wide("stop"), Keyword.OPT_OUT),  # ideographic space
    ],
)
def test_classify_disguised_keyword_is_recognised(text: str, keyword: Keyword) -> None:
    assert classify(text) is keyword


@pytest.mark.parametrize("text", ["🛑", "\u200b", _wide("STOPPED"), "the bus 🚌 stop is far"])
def test_classify_emoji_and_look_alikes_alone_are_not_instructions(text: str) -> None:
    assert classify(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, wrong number.",
        "who is this? wrong #",
        "take me off",
        "i dont work there no more, take my number off",
        "I'm not with your company anymore, please remove me from this.",
        "Remove me from this distribution, please.",
        "I'm good, you can stop the texts now.",
        "No more of these surveys. Got a full time job now.",
        "I no longer wish to be contacted.",
        "not interested in these messages anymore",
        "enough with the surveys already",
        "I'd like to stop receiving these messages, please.",
        "I hereby revoke my consent to receive these.",
        "número equivocado",
        "perdón, tienen el número equivocado",
        "ya no quiero más encuestas",
        "borren mi número por favor",
        "no manden más mensajes a este número por favor",
        "sáquenme de esto porfa, ya no trabajo ahí",
        "baja porfavor",
        "revoco mi consentimiento",
    ],
)
def test_classify_third_round_opt_out_wording_is_opt_out(text: str) -> None:
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "I dialed the wrong number for the clinic, all sorted now",
        "my deposit went to the wrong account",
        "take me off nights please",
        "remove me from this project, I want the other one",
        "no more overtime please",
        "no more of this, I'm done",
        "enough with the mandatory sundays",
        "leave me off the friday list please",
        "I don't need these boots, I have my own",
        "quítenme del turno de noche",
        "sáquenme de aquí, ya no aguanto el almacén",
        "basta de gritos",
        "no me interesa el turno de noche",
        "no me escriban a mi correo del trabajo, mejor al personal",
    ],
)
def test_classify_third_round_look_alikes_are_not_opt_outs(text: str) -> None:
    # A false opt-out silences someone who still wants to be heard.
    assert classify(text) is None


def test_classify_corpus_replies_that_are_not_opt_outs_are_never_keyword_opt_outs() -> None:
    # Every labelled look-alike the writers thought of ("take me off the weekend list", "me
    # dieron de baja del turno") on train and dev, where wording is chosen; the test split is
    # only reported.
    loaded = corpus.load()
    wrong = [
        e.where
        for e in loaded.split(Split.TRAIN, Split.DEV)
        if not e.opt_out and classify(e.text) is Keyword.OPT_OUT
    ]
    assert loaded.examples and wrong == []
