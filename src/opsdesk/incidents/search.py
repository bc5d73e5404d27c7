"""Keyword search over incident titles and descriptions.

A word matches when it appears, case-insensitively, in the title or the
description. On PostgreSQL the test is written against ``search_key``, the
generated column of migration ``0003_search_indexes`` (title and description
upper-cased, Chinese characters doubled): it means the same thing and lets
the column's pg_trgm index answer it. Words too short to have a trigram there
(one Chinese character, one or two letters) keep the plain test.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Expression, Func, Q, QuerySet, TextField, Value

from .models import Incident

MAX_WORDS = 5


def is_cjk(char: str) -> bool:
    """The Han ranges ``opsdesk_search_fold`` doubles (unified ideographs, extension A, compatibility)."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def folded_length(word: str) -> int:
    """Length of the word once folded: Chinese characters count twice."""
    return sum(2 if is_cjk(char) else 1 for char in word)


def words_of(q: str) -> list[str]:
    return q.split()[:MAX_WORDS]


class SearchKey(Expression):
    """The incident table's ``search_key`` column (PostgreSQL only; not a model field: the database computes it)."""

    output_field = TextField()

    def as_sql(self, compiler, connection):  # type: ignore[override]
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.search_key", []


def _plain(word: str) -> Q:
    return Q(title__icontains=word) | Q(description__icontains=word)


def keyword_search(queryset: QuerySet[Incident], words: list[str]) -> QuerySet[Incident]:
    """Records whose title or description contains every word."""
    if connections[queryset.db].vendor != "postgresql":
        for word in words:
            queryset = queryset.filter(_plain(word))
        return queryset
    for word in words:
        if folded_length(word) < 3:
            queryset = queryset.filter(_plain(word))
            continue
        # search_key LIKE '%' || opsdesk_search_fold('word') || '%'  (the pattern folds to a constant when planned)
        pattern = Func(Value(word), function="opsdesk_search_fold", output_field=TextField())
        queryset = queryset.alias(search_key=SearchKey()).filter(search_key__contains=pattern)
    return queryset
