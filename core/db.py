"""Small database helpers the ORM does not offer."""

from django.db import connection
from django.db.models import Value
from django.db.models.functions import Lower


def insert_unless_conflict(obj, *, conflict_fields: tuple[str, ...], conflict_where: str = "") -> bool:
    """INSERT `obj`, or nothing if it would violate the unique index on `conflict_fields`
    (`conflict_where` is that index's predicate, for partial indexes). Sets `obj.pk` and returns
    True when the row was inserted.

    One statement instead of check-then-insert, and no savepoint needed to survive the conflict.
    PostgreSQL and SQLite (3.35+) both speak `ON CONFLICT ... DO NOTHING RETURNING`.
    """
    meta = type(obj)._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    target = ", ".join(quote(meta.get_field(name).column) for name in conflict_fields)
    where = f" WHERE {conflict_where}" if conflict_where else ""
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        f" ON CONFLICT ({target}){where} DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


def insert_many_unless_conflict(objs: list, *, conflict_fields: tuple[str, ...], conflict_where: str = "") -> list:
    """`insert_unless_conflict` for many rows in one statement. Returns the objects that were
    inserted (with their pk set); the others conflicted with existing rows (or with an earlier
    row of the same call) and were skipped."""
    if not objs:
        return []
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    key_columns = [meta.get_field(name).column for name in conflict_fields]
    rows, params = [], []
    for obj in objs:
        rows.append("(" + ", ".join(["%s"] * len(fields)) + ")")
        params += [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    where = f" WHERE {conflict_where}" if conflict_where else ""
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608
        f" VALUES {', '.join(rows)} ON CONFLICT ({', '.join(quote(c) for c in key_columns)}){where} DO NOTHING"
        f" RETURNING {quote(meta.pk.column)}, {', '.join(quote(c) for c in key_columns)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = {tuple(str(v) for v in row[1:]): row[0] for row in cursor.fetchall()}
    attnames = [meta.get_field(name).attname for name in conflict_fields]
    inserted = []
    for obj in objs:
        pk = returned.pop(tuple(str(getattr(obj, a)) for a in attnames), None)
        if pk is not None:
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
            inserted.append(obj)
    return inserted


def taken_ignoring_case(obj, field: str) -> bool:
    """Whether another row of `obj`'s model has `obj.<field>` in any case: what a
    UniqueConstraint(Lower(field)) refuses, asked first so a form can say it beside the field
    (a constraint on an expression can only report a form-wide error). Same lowering as the
    constraint's."""
    value = getattr(obj, field)
    if not value:
        return False
    same = type(obj).objects.alias(_lowered=Lower(field)).filter(_lowered=Lower(Value(value)))
    return same.exclude(pk=obj.pk).exists()
