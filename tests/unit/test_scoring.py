"""Ratings read from free text in English and Spanish, and numbers that only look like ratings."""

from __future__ import annotations

import pytest

from surveys.scoring import extract_rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("3", 3),
        ("5!", 5),
        ("4.", 4),
        ("2/5", 2),
        ("5 out of 5", 5),
        ("three", 3),
        ("Four - all good", 4),
        ("FIVE!", 5),
        ("1 - nobody showed me where to go", 1),
        ("4 busy but fine", 4),
        ("I'd give it a 4", 4),
        ("i would give it a three.", 3),
        ("rating: 2", 2),
        ("solid 4 this week", 4),
        ("4 stars", 4),
        ("\u2b50\u2b50\u2b50", 3),
        ("good people, decent work. 4", 4),
        ("3 out of 5 but improving", 3),
        ("1 of 5", 1),
        ("all fine, rating 4 of 5", 4),
        ("busy week. I'd say 3 of 5", 3),
        ("a 4", 4),
        ("a 4. the new floor manager is way better", 4),
        ("Sorry for the late reply! Things are good. A 5 for sure.", 5),
        ("Honestly a 5, the people are great", 5),
        ("#4", 4),
        ("#2 - every weekend now", 2),
        ("\u2b50\u2b50\u2b50\u2b50", 4),
        ("\u2605\u2605\u2605\u2605", 4),
        ("\u2605\u2605\u2605\u2606\u2606", 3),
        ("4 out of 5", 4),
        ("4/5", 4),
        ("four", 4),
        ("four stars", 4),
        ("5/5 and thanks for sorting the rate issue", 5),
        ("4/5 job's good but the deposit lands late", 4),
        ("I'd rate this week a 3 - workload is fine", 3),
        ("good week, 4 of 5", 4),
        ("I'd give a 5, the crew is great", 5),
        ("two thumbs up \U0001f44d\U0001f44d a 5", 5),
        ("4 more or less", 4),
        ("Friday is my last day, moving to Denver. It's been a 5!", 5),
        ("Got my W-2, it shows the wrong state?? otherwise a 3", 3),
        ("They said it was 'a one-off'. Mileage isn't being paid either. 2", 2),
        ("Pretty decent, 4ish", 4),
        ("Just a quick one - a 5 from me.", 5),
        ("all good here, 5 from me", 5),
        ("no complaints. 4 otherwise", 4),
        ("just started, 2 days in. 3 for now", 3),
        ("i give it a two cause my manager keeps yelling", 2),
        ("Four but the lead is a jerk", 4),
        ("Hey, everything is good at the Tremont job. Four.", 4),
        ("My rating is 2 of 5.", 2),
        ("I would give a rating of 4.", 4),
        ("I'd give the assignment a 3 overall.", 3),
        ("The reason I'm a 2 is simple", 2),
        ("gonna say 4. the RT department is well run", 4),
        ("doing well, 4 \u2014 the unit clerks cover for each other", 4),
        ("2 and that's generous", 2),
        ("#5 all good here", 5),
        ("nada malo q decir, el jefe es justo. #4", 4),
        ("1/5 manager screams at me", 1),
        ("2/5 second time my check came up short", 2),
        ("Great week! Team lunch, no fires. 5\u2b50", 5),
        ("Please call me. 555-0187. 4", 4),
    ],
)
def test_extract_rating_reads_rating_forms(text: str, rating: int) -> None:
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("cuatro", 4),
        ("tres", 3),
        ("uno", 1),
        ("un cuatro", 4),
        ("un cinco!!", 5),
        ("un 4", 4),
        ("un 4, el trabajo esta pesado pero la paga es buena", 4),
        ("le doy un 4", 4),
        ("Le doy un 3. La gente es amable", 3),
        ("Le doy cuatro estrellas, todavia estoy aprendiendo", 4),
        ("le pongo un 5", 5),
        ("Calificar\u00eda mi experiencia con un 5.", 5),
        ("Si me pregunt\u00e1s, un cuatro.", 4),
        ("Todo bien, aunque el lunes fue pesado. Un 4 igual.", 4),
        ("un 4 m\u00e1s o menos", 4),
        ("4 de 5", 4),
        ("cuatro de cinco", 4),
        ("tranqui, 3 de 5", 3),
        ("Llevo 3 d\u00edas usando la laptop de una compa\u00f1era. 3 de 5.", 3),
        ("Mejor de lo que esperaba, 4 de 5 \U0001f44d", 4),
        ("el ambiente mejor\u00f3 mucho \U0001f60a 4 de 5", 4),
        ("4 estrellas", 4),
        ("todo bien mija, 5 estrellas", 5),
        ("4 de 5 estrellas", 4),
        ("8 de 10", 4),
        ("Todo de maravilla. Diez de diez.", 5),
        ("\u00bfDe 1 a 5? Un 2. Estoy aburrida", 2),
        ("ya me acostumbre al turno de noche, todo bien. cuatro", 4),
        ("El deposito llego 3 dias tarde otra vez. Dos.", 2),
        ("Me estan pagando a $16 y el contrato dice $18.50. 3 de 5", 3),
        ("el millaje no viene, maneje 640 millas. 4 el trabajo", 4),
        ("ya van 3 semanas. 5 porque me gusta el jale", 5),
        ("4 mi compa\u00f1ero renuncio ayer pero yo aqui sigo", 4),
        ("4 jefa, todo bien \U0001f44d", 4),
    ],
)
def test_extract_rating_reads_spanish_rating_forms(text: str, rating: int) -> None:
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("7/10", 4),
        ("5/10", 3),
        ("1/10", 1),
        ("10/10", 5),
        ("9/10", 5),
        ("3/10", 2),
        ("2/10", 1),
        ("6 out of 10", 3),
        ("8 out of 10", 4),
        ("9 out of 10", 5),
        ("1 out of 10", 1),
        ("seven out of ten", 4),
        ("9 de 10", 5),
        ("7 de 10", 4),
        ("siete de diez", 4),
        ("7/10. decent", 4),
        ("La neta s\u00ed me est\u00e1 gustando la chamba, 9/10", 5),
        ("0/10", None),
        ("12/10", None),
    ],
)
def test_extract_rating_ten_point_answer_on_five_point_survey_rounds_half_up(
    text: str, rating: int | None
) -> None:
    # Half up, not to even: a person reads 5/10 as a 3, and round() would store 2.
    assert extract_rating(text) == rating


def test_extract_rating_on_ten_point_survey_keeps_ten_point_answers() -> None:
    assert extract_rating("7", scale_max=10) == 7
    assert extract_rating("4/5", scale_max=10) == 8
    assert extract_rating("8 de 10", scale_max=10) == 8
    assert extract_rating("le doy un 9", scale_max=10) == 9
    assert extract_rating("4 de 5", scale_max=10) == 8


@pytest.mark.parametrize(
    "text",
    [
        "3.5",
        "3,5",
        "3.5/5",
        "3,5 de 5",
        "3-4",
        "3 - 4",
        "3 or 4",
        "3 or 4 stars",
        "three or four",
        "between 3 and 4",
        "4 to 5",
        "4 o 5",
        "tres o cuatro",
        "Un 3 o un 4, no s\u00e9, todo bien",
        "a 3 or a 4",
        "entre 3 y 4",
        "3 a 4",
        "un 4 y medio",
        "4 and a half",
        "I'd give it 3 1/2",
        "Four point five",
        "a 4, maybe a 5. still new",
    ],
)
def test_extract_rating_ignores_decimals_ranges_and_choices(text: str) -> None:
    # Either neighbour would be a guess; staff read the reply instead.
    assert extract_rating(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "call me at 555-201-8844",
        "my cell is 5552018844",
        "I get off at 5pm",
        "shift ends at 5 pm",
        "we finish at 4",
        "from 7 to 3 every day",
        "two weeks notice",
        "3 weeks without a laptop",
        "worked 12 hours yesterday",
        "2 people quit this week",
        "only 2 of 5 shifts were posted",
        "they rated 3 of 5 trucks unsafe",
        "they owe me $4",
        "raise of 5%",
        "scored 4.5 on the quiz",
        "8 out of 10 shifts got moved",
        "24/7 on call",
        "3/14 was payday",
        "One thing: the client is rude",
        "gate 4 is locked",
        "the lead said it's a 2 hour drive",
        "great team (2)",
        "6",
        "0",
        "12/10",
        "",
        "started at 4:30",
        "worked 4 shifts",
        "$40 short",
        "day 3",
        "started day 3",
        "2 weeks",
        "building 5",
        "3 people",
        "a 5 minute walk",
        "took a 2 hour drive",
        "gate #4 is locked",
        "How can I get a copy of my W-2?",
        "Per diem never came. $55/day x 5.",
        "Been on 6 days a week for a month now, was told 5",
        "the badge doesn't hold a charge past hour 4",
        "a las 5",
        "llego a mi casa a las 4",
        "a eso de las 4",
        "desde las 4",
        "4 y media",
        "4 horas",
        "4 horas extra",
        "2 semanas",
        "dos semanas",
        "hace 2 semanas",
        "2 d\u00edas",
        "por 3 d\u00edas",
        "3 veces",
        "3 personas",
        "tengo 2 hijos",
        "trabaj\u00e9 4 turnos",
        "me pagaron 2 de 5 turnos",
        "$300 menos",
        "20 pesos",
        "4 d\u00f3lares",
        "el d\u00eda 3",
        "semana 2",
        "turno 3",
        "el edificio 5",
        "en la bodega 2",
        "5 de mayo",
        "5 por ciento",
        "mi cel es 55 1234 5678",
        "el contrato dice 5",
        "now doing 3 routes a day not 2",
        "Hospital told me today is my last day, contract was through Feb. 1",
        "drove 4 mi to work",
    ],
)
def test_extract_rating_ignores_numbers_that_are_not_ratings(text: str) -> None:
    assert extract_rating(text) is None


def test_extract_rating_prefers_explicit_scale_over_leading_number() -> None:
    assert extract_rating("2 weeks in and I'd say 4/5") == 4


def test_extract_rating_rejects_scale_below_two() -> None:
    with pytest.raises(ValueError, match="scale_max"):
        extract_rating("1", scale_max=1)


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("4 timecard is late", 4),  # a singular thing after 4 is news, not a count
        ("4\ntimecard is late", 4),  # two texts joined: the line break ends the rating
        ("3 badge stopped working", 3),
        ("4 timecards are late", None),  # a count of timecards
        ("1 timecard is missing", None),
        ("2\nhours late again", 2),
    ],
)
def test_extract_rating_tells_rating_before_news_from_a_count(
    text: str, rating: int | None
) -> None:
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Doing good, 4. Weather in Seattle is depressing but the hospital is great", 4),
        ("idk man. 3. kinda regretting taking this one", 3),
        ("They only gave me 2 shifts this week, 2 of them at night", None),
    ],
)
def test_extract_rating_reads_a_number_that_is_a_clause_of_its_own(
    text: str, rating: int | None
) -> None:
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    "text",
    [
        "Le doy un 5 a las compa\u00f1eras y un 1 a la gerencia",
        "Le doy un 5 a la agencia y un 4 al cliente",
        "I'd give a 5 to the crew and a 2 to the agency",
        "I'd give it a 5 for the crew and a 2 for the agency",
        "5 stars for the hospital, 1 star for whoever does your payroll",
    ],
)
def test_extract_rating_split_between_people_is_none(text: str) -> None:
    assert extract_rating(text) is None


def test_extract_rating_keeps_the_first_cue_when_the_second_is_a_condition() -> None:
    assert extract_rating("a 4 - would be a 5 if the coffee wasn't so bad") == 4
