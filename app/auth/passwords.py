"""The password policy for new passwords, after NIST SP 800-63B (section 3.1.1.2).

At least 12 characters, no composition rules, and never a password from a breached or
common list. The list is the 30,000 most common passwords of leaked corpora that the
zxcvbn package ships (`zxcvbn.frequency_lists`), compared case-insensitively, also with
digits and symbols trimmed from the ends ("Password1234!" is "password"), and patterns
that no list needs to hold are refused with them: one character class repeated
("aaaaaaaaaaaa", "121212121212") and straight runs ("123456789012", "abcdefghijkl").
A refusal is 422 `invalid_request` with errors[].rule "too_short" or "common".
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.core.errors import AppError, FieldError, invalid_fields

MIN_LENGTH = 12
# Fewer distinct characters than this is a repetition, whatever its length.
MIN_DISTINCT = 5
# A trimmed core this short says nothing about the list ("1234!" -> "").
MIN_CORE = 4


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _straight_run(text: str) -> bool:
    """Neighbours one apart all the way, allowing one break ("123456789012")."""
    breaks = sum(1 for a, b in pairwise(text) if abs(ord(b) - ord(a)) != 1)
    return breaks <= 1


def _is_common(password: str) -> bool:
    lowered = password.lower()
    words = common_passwords()
    if lowered in words:
        return True
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/'\" ")
    if len(core) >= MIN_CORE and core in words:
        return True
    return len(set(lowered)) < MIN_DISTINCT or _straight_run(lowered)


def password_problem(password: str, field: str = "password") -> FieldError | None:
    """Why `password` may not be chosen, or None."""
    if len(password) < MIN_LENGTH:
        return FieldError(
            field=field, message=f"must have at least {MIN_LENGTH} characters", rule="too_short"
        )
    if _is_common(password):
        return FieldError(
            field=field,
            message="is too common: it appears in lists of breached passwords",
            rule="common",
        )
    return None


def check_new_password(password: str, field: str = "password") -> None:
    """Raise 422 invalid_request naming the rule when `password` breaks the policy."""
    problem = password_problem(password, field)
    if problem is not None:
        error: AppError = invalid_fields([problem])
        raise error
