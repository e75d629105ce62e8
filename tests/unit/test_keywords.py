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


@pytest.mark.parametrize(
    "text",
    [
        "STOP\n\nSent from my iPhone",
        "Hello,\n\nEND\n\nThanks",
        "Good morning,\n\nSTOPALL\n\nRegards",
        "Hey,\n\nlose my email please. thx",
        "Hola,\n\nBAJA\n\nSaludos",
        "5 but pls stop texting me",
        "4. also please stop sending me these texts",
        "Please update your records and stop emailing me. Thanks",
        "Can u guys stop sending surveys to this number, it's my work phone now",
        "Kindly cease all further survey messages to this address.",
        "I would appreciate it if you would cease sending me survey requests.",
        "Please do not contact me further regarding this survey.",
        "I wish to be removed from your mailing list for these pulse surveys.",
        "I'd like to unsubscribe from the surveys, please.",
        "nah im good no more texts",
        "STOP SENDING ME THIS CRAP",
        "quit hitting my phone with these",
        "I dont want receive this message, thank you",
        "Un 5, y por favor ya no me manden más estas encuestas, gracias",
        "quitenme de la lista de mensajes porfa",
        "ya no quiero que me lleguen estas encuestas, gracias",
        "Les pido que me quiten de su lista de contactos; ya no trabajo con la agencia.",
        "Estimados: solicito que eliminen mi correo de sus envíos.",
        "revoco mi consentimiento para recibir mensajes",
        "ya estuvo con los mensajes, no los quiero",
        "no mas mensajes de este numero plis",
        "Por favor ya no me envien mas mensajes de texto a este numero",
    ],
)
def test_classify_fifth_round_opt_out_wording_is_opt_out(text: str) -> None:
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "text",
    [
        "He keeps grabbing my arm. He needs to calm down and stop.",
        "find who keeps taking my tools and stop them.",
        "my lead texts me at night and I told him stop texting me",
        "but stop texting me at night, I sleep days",
        "and stop texting me about shifts, call instead",
        "I would appreciate it if you would stop texting me after 10pm",
        "Hello,\n\nPlease stop by the office tomorrow.\n\nThanks",
        "Hi Dana,\n\nCANCEL my shift friday\n\nThanks",
        "also stop sending me the schedule by text, email it",
        "y no me manden a la bodega otra vez",
        "pero no me escriban antes de las 9",
        "quítenme de la lista del domingo",
        "les pido que me quiten del turno de noche",
    ],
)
def test_classify_fifth_round_look_alikes_are_not_opt_outs(text: str) -> None:
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
