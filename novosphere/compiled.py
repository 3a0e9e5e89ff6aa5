"""Querysets compiled once per shape, then run again with new values.

A few reads run on every request with the same query and new values: the activities of
a page, the reader's follows and blocks, and on every write the audience of what it is
about (`novosphere.kinds.audience_of`). Building and compiling their queryset cost more
than the database took to answer it. `compiled_rows` builds the queryset once per shape
(its name and the length of each list of values), with markers in place of the values,
keeps its SQL, where each value goes and how each column is read back, and from then on
only fills in the values. The rule stays written once, as the ORM filter it always was.
A list of ids a builder filters on is best written `field__any_of=ids` (`AnyOf`): on
PostgreSQL it is one array parameter, so every length shares one statement.

What may vary between two runs of one shape: the values passed to `compiled_rows`, and
nothing else. A builder must not read the database (a query while it builds raises
`BuilderReadTheDatabase`) or anything else that changes (a setting, the time): what it
read would be kept in the SQL.
"""

import threading
from collections.abc import Callable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Field, Lookup, QuerySet
from django.db.models.query import get_related_populators

# Markers stand where the values go: a string no real value holds, an integer no id takes.
_STRING_MARKER = "\x00novosphere-value-{}\x00"
_INTEGER_MARKER = -(10**15)

# One cache per database alias, shared by every thread: under ASGI each request runs in
# a thread of its own, with a connection object of its own. The compiler kept with the
# SQL reads columns back with the converters of the connection it was made for; they
# depend on the alias's settings (its backend, its time zone), not on that connection.
_cache: dict[str, dict] = {}
_cache_lock = threading.Lock()
_MAX_SHAPES = 512


class _Compiled:
    """One shape's SQL, where each value goes in its parameters, and its column converters."""

    __slots__ = ("sql", "plan", "compiler", "converters", "empty")

    def __init__(self, build: Callable[..., QuerySet], alias: str, values: dict):
        markers, where = {}, {}
        for name, value in values.items():
            if isinstance(value, (list, tuple)):
                markers[name] = [self._marker(len(where), item, where, (name, index)) for index, item in enumerate(value)]
            else:
                markers[name] = self._marker(len(where), value, where, (name, None))
        # What a builder read would be kept in the SQL for every later run: refused.
        with connections[alias].execute_wrapper(_no_reads_while_building):
            queryset = build(**markers)
            self.compiler = queryset.query.get_compiler(using=alias)
            self.empty = False
            try:
                self.sql, params = self.compiler.as_sql()
            except EmptyResultSet:  # an empty IN list: no row, whatever the values
                self.empty, self.sql, self.plan, self.converters = True, "", [], {}
                return
        self.plan = [self._place(param, where) for param in params]
        placed = set(self._slots(self.plan))
        missing = [where[marker] for marker in where if where[marker] not in placed]
        if missing:
            raise ValueError(f"values the compiled query does not use: {missing}")
        fields = [column[0] for column in self.compiler.select[: self.compiler.col_count]]
        self.converters = self.compiler.get_converters(fields)

    @staticmethod
    def _marker(slot: int, value, where: dict, place):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"compiled_rows takes ids and texts, not {type(value).__name__}")
        marker = _INTEGER_MARKER - slot if isinstance(value, int) else _STRING_MARKER.format(slot)
        where[marker] = place
        return marker

    @staticmethod
    def _slots(plan):
        for kind, what in plan:
            if kind == "value":
                yield what
            elif kind == "array":
                yield from _Compiled._slots(what)

    @staticmethod
    def _place(param, where: dict):
        if isinstance(param, (list, tuple)):  # an array parameter (`= ANY(%s)`)
            return ("array", [_Compiled._place(item, where) for item in param])
        if isinstance(param, (int, str)) and not isinstance(param, bool) and param in where:
            return ("value", where[param])
        return ("constant", param)

    def params(self, values: dict) -> list:
        return [self._fill(step, values) for step in self.plan]

    @staticmethod
    def _fill(step, values: dict):
        kind, what = step
        if kind == "constant":
            return what
        if kind == "array":
            return [_Compiled._fill(item, values) for item in what]
        name, index = what
        return values[name] if index is None else values[name][index]


class BuilderReadTheDatabase(RuntimeError):
    """A compiled query's builder ran a query: its result would be baked into the SQL."""


def _no_reads_while_building(execute, sql, params, many, context):
    raise BuilderReadTheDatabase(f"a compiled query's builder must not read the database: {sql[:120]}")


def _compiled(name: str, build: Callable[..., QuerySet], using: str, values: dict) -> tuple[_Compiled, object]:
    shape = (name, *((key, len(value)) if isinstance(value, (list, tuple)) else key for key, value in sorted(values.items())))
    shapes = _cache.get(using)
    if shapes is None:
        with _cache_lock:
            shapes = _cache.setdefault(using, {})
    compiled = shapes.get(shape)
    if compiled is None:
        compiled = _Compiled(build, using, values)
        with _cache_lock:
            if len(shapes) >= _MAX_SHAPES:
                shapes.clear()
            shapes[shape] = compiled
    return compiled, connections[using]


def _fetch(compiled: _Compiled, connection, values: dict) -> list:
    if compiled.empty:
        return []
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params(values))
        return cursor.fetchall()


def compiled_rows(name: str, build: Callable[..., QuerySet], *, using: str = "default", **values) -> list[tuple]:
    """The rows of `build(**values)` (a `values_list` queryset), as its `values_list` would
    give them, the queryset built and compiled only once per shape.

    Each keyword is a value (an id or a text) or a list of them; two runs share a shape
    when `name` and the length of each list are the same. Lists must not repeat a value
    (an IN list drops repeats, and the shape would change).
    """
    compiled, connection = _compiled(name, build, using, values)
    rows = _fetch(compiled, connection, values)
    if compiled.converters:
        return [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
    return rows


def compiled_objects(name: str, build: Callable[..., QuerySet], *, using: str = "default", **values) -> list:
    """The model instances of `build(**values)`, with what it `select_related`s, as
    iterating it would give them, the queryset built and compiled only once per shape
    (see `compiled_rows`), with their relations and annotations (`is_following`)."""
    compiled, connection = _compiled(name, build, using, values)
    rows = _fetch(compiled, connection, values)
    compiler = compiled.compiler
    klass_info, select = compiler.klass_info, compiler.select
    first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    attnames = [column[0].target.attname for column in select[first:last]]
    # Django's own way of filling in the related objects of a row (what ModelIterable does).
    populators = get_related_populators(klass_info, select, using)
    annotations = compiler.annotation_col_map.items()
    objects = []
    if compiled.converters:  # read back as iterating the queryset would, converters found once
        rows = compiler.apply_converters(rows, compiled.converters)
    for row in rows:
        obj = klass_info["model"].from_db(using, attnames, row[first:last])
        for populator in populators:
            populator.populate(row, obj)
        for attribute, column in annotations:
            setattr(obj, attribute, row[column])
        objects.append(obj)
    return objects


@Field.register_lookup
class AnyOf(Lookup):
    """`field__any_of=values`: what `__in` does with a list, as one array parameter on
    PostgreSQL (`= ANY(%s)`), an IN list elsewhere.

    A page's 51 ids as an IN list made 51 parameters and a statement per length: past 50
    parameters psycopg parses the query again on every run, and each length was planned
    and prepared on its own on each connection."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet  # as `__in` does: no row, without asking the database
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def distinct(values: Sequence) -> list:
    """`values` without repeats, in their first order: what an IN list of them holds."""
    return list(dict.fromkeys(values))
