"""The "Subjects" search: find clients by name, partial, accent- and case-insensitive, tolerant of
typos and nicknames, fast on a state-sized table.

How: the typed text is read as names (``domain.matching.parse_name_query``); each reading is
looked up through a few *tiers*, each one a btree lookup with its own cap, all in one UNION ALL
round trip:

- prefix: the folded names start with the typed words (also finds exact names);
- nickname: the first name's nickname group (``first_canonical``) with the last name's prefix;
- sound-alike: the Metaphone keys (``*_phonetic``), alone or with the nickname group;
- typo: the names in use one typo away from those typed, found first among the distinct names
  by their deletion keys (``client_name_key``), then the clients bearing them.

Given a date of birth, the candidates are simply everyone born that day (tens in a million).

The candidates are then ranked and filtered in Python (``domain.matching.search_rank``: exact,
prefix, nickname, typo, sound-alike; a client none of whose names fits is dropped), so both
databases give the same results in the same order. A search shows at most ``MAX_RESULTS``
clients; past that the user is asked to add a first name or a date of birth, which a person
checking the guide's four points has anyway.

Why not trigram similarity (pg_trgm): a one-letter typo in a short name scores below its
default threshold ("homles"/"holmes" 0.27, "nugyen"/"nguyen" 0.27, "wset"/"west" 0.11), and on a
million rows a common first trigram sends tens of thousands of rows to the recheck; deletion
keys find every one-edit typo with an exact lookup, the same way on SQLite.

Each result says whether the acting program may see the client's details
(``models.clients.access``); for the others only the name and year of birth are returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from domain.matching import (
    RANK_LOOSE,
    RANK_SAME,
    NameQuery,
    canonical_names,
    deletion_keys,
    is_search_match,
    name_variants,
    parse_name_query,
    phonetic_key,
    search_rank,
    term_rank,
)
from models.clients.access import visible_to
from models.clients.tables import Client, ClientNameKey, ClientPhone
from models.paging import Page, pages_for

PER_PAGE = 20
MAX_RESULTS = 200
# Fuzzier tiers rank below the prefix ones: a few pages' worth of them is plenty.
FUZZY_CAP = 60
TYPO_CAP = PER_PAGE
DOB_CAP = 2000


@dataclass(frozen=True)
class SearchHit:
    """One client in the results. Details other than the name and year of birth are filled in
    only when ``visible``."""

    id: int
    first_name: str
    last_name: str
    birth_year: int
    visible: bool
    dob: date | None = None
    phones: tuple[str, ...] = ()
    address: str = ""
    city: str = ""
    zip: str = ""
    no_fixed_address: bool = False


@dataclass(frozen=True)
class SearchPage(Page[SearchHit]):
    """A page of search results; ``capped``: more than MAX_RESULTS clients fit, so only the best
    MAX_RESULTS are paged (ask for more of the name or a DOB)."""

    capped: bool = False
    ids: tuple[int, ...] = ()
    """Every result in order (at most MAX_RESULTS), not only this page's: the benchmark measures
    from it whether a search finds the person at all, beside whether it shows them on page 1."""


NO_SEARCH = SearchPage((), 1, PER_PAGE, 0)
"""What a search page shows before anything was asked."""


def _prefix(column, text: str):
    """``column`` starts with ``text``: a range both databases serve from a btree index."""
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    return (column >= text) & (column < upper)


_KEYS = (Client.id, Client.first_folded, Client.last_folded)
_ALL = literal_column("*")


def _tier(*conditions, order_by=(), cap: int = MAX_RESULTS) -> Select:
    return (
        select(*_KEYS)
        .where(Client.merged_into_id.is_(None), *conditions)
        .order_by(*order_by)
        .limit(cap)
    )


def _word_tiers(word: str) -> list[Select]:
    """One word: a last name or a first name, or the start of one."""
    key = phonetic_key(word)
    tiers = [
        _tier(_prefix(Client.last_folded, word), order_by=(Client.last_folded, Client.first_folded)),
        _tier(_prefix(Client.first_folded, word), order_by=(Client.first_folded, Client.last_folded)),
        _tier(Client.first_canonical.in_(canonical_names(word)), cap=FUZZY_CAP),
    ]
    if key:
        tiers += [_tier(Client.last_phonetic == key, cap=FUZZY_CAP),
                  _tier(Client.first_phonetic == key, cap=FUZZY_CAP)]
    return tiers


def _phrase_tiers(phrase: str) -> list[Select]:
    """Several words that may be one compound name ("Old Coyote", "Mary Ann")."""
    return [
        _tier(_prefix(Client.last_folded, phrase), order_by=(Client.last_folded, Client.first_folded)),
        _tier(_prefix(Client.first_folded, phrase), order_by=(Client.first_folded, Client.last_folded)),
    ]


def _pair_tiers(first: str, last: str, *, thorough: bool) -> list[Select]:
    """A (first, last) reading. Swapped readings (``thorough`` false) get the cheap tiers only."""
    canonical = canonical_names(first) | {first}
    tiers = [
        _tier(_prefix(Client.last_folded, last), _prefix(Client.first_folded, first),
              order_by=(Client.last_folded, Client.first_folded)),
        _tier(Client.first_canonical.in_(canonical), _prefix(Client.last_folded, last),
              cap=FUZZY_CAP),
    ]
    if thorough:
        last_key, first_key = phonetic_key(last), phonetic_key(first)
        if last_key:
            tiers.append(_tier(Client.last_phonetic == last_key,
                               Client.first_canonical.in_(canonical), cap=FUZZY_CAP))
            if first_key:
                tiers.append(_tier(Client.last_phonetic == last_key,
                                   Client.first_phonetic == first_key, cap=FUZZY_CAP))
        tiers.append(_tier(Client.last_folded == last,
                           Client.first_folded.in_(name_variants(first) | {first}), cap=FUZZY_CAP))
    return tiers


# --- names like the typed ones (typos) --------------------------------------------------------

SIMILAR_NAMES = 10  # per typed name: the closest names in use


def name_key_rows(kind: str, folded: str) -> list[dict]:
    """The ``client_name_key`` rows of one folded name: its deletion keys, and those of each
    word of a compound name ("soto" finds "rivera soto")."""
    keys = deletion_keys(folded)
    words = folded.split()
    if len(words) > 1:
        for word in words:
            keys |= deletion_keys(word)
    return [{"kind": kind, "key": key, "name": folded} for key in sorted(keys)]


def remember_names(db: Session, first_folded: str, last_folded: str) -> None:
    """Add a client's folded names to ``client_name_key`` (if new), for typo-tolerant search."""
    rows = name_key_rows("first", first_folded) + name_key_rows("last", last_folded)
    if not rows:
        return
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.execute(insert(ClientNameKey).values(rows).on_conflict_do_nothing())


def similar_names(db: Session, words: dict[str, str]) -> dict[str, list[str]]:
    """For each kind ("first", "last") and typed word, the other names in use that fit it
    (``domain.matching.term_rank``): a typo away, or a word of a compound name; closest first."""
    wanted = {kind: word for kind, word in words.items() if deletion_keys(word)}
    if not wanted:
        return {}
    rows = db.execute(
        select(ClientNameKey.kind, ClientNameKey.name).distinct().where(or_(*(
            and_(ClientNameKey.kind == kind, ClientNameKey.key.in_(deletion_keys(word)))
            for kind, word in wanted.items()
        )))
    )
    fits: dict[str, list[tuple[int, int, str]]] = {kind: [] for kind in wanted}
    for kind, name in rows:
        word = wanted[kind]
        if abs(len(name) - len(word)) > 2 and not any(p.startswith(word) for p in name.split()):
            continue  # neither a typo (too long or short) nor a word of it: skip the comparison
        rank = term_rank(word, name, nicknames=False)
        if RANK_SAME < rank < RANK_LOOSE:
            fits[kind].append((rank, abs(len(name) - len(word)), name))
    return {kind: [name for *_, name in sorted(ranked)[:SIMILAR_NAMES]]
            for kind, ranked in fits.items()}


def _typo_tiers(query: NameQuery, similar: dict[str, list[str]]) -> list[Select]:
    """Clients whose names are among the ones like those typed."""
    tiers = []
    if query.word:
        for kind, column, other in (("last", Client.last_folded, Client.first_folded),
                                    ("first", Client.first_folded, Client.last_folded)):
            for name in similar.get(kind, ()):
                tiers.append(_tier(column == name, order_by=(other,), cap=TYPO_CAP))
        return tiers
    first, last = query.readings[0]
    lasts = [last, *similar.get("last", ())]
    firsts = sorted(name_variants(first) | {first, *similar.get("first", ())})
    if len(lasts) > 1 or similar.get("first"):
        tiers.append(_tier(Client.last_folded.in_(lasts), Client.first_folded.in_(firsts),
                           cap=FUZZY_CAP))
    return tiers


def _typed_words(query: NameQuery) -> dict[str, str]:
    if query.word:
        return {"last": query.word, "first": query.word}
    first, last = query.readings[0]
    return {"last": last, "first": first}


def _union(tiers: list[Select]) -> Select:
    # Each tier keeps its own ORDER BY and LIMIT inside a subquery (SQLite allows them nowhere
    # else in a compound); "*" spares building each subquery's column collection.
    return union_all(*(select(_ALL).select_from(tier.subquery()) for tier in tiers))


def find_candidates(db: Session, query: NameQuery, dob: date | None = None) -> list[int]:
    """Ids of the clients that fit the query, best first, at most ``MAX_RESULTS + 1``."""
    if query.is_empty:
        return []
    if dob is not None:
        # Few people share a birthday (tens in a million): rank every one of them by name.
        tiers = [_tier(Client.dob == dob, cap=DOB_CAP)]
    elif query.word:
        tiers = _word_tiers(query.word)
    else:
        tiers = [t for f, l in query.readings for t in _pair_tiers(f, l, thorough=True)]
        tiers += [t for f, l in query.swapped for t in _pair_tiers(f, l, thorough=False)]
        if query.phrase:
            tiers += _phrase_tiers(query.phrase)
    if dob is None:
        tiers += _typo_tiers(query, similar_names(db, _typed_words(query)))
    rows = {row.id: row for row in db.execute(_union(tiers))}
    ranks = {i: search_rank(query, row.first_folded, row.last_folded) for i, row in rows.items()}
    ranked = sorted(
        (row for row in rows.values() if is_search_match(ranks[row.id])),
        key=lambda r: (ranks[r.id], r.last_folded, r.first_folded, r.id),
    )
    return [r.id for r in ranked[: MAX_RESULTS + 1]]


def search_clients(
    db: Session,
    text: str,
    *,
    program_id: int,
    today: date,
    dob: date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    since: datetime | None = None,
) -> SearchPage:
    """One page of clients whose name fits ``text`` (and born on ``dob`` if given); ``since``
    keeps those whose profile changed at or after then."""
    query = parse_name_query(text)
    ids = find_candidates(db, query, dob)
    if dob is not None:
        ids = _dob_matches(db, ids, find_candidates(db, query), dob, program_id, today)
    if since is not None and ids:
        changed = set(db.scalars(select(Client.id).where(Client.id.in_(ids), Client.updated_at >= since)))
        ids = [i for i in ids if i in changed]
    return _page_of(db, ids, program_id=program_id, today=today, page=page, per_page=per_page)


def changed_clients(db: Session, *, program_id: int, today: date, since: datetime, page: int = 1,
                    per_page: int = PER_PAGE) -> SearchPage:
    """An integrator's poll without a name: the clients the program may see whose profile changed
    at or after ``since``, most recent first (others' changes are not theirs to follow)."""
    ids = list(db.scalars(
        select(Client.id).where(Client.updated_at >= since, Client.merged_into_id.is_(None),
                                visible_to(program_id, today))
        .order_by(Client.updated_at.desc(), Client.id.desc()).limit(MAX_RESULTS + 1)))
    return _page_of(db, ids, program_id=program_id, today=today, page=page, per_page=per_page)


def _page_of(db: Session, ids: list[int], *, program_id: int, today: date, page: int,
             per_page: int) -> SearchPage:
    capped = len(ids) > MAX_RESULTS
    ids = ids[:MAX_RESULTS]
    page = min(max(1, page), pages_for(len(ids), per_page))
    page_ids = ids[(page - 1) * per_page : page * per_page]
    return SearchPage(load_hits(db, page_ids, program_id=program_id, today=today), page, per_page, len(ids),
                      capped=capped, ids=tuple(ids))


def _dob_matches(db: Session, exact: list[int], by_name: list[int], dob: date, program_id: int,
                 today: date) -> list[int]:
    """The date of birth narrows the search only among clients the program may see.

    Matching the full date for the others would let anyone confirm a stranger's birthday by
    guessing, one search per guess, while the identity check allows five a day. A client the
    program may not see matches on the year of birth instead, which the results show anyway:
    the typed date confirms nothing more, and the client is still found to ask for consent.
    """
    seen = set(db.scalars(select(Client.id).where(Client.id.in_(exact + by_name),
                                                  visible_to(program_id, today))))
    year = set(db.scalars(select(Client.id).where(
        Client.id.in_(by_name), Client.dob >= date(dob.year, 1, 1), Client.dob <= date(dob.year, 12, 31))))
    kept = [i for i in exact if i in seen]
    kept += [i for i in by_name if i not in seen and i in year]
    return kept[: MAX_RESULTS + 1]


@lru_cache(maxsize=1)
def _hits_statement() -> Select:
    # Built once with bind parameters: this runs on every search.
    visible = visible_to(bindparam("program_id"), bindparam("today")).label("visible")
    return select(
        Client.id, Client.first_name, Client.last_name, Client.dob, Client.address, Client.city,
        Client.zip, Client.no_fixed_address, visible,
    ).where(Client.id.in_(bindparam("ids", expanding=True)))


@lru_cache(maxsize=1)
def _phones_statement() -> Select:
    return (select(ClientPhone.client_id, ClientPhone.e164)
            .where(ClientPhone.client_id.in_(bindparam("ids", expanding=True)))
            .order_by(ClientPhone.client_id, ClientPhone.position))


def load_hits(db: Session, ids: list[int], *, program_id: int, today: date) -> list[SearchHit]:
    """The result rows for ``ids``, in that order, with details only where visible."""
    if not ids:
        return []
    rows = {row.id: row for row in db.execute(
        _hits_statement(), {"ids": ids, "program_id": program_id, "today": today})}
    shown = [i for i in ids if i in rows and rows[i].visible]
    phones: dict[int, list[str]] = {}
    if shown:
        for client_id, e164 in db.execute(_phones_statement(), {"ids": shown}):
            phones.setdefault(client_id, []).append(e164)
    hits = []
    for i in ids:
        row = rows.get(i)
        if row is None:
            continue
        if row.visible:
            hits.append(SearchHit(
                id=row.id, first_name=row.first_name, last_name=row.last_name,
                birth_year=row.dob.year, visible=True, dob=row.dob,
                phones=tuple(phones.get(row.id, ())), address=row.address, city=row.city,
                zip=row.zip, no_fixed_address=row.no_fixed_address,
            ))
        else:
            hits.append(SearchHit(id=row.id, first_name=row.first_name, last_name=row.last_name,
                                  birth_year=row.dob.year, visible=False))
    return hits
