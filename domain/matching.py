"""Client identity and duplicate matching.

The guide (Part 2, A) lets a program reuse an existing client when four points match: first
name, last name, date of birth, and either phone or address. Staff type what the client tells
them; ``match`` answers:

- ``exact``: the four points match (names compared after ``fold``, the phone ignoring the
  guide's all-nines "no phone" value, the street line after ``normalize_address``);
- ``near``: probably the same person with a typo, a nickname, swapped names, a mistyped date of
  birth, or new contact details (the FAQ case); staff should confer with the client, and "when in
  doubt, enter the individual as a new subject";
- ``none``: another person.

Reasons never quote the existing record's values (its date of birth, phone or address), so they
can be shown to a program that has no consent to see that record.

Near, exactly (every case needs the date of birth or the names to match exactly):

- same date of birth, and each name is the same or related to the existing record's: a nickname
  (first name only), a typo (edit distance <= 1 for names of up to 5 letters, <= 2 for longer
  ones, an adjacent swap counting 1), a sound-alike (``sounds_alike``: the same phonetic key of
  3 or more sounds, so "Catherine" finds "Kathryn" but "Wilma" does not find "William"), or
  one part of a compound name ("Garcia" and "Garcia Lopez");
- same date of birth, first and last names swapped (each the same, a nickname or a typo);
- same date of birth and first name (or a nickname), a different last name, but the same phone or
  street address: the last name may have changed (marriage, divorce). This case is ours, not the
  brief's: the guide's own four points then match except one that people legitimately change;
- same names, date of birth differing by two adjacent transposed digits of YYYYMMDD, by day and
  month swapped, or by one digit;
- same names and date of birth, but no phone or address in common (the FAQ's case).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from domain.errors import ValidationFailed
from domain.phones import NO_PHONE, normalize_phone

MatchKind = Literal["exact", "near", "none"]

_DATA = Path(__file__).with_name("data") / "nicknames.csv"

# Letters NFKD does not decompose into a base letter and a mark.
_TRANSLIT = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss"}
)
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02b9]")
_NON_WORD = re.compile(r"[^\w]+|_")


def _plain(text: str) -> str:
    """Casefold, strip accents and transliterate the few letters NFKD leaves alone."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_TRANSLIT)


def fold(text: str | None) -> str:
    """Return ``text`` in the form names are compared in.

    Casefolds, strips accents ("José" is "jose", "Øster" is "oster"), removes apostrophes so the
    parts join ("O'Brien" and "OBrien" are both "obrien"), turns hyphens and all other punctuation
    into spaces ("Smith-Jones" and "Smith Jones" are both "smith jones"; "St. John" is
    "st john") and collapses runs of spaces. Digits are kept. ``None`` folds to "".
    """
    if not text:
        return ""
    plain = _APOSTROPHES.sub("", _plain(text))
    return " ".join(_NON_WORD.sub(" ", plain).split())


# --- nicknames ------------------------------------------------------------------------------


def _load_nicknames(
    path: Path,
) -> tuple[list[str], list[frozenset[str]], dict[str, list[int]], dict[str, str]]:
    rows: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(line for line in handle if line.strip() and not line.startswith("#")):
            names = [fold(cell) for cell in row if fold(cell)]
            if names:
                rows.append(names)

    groups = [frozenset(row) for row in rows]
    member_rows: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        for name in group:
            member_rows.setdefault(name, []).append(i)

    canonical_row: dict[str, int] = {}
    for i, row in enumerate(rows):
        canonical_row.setdefault(row[0], i)

    # Spelling variants list each other (jeffrey lists geoffrey, geoffrey lists jeffrey): they
    # share one canonical key, the one of the earlier row.
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, row in enumerate(rows):
        for name in row[1:]:
            j = canonical_row.get(name)
            if j is not None and row[0] in groups[j]:
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)

    canonical: dict[str, str] = {}
    for name, indices in member_rows.items():
        row = canonical_row.get(name, indices[0])
        canonical[name] = rows[find(row)][0]
    return [row[0] for row in rows], groups, member_rows, canonical


# Per row of the file: its canonical name and its names; per name: its rows and canonical key.
_ROW_CANONICAL, _GROUPS, _MEMBER_ROWS, _CANONICAL = _load_nicknames(_DATA)


def canonical_name(first: str) -> str:
    """Return the nickname group's canonical (formal) name for ``first``, folded.

    "Bill" gives "william". A name in no group is its own canonical name. A nickname shared by
    several groups ("Al": albert, alan, alfred, ...) gets the canonical name of the first group
    of ``data/nicknames.csv`` that lists it; ``canonical_names`` gives all of them.
    """
    folded = fold(first)
    return _CANONICAL.get(folded, folded)


def canonical_names(first: str) -> set[str]:
    """Return the canonical names of every nickname group ``first`` belongs to (or itself)."""
    folded = fold(first)
    rows = _MEMBER_ROWS.get(folded)
    if not rows:
        return {folded} if folded else set()
    return {_CANONICAL[folded]} | {_CANONICAL[_ROW_CANONICAL[i]] for i in rows}


def _is_nickname_of(nickname: str, formal: str) -> bool:
    """Whether ``formal`` heads a nickname group that lists ``nickname``."""
    return any(_ROW_CANONICAL[i] == formal for i in _MEMBER_ROWS.get(nickname, ()))


def name_variants(first: str) -> set[str]:
    """Return the folded first name, its canonical form and every name of its nickname groups.

    ``name_variants("Bill")`` contains "bill", "william", "will", "billy", "liam", ... Two first
    names are nicknames of each other when one is in the other's variants.
    """
    return set(_variants(fold(first)))


@lru_cache(maxsize=65536)
def _variants(folded: str) -> frozenset[str]:
    if not folded:
        return frozenset()
    variants = {folded, canonical_name(folded)}
    for i in _MEMBER_ROWS.get(folded, ()):
        variants |= _GROUPS[i]
    return frozenset(variants)


# --- phonetic key ---------------------------------------------------------------------------

_VOWELS = frozenset("AEIOU")


@lru_cache(maxsize=65536)
def phonetic_key(name: str) -> str:
    """Return a phonetic code for ``name``, for finding sound-alike names through an index.

    The code is Lawrence Philips' Metaphone (1990) with a few of Double Metaphone's primary-key
    choices, chosen over Soundex because Soundex keeps the first letter ("Catherine" C365,
    "Katherine" K365) and ignores letter combinations ("Philip"/"Filip", "Stephen"/"Steven"):

    - the name is folded and reduced to the letters a-z (spaces, hyphens and apostrophes go);
    - silent first letters of AE-, GN-, KN-, PN-, WR- are dropped; X- sounds S; WH- sounds W;
    - a vowel is coded only as the first letter, and then always "A" ("Eric" = "Aric");
    - B; C is X in -CIA- and CH (K in SCH and in CH- before a consonant: "Christopher"), S
      before E/I/Y (silent in SCE/SCI/SCY), else K; D is J in DGE/DGI/DGY, else T; G is silent in
      GH not before a vowel (unless first) and in -GN/-GNED, J before E/I/Y, else K; H is kept
      only before a vowel and not after C, G, P, S, T; K is silent after C; PH is F; P is
      silent between M and S or T ("Thompson"/"Thomson", "Sampson"/"Samson"); Q is K;
      SH, SIO, SIA, TIO, TIA are X; TH is T (not Metaphone's 0, because American names are
      spelt both ways: "Thomas"/"Tomas", "Theresa"/"Teresa"); TCH's T is silent; V is F; W
      and Y are kept only before a vowel; X is KS; Z is S;
    - doubled letters count once (except C), and repeated codes collapse ("Schmidt" is SKMT).

    The key is not truncated. A name with no letters has the empty key.
    """
    word = "".join(ch for ch in fold(name) if "a" <= ch <= "z").upper()
    if not word:
        return ""
    if word[:2] in ("AE", "GN", "KN", "PN", "WR"):
        word = word[1:]
    if word[0] == "X":
        word = "S" + word[1:]
    elif word[:2] == "WH":
        word = "W" + word[2:]

    n = len(word)

    def at(k: int) -> str:
        return word[k] if 0 <= k < n else ""

    codes: list[str] = []
    i = 0
    while i < n:
        c, prev, nxt, nxt2 = word[i], at(i - 1), at(i + 1), at(i + 2)
        skip = 0
        code = ""
        if c == prev and c != "C":
            i += 1
            continue
        if c in _VOWELS:
            code = "A" if i == 0 else ""
        elif c == "B":
            code = "" if prev == "M" and i == n - 1 else "B"
        elif c == "C":
            if nxt == "I" and nxt2 == "A":
                code = "X"
            elif nxt == "H":
                if prev == "S" or (i == 0 and nxt2 and nxt2 not in _VOWELS):
                    code = "K"
                else:
                    code = "X"
                skip = 1
            elif nxt in ("E", "I", "Y"):
                code = "" if prev == "S" else "S"
            else:
                code = "K"
        elif c == "D":
            if nxt == "G" and nxt2 in ("E", "I", "Y"):
                code, skip = "J", 1
            else:
                code = "T"
        elif c == "G":
            if nxt == "H":
                code = "K" if i == 0 or nxt2 in _VOWELS else ""
                skip = 1
            elif nxt == "N" and (i + 2 == n or word[i + 2 :] == "ED"):
                code = ""
            elif nxt in ("E", "I", "Y"):
                code = "J"
            else:
                code = "K"
        elif c == "H":
            code = "H" if nxt in _VOWELS and nxt and prev not in ("C", "G", "P", "S", "T") else ""
        elif c == "K":
            code = "" if prev == "C" else "K"
        elif c == "P":
            if nxt == "H":
                code, skip = "F", 1
            elif prev == "M" and nxt in ("S", "T"):
                code = ""  # the glide P of "Thompson", "Simpson", "Sampson"
            else:
                code = "P"
        elif c == "Q":
            code = "K"
        elif c == "S":
            if nxt == "H":
                code, skip = "X", 1
            elif nxt == "I" and nxt2 in ("O", "A"):
                code = "X"
            else:
                code = "S"
        elif c == "T":
            if nxt == "I" and nxt2 in ("O", "A"):
                code = "X"
            elif nxt == "H":
                code, skip = "T", 1
            elif nxt == "C" and nxt2 == "H":
                code = ""
            else:
                code = "T"
        elif c == "V":
            code = "F"
        elif c in ("W", "Y"):
            code = c if nxt and nxt in _VOWELS else ""
        elif c == "X":
            code = "KS"
        elif c == "Z":
            code = "S"
        else:  # F, J, L, M, N, R
            code = c
        for ch in code:
            if not codes or codes[-1] != ch:
                codes.append(ch)
        i += 1 + skip
    return "".join(codes)


_VOWEL_ENDINGS = re.compile(r"([aiouy]|[aeiouy]e)$")


def _ends_in_vowel_sound(folded: str) -> bool:
    """Whether a folded name ends in a spoken vowel ("Wilma", "Ashley", "Chloe"; not "Jane")."""
    return bool(_VOWEL_ENDINGS.search(folded.replace(" ", "")))


def sounds_alike(a: str, b: str) -> bool:
    """Tell whether two names sound alike: same ``phonetic_key`` of 3 or more sounds, and both
    or neither ending in a spoken vowel.

    Metaphone drops every vowel after the first, so "Wilma" and "William" share "WLM"; the final
    vowel tells such different names apart while "Catherine" and "Kathryn" still sound alike.
    """
    fa, fb = fold(a), fold(b)
    key = phonetic_key(fa)
    return (
        len(key) >= 3
        and key == phonetic_key(fb)
        and _ends_in_vowel_sound(fa) == _ends_in_vowel_sound(fb)
    )


def search_keys(first: str, last: str) -> dict[str, str]:
    """Return the keys the database stores beside a client's name for indexed search.

    ``first_folded``, ``last_folded`` (``fold``), ``first_phonetic``, ``last_phonetic``
    (``phonetic_key``) and ``first_canonical`` (``canonical_name``). A search for a first name
    ``q`` should look for ``first_folded IN name_variants(q)`` or
    ``first_canonical IN canonical_names(q)`` or ``first_phonetic = phonetic_key(q)``, then
    rank the candidates with ``match``.
    """
    return {
        "first_folded": fold(first),
        "last_folded": fold(last),
        "first_phonetic": phonetic_key(first),
        "last_phonetic": phonetic_key(last),
        "first_canonical": canonical_name(first),
    }


# --- edit distance --------------------------------------------------------------------------


def damerau_levenshtein(a: str, b: str) -> int:
    """Return the optimal-string-alignment distance between ``a`` and ``b``.

    Insertions, deletions, substitutions and transpositions of two adjacent characters each
    cost 1 (no substring is edited twice, the "restricted" Damerau-Levenshtein distance).
    """
    if a == b:
        return 0
    if not a:
        return len(b)
    if not b:
        return len(a)
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _is_adjacent_swap(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i] == b[j] and a[j] == b[i]


def deletion_keys(name: str) -> set[str]:
    """Return ``name`` and every string made by deleting one of its characters.

    Two words within one edit (substitution, insertion, deletion or an adjacent swap) always
    share a key, and many within two do ("holmes" and "homles" share "holes"), so looking
    names up by these keys finds typos without comparing against every name (the symmetric
    delete method of Wolf Garbe's SymSpell). Names shorter than 3 characters have no keys: a
    typo there cannot be told from another name.
    """
    if len(name) < 3:
        return set()
    return {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}


def typo_limit(a: str, b: str) -> int:
    """Return the largest edit distance still read as a typo between two folded names.

    1 when the shorter name has up to 5 characters, 2 otherwise.
    """
    return 1 if min(len(a), len(b)) <= 5 else 2


# --- addresses ------------------------------------------------------------------------------

_STREET_WORDS = {
    # USPS street suffixes (Publication 28, the common ones)
    "street": "st", "str": "st", "st": "st",
    "avenue": "ave", "aven": "ave", "av": "ave", "ave": "ave",
    "road": "rd", "rd": "rd",
    "drive": "dr", "drv": "dr", "dr": "dr",
    "lane": "ln", "ln": "ln",
    "boulevard": "blvd", "boul": "blvd", "blvd": "blvd",
    "court": "ct", "crt": "ct", "ct": "ct",
    "place": "pl", "pl": "pl",
    "circle": "cir", "circ": "cir", "cir": "cir",
    "highway": "hwy", "hiway": "hwy", "hwy": "hwy",
    "parkway": "pkwy", "pkway": "pkwy", "pkwy": "pkwy",
    "terrace": "ter", "terr": "ter", "ter": "ter",
    "trail": "trl", "trl": "trl",
    "square": "sq", "sq": "sq",
    "way": "way", "wy": "way",
    "loop": "loop", "lp": "loop",
    "alley": "aly", "aly": "aly",
    "crossing": "xing", "xing": "xing",
    "expressway": "expy", "expy": "expy",
    "freeway": "fwy", "fwy": "fwy",
    "point": "pt", "pt": "pt",
    "ridge": "rdg", "rdg": "rdg",
    "route": "rte", "rte": "rte", "rt": "rte",
    "heights": "hts", "hts": "hts",
    "junction": "jct", "jct": "jct",
    "mountain": "mtn", "mtn": "mtn",
    "creek": "crk", "crk": "crk",
    "canyon": "cyn", "cyn": "cyn",
    "center": "ctr", "centre": "ctr", "ctr": "ctr",
    "plaza": "plz", "plz": "plz",
    "saint": "st",
    # directions
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    # ordinals spelt out
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
    "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
    "eleventh": "11th", "twelfth": "12th",
    # unit markers: all read as "#", the unit number follows
    "apartment": "#", "apt": "#", "unit": "#", "suite": "#", "ste": "#", "room": "#", "rm": "#",
    "lot": "#", "space": "#", "spc": "#", "trailer": "#", "trlr": "#", "#": "#",
    "building": "bldg", "bldg": "bldg", "floor": "fl", "fl": "fl",
}
_UNIT_GLUED = re.compile(r"^(apt|unit|ste|suite|rm|lot|spc|trlr)(\d\w*)$")
_MULTI_WORDS = (
    (("post", "office", "box"), "po box"),
    (("p", "o", "box"), "po box"),
    (("po", "box"), "po box"),
    (("pob",), "po box"),
    (("rural", "route"), "rr"),
    (("r", "r"), "rr"),
)


def normalize_address(line: str | None) -> str:
    """Return a street line in the form addresses are compared in.

    Folds it like ``fold`` (case, accents, punctuation), keeps "#" as a unit marker, and maps
    USPS street suffixes to their abbreviation (Street/Str/St to "st", Avenue/Ave to "ave",
    Road to "rd", ...), directions to theirs (North to "n", ...), spelt-out ordinals to digits
    (First to "1st") and every unit marker (Apt, Apartment, Unit, Suite, #, Lot, Space, ...) to
    "#"; "P.O. Box" and "Post Office Box" become "po box", "Rural Route" "rr".
    "123 North Main Street, Apt. 4" and "123 N Main St #4" both give "123 n main st # 4".
    """
    if not line:
        return ""
    plain = _APOSTROPHES.sub("", _plain(line))
    # Fold like names, but keep "#": it marks the unit number.
    tokens: list[str] = []
    for part in re.split(r"(#)", plain):
        if part == "#":
            tokens.append("#")
        else:
            tokens.extend(_NON_WORD.sub(" ", part).split())

    out: list[str] = []
    i = 0
    while i < len(tokens):
        for words, replacement in _MULTI_WORDS:
            if tuple(tokens[i : i + len(words)]) == words:
                out.append(replacement)
                i += len(words)
                break
        else:
            token = tokens[i]
            glued = _UNIT_GLUED.match(token)
            if glued:
                out.extend(["#", glued.group(2)])
            else:
                out.append(_STREET_WORDS.get(token, token))
            i += 1
    # "Apt #4" names the unit twice.
    collapsed: list[str] = []
    for token in out:
        if token == "#" and collapsed and collapsed[-1] == "#":
            continue
        collapsed.append(token)
    return " ".join(collapsed)


def is_no_address(line: str | None) -> bool:
    """Tell whether ``line`` is the guide's placeholder for a client without an address.

    The guide asks for "0000 Street, (city) MT, (zip)" when a client cannot give an address;
    any street line whose house number is all zeros is that placeholder and matches no one.
    """
    normalized = normalize_address(line)
    if not normalized:
        return False
    return re.fullmatch(r"0+", normalized.split()[0]) is not None


def _zip5(value: str | None) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits[:5]


# --- identity and matching ------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What identifies a client: the guide's four points, plus the ZIP code of the address.

    ``phone`` is E.164 (``domain.phones.normalize_phone``) or ``None``; a client with several
    numbers gives the others in ``other_phones`` (any one of them in common is a phone match);
    ``address`` is the street line only.
    """

    first_name: str
    last_name: str
    dob: date
    phone: str | None = None
    address: str | None = None
    zip: str | None = None
    other_phones: tuple[str, ...] = ()

    def phone_values(self) -> set[str]:
        """Every real number of this identity, normalised; the "no phone" value is left out."""
        values = (_phone_value(p) for p in (self.phone, *self.other_phones))
        return {v for v in values if v}


@dataclass(frozen=True)
class MatchResult:
    """How a typed identity compares with an existing client, and why, in plain words."""

    kind: MatchKind
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Relation:
    kind: Literal["same", "nickname", "typo", "phonetic", "compound"]
    reason: str


def _relate(candidate: str, existing: str, label: str, *, first: bool) -> _Relation | None:
    """How the candidate's folded name relates to the existing record's, if it does.

    ``first`` says the names are first names: nicknames count, phonetic keys do not.
    """
    if not candidate or not existing:
        return None
    if candidate == existing:
        return _Relation("same", f"{label} matches")
    if first and candidate in name_variants(existing):
        if _is_nickname_of(candidate, existing):
            return _Relation("nickname", f"{label} is a nickname of the existing record's")
        if _is_nickname_of(existing, candidate):
            return _Relation("nickname", f"the existing record's {label} is a nickname of this one")
        return _Relation("nickname", f"{label} and the existing record's are nicknames of one name")
    distance = damerau_levenshtein(candidate, existing)
    if distance <= typo_limit(candidate, existing):
        if _is_adjacent_swap(candidate, existing):
            what = "has two adjacent letters swapped"
        else:
            what = "differs by one letter" if distance == 1 else "differs by two letters"
        return _Relation("typo", f"{label} {what}")
    if sounds_alike(candidate, existing):
        return _Relation("phonetic", f"{label} sounds like the existing record's")
    a, b = set(candidate.split()), set(existing.split())
    if a != b and (a < b or b < a):
        return _Relation("compound", f"{label} is one part of a compound or hyphenated name")
    return None


def _dob_difference(candidate: date, existing: date) -> str | None:
    """Name the kind of typing slip between two different dates of birth, if it is one."""
    if candidate == existing:
        return None
    if (
        candidate.year == existing.year
        and candidate.month == existing.day
        and candidate.day == existing.month
    ):
        return "date of birth has the day and month swapped"
    a, b = candidate.strftime("%Y%m%d"), existing.strftime("%Y%m%d")
    if _is_adjacent_swap(a, b):
        return "date of birth differs by two transposed digits"
    if sum(x != y for x, y in zip(a, b)) == 1:
        return "date of birth differs by one digit"
    return None


def _phone_value(phone: str | None) -> str | None:
    if not phone or not str(phone).strip():
        return None
    try:
        value = normalize_phone(phone)
    except ValidationFailed:
        value = re.sub(r"\D", "", str(phone)) or None
    return None if value == NO_PHONE else value


def _contact(candidate: Identity, existing: Identity) -> tuple[list[str], bool]:
    """Return what contact details match, and whether any pair could be compared at all."""
    matches: list[str] = []
    comparable = False

    phones_a, phones_b = candidate.phone_values(), existing.phone_values()
    if phones_a and phones_b:
        comparable = True
        if phones_a & phones_b:
            matches.append("phone matches")

    usable = [
        x for x in (candidate, existing) if x.address and not is_no_address(x.address)
    ]
    if len(usable) == 2:
        comparable = True
        zip_a, zip_b = _zip5(candidate.zip), _zip5(existing.zip)
        same_zip = not zip_a or not zip_b or zip_a == zip_b
        if same_zip and normalize_address(candidate.address) == normalize_address(existing.address):
            matches.append("street address matches")
    return matches, comparable


_NEAR_RELATIONS = ("same", "nickname", "typo", "phonetic", "compound")
_SWAP_RELATIONS = ("same", "nickname", "typo")


def match(candidate: Identity, existing: Identity) -> MatchResult:
    """Compare an identity typed by staff with an existing client's, on the guide's four points.

    Returns ``exact``, ``near`` or ``none`` with the reasons in plain words (see the module
    docstring for the rules). The reasons never quote the existing record's values.
    """
    cf, cl = fold(candidate.first_name), fold(candidate.last_name)
    ef, el = fold(existing.first_name), fold(existing.last_name)
    contact, comparable = _contact(candidate, existing)
    same_dob = candidate.dob == existing.dob

    first = _relate(cf, ef, "first name", first=True)
    last = _relate(cl, el, "last name", first=False)
    names_same = bool(first and last and first.kind == "same" and last.kind == "same")

    if names_same and same_dob:
        if contact:
            return MatchResult("exact", ["first name, last name and date of birth match", *contact])
        if comparable:
            why = (
                "first name, last name and date of birth match, but neither the phone nor the "
                "address does: may be the same person with new contact details; ask the client "
                "for their previous phone number or address"
            )
        else:
            why = (
                "first name, last name and date of birth match, but there is no phone or "
                "address to compare: ask the client for their previous phone number or address"
            )
        return MatchResult("near", [why])

    if same_dob:
        if first and last and first.kind in _NEAR_RELATIONS and last.kind in _NEAR_RELATIONS:
            reasons = [r.reason for r in (first, last) if r.kind != "same"]
            reasons += [r.reason for r in (first, last) if r.kind == "same"]
            return MatchResult("near", [*reasons, "date of birth matches", *contact])

        swapped_first = _relate(cf, el, "first name (read as the last name)", first=False)
        swapped_last = _relate(cl, ef, "last name (read as the first name)", first=True)
        if (
            swapped_first
            and swapped_last
            and swapped_first.kind in _SWAP_RELATIONS
            and swapped_last.kind in _SWAP_RELATIONS
        ):
            reasons = ["first and last names swapped"]
            reasons += [r.reason for r in (swapped_first, swapped_last) if r.kind != "same"]
            return MatchResult("near", [*reasons, "date of birth matches", *contact])

        if first and first.kind in ("same", "nickname") and contact:
            reasons = [
                "last name differs (it may have changed)",
                *([] if first.kind == "same" else [first.reason]),
                "first name and date of birth match"
                if first.kind == "same"
                else "date of birth matches",
                *contact,
            ]
            return MatchResult("near", reasons)
        return MatchResult("none", [])

    if names_same:
        slip = _dob_difference(candidate.dob, existing.dob)
        if slip:
            return MatchResult("near", [slip, "first and last names match", *contact])
    return MatchResult("none", [])


# --- ranking search results -----------------------------------------------------------------

# How well a typed search term fits a stored name, best first.
RANK_SAME, RANK_PREFIX, RANK_NICKNAME, RANK_TYPO, RANK_SOUND, RANK_LOOSE = range(6)
_SWAPPED_PENALTY = 1
MAX_QUERY_WORDS = 4


@dataclass(frozen=True)
class NameQuery:
    """What was typed in the "Subjects" search bar, read as names.

    ``word`` is set when one word was typed (it may be a first or a last name); otherwise
    ``readings`` holds the (first, last) pairs it may mean, most likely first, ``swapped``
    the ones read last name first ("Smith John"), and ``phrase`` the words together, which may
    be one compound name ("Old Coyote", "Mary Ann"). Every part is folded (``fold``).
    """

    word: str = ""
    readings: tuple[tuple[str, str], ...] = ()
    swapped: tuple[tuple[str, str], ...] = ()
    phrase: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.word and not self.readings


def parse_name_query(text: str | None) -> NameQuery:
    """Read a name search: "John Smith", "smith", "Smith, John", "Mary Ann Smith", "jo smi".

    A comma means "last name, first name". Two or more words are split at each place into a
    first and a last name (the first words as the first name is the likelier reading); the
    same splits read the other way round go into ``swapped``. Beyond four words only the first
    three and the last are kept.
    """
    if not text or not text.strip():
        return NameQuery()
    if "," in text:
        last, first = (fold(part) for part in text.split(",", 1))
        if last and first:
            return NameQuery(readings=((first, last),))
        return NameQuery(word=last or first) if (last or first) else NameQuery()
    words = fold(text).split()
    if not words:
        return NameQuery()
    if len(words) == 1:
        return NameQuery(word=words[0])
    if len(words) > MAX_QUERY_WORDS:
        words = words[: MAX_QUERY_WORDS - 1] + words[-1:]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    # "Mary Ann Smith" is more often first "mary ann" than last "ann smith": shortest last first.
    splits.sort(key=lambda pair: len(pair[1].split()))
    return NameQuery(readings=tuple(splits), swapped=tuple((b, a) for a, b in splits),
                     phrase=" ".join(words))


@lru_cache(maxsize=262144)
def term_rank(term: str, name: str, *, nicknames: bool) -> int:
    """How a typed (folded) term fits a stored (folded) name: ``RANK_SAME`` (best) to
    ``RANK_LOOSE`` (found only by a fuzzier index, such as trigram similarity).

    A term that starts the name, or one of its words ("lopez" in "garcia lopez"), is a prefix;
    ``nicknames`` relates first names through the nickname groups.
    """
    if not term or not name:
        return RANK_LOOSE
    if term == name:
        return RANK_SAME
    if name.startswith(term) or any(word.startswith(term) for word in name.split()[1:]):
        return RANK_PREFIX
    if nicknames and term in _variants(name):
        return RANK_NICKNAME
    if damerau_levenshtein(term, name) <= typo_limit(term, name):
        return RANK_TYPO
    if phonetic_key(term) == phonetic_key(name):
        return RANK_SOUND
    return RANK_LOOSE


def search_rank(query: NameQuery, first: str, last: str) -> tuple[int, int, int]:
    """Sort key of a stored client (folded names) for a search: smaller is better.

    The first number adds up how each name fits (see ``term_rank``) under the best reading of
    the query, a swapped reading costing one more (the words read as one compound name count as
    one name); the second is the worst fit of a single name in that reading (``RANK_LOOSE``
    means a name that does not fit at all: ``is_search_match`` leaves such clients out); the
    third prefers the last name when one word was typed.
    """
    if query.word:
        by_last = term_rank(query.word, last, nicknames=False)
        by_first = term_rank(query.word, first, nicknames=True)
        return (by_last, by_last, 0) if by_last <= by_first else (by_first, by_first, 1)
    best = (2 * RANK_LOOSE + _SWAPPED_PENALTY, RANK_LOOSE, 0)
    if query.phrase:
        for name, nicknames in ((last, False), (first, False)):
            fit = term_rank(query.phrase, name, nicknames=nicknames)
            best = min(best, (fit, fit, 0))
    for pairs, penalty in ((query.readings, 0), (query.swapped, _SWAPPED_PENALTY)):
        for f, l in pairs:
            by_first = term_rank(f, first, nicknames=True)
            by_last = term_rank(l, last, nicknames=False)
            best = min(best, (by_first + by_last + penalty, max(by_first, by_last), 0))
    return best


def is_search_match(rank: tuple[int, int, int]) -> bool:
    """Whether a client ranked by ``search_rank`` fits the search: every name typed fits one of
    theirs at least as a sound-alike."""
    return rank[1] < RANK_LOOSE
