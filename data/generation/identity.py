"""Identities: CUITs, Argentine phone numbers, e-mail addresses and names."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from data.reference.names import (
    EMAIL_DOMAINS,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
)

CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
PERSON_PREFIXES = ("20", "23", "24", "27")
COMPANY_PREFIXES = ("30", "33", "34")


def cuit_check_digit(first_ten: str) -> int | None:
    """The CUIT verification digit for the first ten digits, or None when it would be 10.

    AFIP's rule: r = 11 - (sum of digits times weights 5,4,3,2,7,6,5,4,3,2 mod 11);
    r = 11 gives 0 and r = 10 is not allowed (AFIP assigns another number).
    """
    total = sum(int(d) * w for d, w in zip(first_ten, CUIT_WEIGHTS, strict=True))
    r = 11 - total % 11
    if r == 11:
        return 0
    if r == 10:
        return None
    return r


def is_valid_cuit(cuit: str) -> bool:
    """True for ``NN-NNNNNNNN-N`` with a known prefix and a correct check digit."""
    match = re.fullmatch(r"(\d{2})-(\d{8})-(\d)", cuit)
    if not match:
        return False
    prefix, number, check = match.groups()
    if prefix not in PERSON_PREFIXES + COMPANY_PREFIXES:
        return False
    return cuit_check_digit(prefix + number) == int(check)


def make_cuit(rng: np.random.Generator, prefix: str, taken: set[str]) -> str:
    """A fresh valid CUIT with ``prefix``; redraws the number when r would be 10."""
    low, high = (10_000_000, 46_000_000) if prefix in PERSON_PREFIXES else (50_000_000, 72_000_000)
    while True:
        number = f"{int(rng.integers(low, high)):08d}"
        check = cuit_check_digit(prefix + number)
        if check is None:
            continue
        cuit = f"{prefix}-{number}-{check}"
        if cuit not in taken:
            taken.add(cuit)
            return cuit


def phone_numbers(rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
    """Mobile numbers in E.164 (``+549`` + area code + subscriber, 10 national digits)."""
    area_codes = np.asarray(area_codes, dtype=object)
    n = len(area_codes)
    out = np.empty(n, dtype=object)
    lengths = np.array([10 - len(a) for a in area_codes], dtype=np.int64)
    # Mobile ranges: every area assigns 4x numbers; Buenos Aires (11) also 5x and 6x.
    first = np.where(area_codes == "11", rng.integers(4, 7, size=n), 4)
    rest = rng.integers(0, 10**9, size=n)
    for i in range(n):
        digits = str(first[i]) + f"{rest[i]:09d}"[: lengths[i] - 1]
        out[i] = f"+549{area_codes[i]}{digits}"
    return out


def strip_accents(text: str) -> str:
    """``Peluquería`` → ``Peluqueria``."""
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c))


def slug(text: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits only (for e-mail local parts and domains)."""
    cleaned = re.sub(r"[^a-z0-9]+", sep, strip_accents(text).lower())
    return cleaned.strip(sep)


def person_email(rng: np.random.Generator, first: str, last: str) -> str:
    """A personal address the way Argentines make them (gmail, hotmail...)."""
    style = int(rng.integers(0, 4))
    f, last_slug = slug(first), slug(last)
    local = (
        f"{f}.{last_slug}",
        f"{f}{last_slug}{int(rng.integers(1, 99))}",
        f"{f[0]}{last_slug}",
        f"{f}_{last_slug}{int(rng.integers(70, 100))}",
    )[style]
    return f"{local}@{EMAIL_DOMAINS[int(rng.integers(0, len(EMAIL_DOMAINS)))]}"


def random_people(
    rng: np.random.Generator, n: int, female_share: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` first names, last names and a female flag, as object arrays."""
    female = rng.random(n) < female_share
    male_names = np.array(MALE_FIRST_NAMES, dtype=object)
    female_names = np.array(FEMALE_FIRST_NAMES, dtype=object)
    first = np.where(
        female,
        female_names[rng.integers(0, len(female_names), n)],
        male_names[rng.integers(0, len(male_names), n)],
    )
    last_names = np.array(LAST_NAMES, dtype=object)
    last = last_names[rng.integers(0, len(last_names), n)]
    return first, last, female


def full_names(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Element-wise ``first + " " + last``."""
    return (np.asarray(first, dtype=object) + " ") + np.asarray(last, dtype=object)
