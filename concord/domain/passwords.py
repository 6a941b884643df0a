"""Password rules after NIST SP 800-63B §5.1.1.2 (memorized secrets).

Length (at least 12 here, and long passphrases welcome, up to 256), and a check against values
known to be common, breached or expected: the block lists shipped with zxcvbn (passwords seen in
breaches, English words, names, keyboard walks), repeats and sequences (`123456789012`), dates, and
the words of the context (the service's name, the person's username and name). No composition rules
(no "one digit, one symbol"), no periodic expiry: those make passwords worse, not better.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from concord.domain.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 256
#: zxcvbn's estimate of guesses an attacker needs; below 10^8 the password is a common one, or is
#: built from common ones (its "score 3": safe against online guessing under throttling, and
#: against an offline attack on the slow argon2id hash).
MIN_GUESSES_LOG10 = 8.0
#: Only the first characters are estimated (the estimate's cost grows with the length; a long
#: password whose first 64 characters are already hard to guess is hard to guess).
_ESTIMATED = 64
CONTEXT_WORDS = ("concord", "centre", "center", "coordination", "joint", "security")


def check_password(password: str, *, username: str | None = None, display_name: str | None = None) -> str:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"a password has at least {MIN_LENGTH} characters", field="password",
                      details={"reason": "too_short", "min_length": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise Invalid(f"a password has at most {MAX_LENGTH} characters", field="password",
                      details={"reason": "too_long", "max_length": MAX_LENGTH})
    context = [*CONTEXT_WORDS]
    for value in (username, display_name):
        if value:
            context.append(value.lower())
            context.extend(w for w in re.split(r"[\s._-]+", value.lower()) if len(w) >= 3)
    estimate = zxcvbn(password[:_ESTIMATED], user_inputs=context)
    if float(estimate["guesses_log10"]) < MIN_GUESSES_LOG10:
        raise Invalid("this password is too easy to guess: it is a common or breached password, or is built from "
                      "words, names, dates, repeats or sequences; a few unrelated words make a good one",
                      field="password", details={"reason": "guessable"})
    return password
