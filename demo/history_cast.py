"""The demo history's cast and lines: names, clients, what contractors say in each mood, and
how staff settle each kind of ticket. Made up; no real person or client."""

from __future__ import annotations

import random

FIRST = [
    "Aisha",
    "Bruno",
    "Carmen",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jamal",
    "Keiko",
    "Luis",
    "Maya",
    "Nikhil",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Adams",
    "Bauer",
    "Costa",
    "Diallo",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Nguyen",
    "Okoro",
    "Patel",
    "Rossi",
    "Silva",
]
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "Europe/London",
]
# (client, account manager, how many). Lee Park's small book shows the dashboard hiding
# groups of fewer than five respondents.
BOOKS = [
    ("Acme Logistics", "Dana Reyes", 14),
    ("Acme Logistics", "Sam Okafor", 12),
    ("Northwind Health", "Dana Reyes", 12),
    ("Northwind Health", "Sam Okafor", 14),
    ("Acme Logistics", "Lee Park", 2),
    ("Northwind Health", "Lee Park", 2),
]

GOOD = [
    "5 all good, the team is great",
    "4 pretty good week thanks",
    "4 good, busy but fine",
    "5 no complaints at all",
    "5 love it here",
    "4 better this week, thanks for checking in",
    "5 great crew, learning a lot",
    "5 the team lead is really supportive",
    "4 settling in well, commute is long though",
    "5 best placement I have had",
    "4 all fine, learning the systems",
    "4 good but could use more training",
]
MIXED = [
    "3 ok, parking is a pain",
    "3 its fine, a bit quiet",
    "3 the laptop they gave me is so slow I cant work",
    "how do I submit my hours in the new portal?",
    "3 alright. can someone from the agency call me please",
    "4 fine but the client changed my shifts without asking",
    "3 bit boring but ok",
    "3 fine, still waiting on my parking pass",
    "3 who do I ask about vacation days?",
]
BAD = [
    "2 my timecard was rejected again and pay is late",
    "2 badge stopped working, cant get into the building",
    "1 the supervisor yells at me in front of everyone",
    "2 they keep asking me to stay late, way more hours than my contract says",
    "2 not great, nobody trained me and I feel lost",
    "1 still no pay for last week, rent is due",
    "a guy on site keeps making comments and I feel unsafe",
    "1 honestly thinking about quitting, this is not what I signed up for",
    "2 my manager changed my schedule again with no notice",
    "1 they have me doing work way outside my role",
    "2 overtime was not paid on my last check",
    "2 no laptop yet after two weeks",
    "2 nobody talks to me here, feels lonely",
    "1 I want out of this assignment",
]
# Unprompted texts from the last day and a half: (hours ago, text).
LATEST = [
    (30, "2 my timecard was rejected again and pay is late"),
    (26, "they keep asking me to stay late, way more hours than my contract says"),
    (20, "a guy on site keeps making comments and I feel unsafe"),
    (9, "badge stopped working, cant get into the building"),
    (5, "1 honestly thinking about quitting, this is not what I signed up for"),
    (3, "how do I submit my hours in the new portal?"),
    (2, "1 still no pay for last week, rent is due"),
]
# How a contractor's weeks go: the chance of a good, mixed or bad reply at each pulse.
MOODS = {
    "steady": [(0.8, 0.15, 0.05)],
    "sliding": [(0.7, 0.3, 0.0), (0.3, 0.5, 0.2), (0.1, 0.3, 0.6)],
    "rough": [(0.2, 0.3, 0.5)],
    "recovering": [(0.1, 0.3, 0.6), (0.4, 0.4, 0.2), (0.8, 0.2, 0.0)],
}
MOOD_WEIGHTS = {"steady": 0.5, "sliding": 0.25, "rough": 0.12, "recovering": 0.13}

RESOLUTIONS = {
    "timecard_pay": "Payroll approved the timecard; the missing hours go in the next run.",
    "hours_scope": "Account manager agreed the contracted hours with the client.",
    "client_conflict": "Spoke with the site lead; the supervisor apologised.",
    "equipment_access": "Client facilities re-issued the badge the same day.",
    "safety_harassment": "Reported to the client's HR; contractor moved to another team.",
    "contact_request": "Called back; question answered.",
    "how_to": "Sent the step-by-step guide for the timesheet portal.",
}


def pick_reply(rng: random.Random, mood: str, progress: float) -> str:
    stages = MOODS[mood]
    good, mixed, _bad = stages[min(int(progress * len(stages)), len(stages) - 1)]
    roll = rng.random()
    pool = GOOD if roll < good else MIXED if roll < good + mixed else BAD
    return rng.choice(pool)
