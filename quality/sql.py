"""SQL expressions the ORM lacks, for PostgreSQL and SQLite: the earlier of two times
that may be null, seconds between two times, and ``percentile_cont`` (PostgreSQL only:
``selectors`` computes it from the sorted values on SQLite, ``stats.percentile_cont``)."""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import Aggregate, FloatField, Func


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


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated value at ``fraction``."""

    function = "PERCENTILE_CONT"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        # A float of our own, never input: written into the SQL as a literal.
        super().__init__(expression, fraction=f"{float(fraction):.6f}", **extra)

    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("PERCENTILE_CONT is PostgreSQL's; compute it from the sorted values elsewhere.")
        return super().as_sql(compiler, connection, **extra_context)
