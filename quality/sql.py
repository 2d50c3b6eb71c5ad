"""SQL expressions the ORM lacks, for PostgreSQL and SQLite: the earlier of two times
that may be null, and seconds between two times. (``percentile_cont`` is PostgreSQL's,
in ``selectors``' summary queries; on SQLite ``stats.percentile_cont`` computes it from
the sorted values.)"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import FloatField, Func


class EarliestOf(Func):
    """The earlier of two times; the one that is there when the other is null (null
    when both are). PostgreSQL's LEAST ignores nulls, so each side is computed once;
    SQLite's MIN(a, b) is null when either is."""

    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="LEAST", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        first, second = self.source_expressions
        fallback = Func(
            Func(first, second, function="COALESCE"), Func(second, first, function="COALESCE"), function="MIN"
        )
        return compiler.compile(fallback)


class SecondsBetween(Func):
    """``SecondsBetween(start, end)``: end - start in seconds (null when either is)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("SecondsBetween is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._between(compiler, connection, "CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS double precision)")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._between(compiler, connection, "((julianday({end}) - julianday({start})) * 86400.0)")

    def _between(self, compiler, connection, template: str):
        start, end = self.source_expressions
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return template.format(start=start_sql, end=end_sql), (*end_params, *start_params)
