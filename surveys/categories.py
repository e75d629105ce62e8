"""What a reply can be about, in the order a reply with several problems is filed under.

Support files one ticket per reply under its most pressing problem: someone's safety first,
then their money, then the work they were promised, then the people, then the tools; requests
last. The order is the labelling guide's (docs/labelling.md), and the reader follows it.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SAFETY_HARASSMENT = "safety_harassment"
    TIMECARD_PAY = "timecard_pay"
    HOURS_SCOPE = "hours_scope"
    CLIENT_CONFLICT = "client_conflict"
    EQUIPMENT_ACCESS = "equipment_access"
    CONTACT_REQUEST = "contact_request"
    HOW_TO = "how_to"
    NONE = "none"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


CATEGORIES: tuple[str, ...] = tuple(Category)  # in precedence order
PRIORITIES: tuple[str, ...] = tuple(Priority)
# A reply in one of these reports something wrong, so it is negative whatever its tone.
PROBLEMS = frozenset(
    {
        Category.SAFETY_HARASSMENT,
        Category.TIMECARD_PAY,
        Category.HOURS_SCOPE,
        Category.CLIENT_CONFLICT,
        Category.EQUIPMENT_ACCESS,
    }
)
# A question or a request is not a complaint.
REQUESTS = frozenset({Category.CONTACT_REQUEST, Category.HOW_TO})
TICKET_PRIORITY: dict[str, Priority] = {
    Category.SAFETY_HARASSMENT: Priority.URGENT,
    Category.TIMECARD_PAY: Priority.HIGH,
    Category.CLIENT_CONFLICT: Priority.HIGH,
    Category.HOURS_SCOPE: Priority.NORMAL,
    Category.EQUIPMENT_ACCESS: Priority.NORMAL,
    Category.CONTACT_REQUEST: Priority.NORMAL,
    Category.HOW_TO: Priority.LOW,
}
