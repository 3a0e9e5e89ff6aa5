"""Querysets compiled once per shape (`novosphere.compiled`) give what the ORM gives, for any values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from feeds import services
from feeds.models import Activity, Follow
from novosphere.compiled import compiled_objects, compiled_rows
from tests.conftest import make_person


def _handles(handles):
    from profiles.models import Actor

    return Actor.objects.filter(handle__in=handles).order_by("handle").values_list("handle", "name")


def _one_actor_by_handle(handle):
    from profiles.models import Actor

    return Actor.objects.filter(handle=handle).values_list("name")


def _activities_of(actor):
    return Activity.objects.filter(actor=actor).order_by("id").values_list("id", "published", "texts", "actor__handle")


@pytest.mark.django_db
def test_the_same_shape_with_other_values_reads_other_rows(rennes):
    for name in ("ana", "bea", "cyril", "dora"):
        make_person(name, rennes)
    assert compiled_rows("test.handles", _handles, handles=["ana", "bea"]) == list(_handles(["ana", "bea"]))
    # Same shape (two handles), other values: the kept SQL reads the new values' rows.
    assert [h for h, _ in compiled_rows("test.handles", _handles, handles=["cyril", "dora"])] == ["cyril", "dora"]
    # A row written after the first run is read: the SQL is kept, not the rows.
    make_person("eli", rennes)
    assert [h for h, _ in compiled_rows("test.handles", _handles, handles=["bea", "eli"])] == ["bea", "eli"]
    # Another length is another shape, compiled on first use.
    assert [h for h, _ in compiled_rows("test.handles", _handles, handles=["ana", "cyril", "eli"])] == ["ana", "cyril", "eli"]
    assert compiled_rows("test.handles", _handles, handles=[]) == []
    assert compiled_rows("test.one", _one_actor_by_handle, handle="nobody") == []


@pytest.mark.django_db
def test_a_value_is_only_ever_a_parameter(rennes):
    make_person("ana", rennes)
    quoted = "ana' OR '1'='1"
    assert compiled_rows("test.one", _one_actor_by_handle, handle=quoted) == []
    assert compiled_rows("test.one", _one_actor_by_handle, handle="ana") == [("Ana",)]


@pytest.mark.django_db
def test_columns_come_back_converted_as_the_orm_gives_them(rennes):
    ana, bea = make_person("ana", rennes), make_person("bea", rennes)
    services.follow(follower=ana, target=bea)
    services.follow(follower=bea, target=ana)
    for actor in (ana, bea):
        rows = compiled_rows("test.activities", _activities_of, actor=actor.pk)
        assert rows == [tuple(row) for row in _activities_of(actor.pk)]
        assert rows and rows[0][1].tzinfo is not None and isinstance(rows[0][2], dict)


@pytest.mark.django_db
def test_objects_come_with_what_they_select_related(rennes):
    ana = make_person("ana", rennes)
    token, _key = AuthToken.objects.create(ana.user)

    def tokens(key):
        return AuthToken.objects.filter(token_key=key).select_related("user", "user__actor")

    compiled_objects("test.tokens", tokens, key="warm")
    with CaptureQueriesContext(connection) as queries:
        found = compiled_objects("test.tokens", tokens, key=token.token_key)
        assert [t.pk for t in found] == [token.pk]
        assert found[0].user.actor.name == "Ana" and found[0].expiry == token.expiry
    assert len(queries) == 1


@pytest.mark.django_db
def test_a_builder_that_drops_a_value_is_refused():
    with pytest.raises(ValueError, match="does not use"):
        compiled_rows("test.drops", lambda follower: Follow.objects.values_list("id"), follower=1)


def _names_of_the_first_actors_city(rennes_pk):
    from profiles.models import Actor

    city = Actor.objects.get(pk=rennes_pk)  # a read while building: its answer would be kept in the SQL
    return Actor.objects.filter(city=city).values_list("name")


@pytest.mark.django_db
def test_a_builder_that_reads_the_database_is_refused_every_time(rennes):
    from novosphere.compiled import BuilderReadTheDatabase

    for _ in range(2):  # nothing half-built is kept for the next run
        with pytest.raises(BuilderReadTheDatabase):
            compiled_rows("test.reads", lambda: _names_of_the_first_actors_city(rennes.pk))
    assert compiled_rows("test.one", _one_actor_by_handle, handle="rennes") == list(_one_actor_by_handle("rennes"))


@pytest.mark.django_db
def test_objects_come_with_their_annotations(rennes):
    from django.db.models import Exists, OuterRef

    from profiles.models import Actor

    ana, bea = make_person("ana", rennes), make_person("bea", rennes)
    services.follow(follower=ana, target=bea)

    def followed_by(follower):
        follows = Follow.objects.filter(follower=follower, target_actor=OuterRef("pk"))
        return Actor.objects.filter(handle__in=["ana", "bea"]).annotate(is_followed=Exists(follows)).order_by("handle")

    for follower, expected in ((ana, [False, True]), (bea, [False, False])):
        found = compiled_objects("test.followed_by", followed_by, follower=follower.pk)
        assert [actor.is_followed for actor in found] == expected
        assert [actor.is_followed for actor in followed_by(follower.pk)] == expected


def _handles_any_of(handles):
    from profiles.models import Actor

    return Actor.objects.filter(handle__any_of=handles).order_by("handle").values_list("handle", flat=True)


@pytest.mark.django_db
def test_any_of_reads_what_in_reads_with_one_statement_for_every_length(rennes):
    from novosphere import compiled

    for name in ("ana", "bea", "cyril"):
        make_person(name, rennes)
    for handles in (["ana"], ["bea", "cyril", "nobody"], ["ana", "bea", "cyril"], []):
        with CaptureQueriesContext(connection) as queries:
            read = [handle for (handle,) in compiled_rows("test.any_of", _handles_any_of, handles=handles)]
        assert read == sorted(set(handles) - {"nobody"})
        assert read == list(_handles_any_of(handles)) == [handle for handle, _name in _handles(handles)]
        assert len(queries) == (1 if handles else 0)  # none: no row, without asking
    kept = {shape[1]: kept.sql for shape, kept in compiled._cache[connection.alias].items() if shape[0] == "test.any_of"}
    assert len(kept) == 3  # lengths 1, 3 (twice) and 0
    if connection.vendor == "postgresql":  # one array parameter: the same SQL whatever the length
        assert len({sql for sql in kept.values() if sql}) == 1 and "= ANY(" in kept[("handles", 1)]
    else:
        assert "IN (%s, %s, %s)" in kept[("handles", 3)]
