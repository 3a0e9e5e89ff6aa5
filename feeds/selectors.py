"""Reads of the follow graph, the timelines, the streams and notifications."""

from dataclasses import dataclass

from django.db import connections
from django.db.models import F, Q, QuerySet

from feeds.models import Activity, Follow, MergedStream, Notification
from novosphere import kinds
from profiles.models import Actor
from profiles.selectors import viewer_actor, visible_actors


def followers_of(target) -> QuerySet[Actor]:
    """Visible actors following `target` (an actor or a project), newest follow first."""
    field = f"follows__{follow_field(target)}"
    return visible_actors().filter(**{field: target}).order_by("-follows__id")


def following_of(actor: Actor) -> QuerySet[Actor]:
    """Visible actors that `actor` follows, newest follow first."""
    return visible_actors().filter(follower_links__follower=actor).order_by("-follower_links__id")


def follows_of(*, viewer, actor: Actor) -> QuerySet[Follow]:
    """What `actor` follows that `viewer` may see, actors and projects, newest follow first."""
    from projects.selectors import visible_projects

    return (
        Follow.objects.filter(follower=actor)
        .filter(Q(target_actor__in=visible_actors(viewer)) | Q(target_project__in=visible_projects(viewer)))
        .select_related("target_actor", "target_project")
        .order_by("-id")
    )


def follow_field(target) -> str:
    """The Follow field that names `target`: `target_actor` or `target_project`, after its kind."""
    return f"target_{kinds.kind_of(target).name}"


def is_following(*, follower: Actor | None, target) -> bool:
    if follower is None:
        return False
    return Follow.objects.filter(follower=follower, **{follow_field(target): target}).exists()


# --- Activities: visibility, timelines, streams, notifications ----------------


@dataclass
class Page:
    """One page of a newest-first list: `next` is the cursor of the next older page, or None."""

    items: list
    next: str | None
    newer: str | None = None


def activity_shown(prefix: str = "") -> Q:
    """What no reader sees: activity by a withdrawn author (a suspended actor), or naming one
    as its object or target ("Eve follows Ghost" names Ghost). The same for everyone, so the
    live push decides it once per activity."""
    actors = kinds.kind_named("actor")
    rule = actors.shown(f"{prefix}actor")
    # Few actors are ever withdrawn: a small hashed list, not a join.
    withdrawn = actors.withdrawn_idents()
    for role in ("object", "target"):
        rule &= ~Q(**{f"{prefix}{role}_type__in": actors.types(), f"{prefix}{role}_id__in": withdrawn})
    return rule


def activity_visibility(viewer, prefix: str = "") -> Q:
    """Who may see an activity, as a filter: decided at read time, on every path.

    An activity takes the visibility of its subject (`subject_kind`, `subject_id`):
    its stored `audience` decides for everyone and every signed-in reader, and a
    `private` one asks the subject's kind (`novosphere.kinds`) about this reader,
    so an activity recorded while its subject was public is hidden once the
    subject turns private or is hidden. `activity_shown` leaves out withdrawn
    authors and the activity naming them; a block leaves out, for the blocker,
    the blocked actor's activity and what is about them or theirs.
    """
    from moderation.selectors import blocked_by

    me = viewer_actor(viewer)
    audience = f"{prefix}audience"
    if me is None:
        rule = Q(**{audience: kinds.Audience.EVERYONE})
    else:
        rule = Q(**{f"{audience}__in": [kinds.Audience.EVERYONE, kinds.Audience.SIGNED_IN]}) | (
            Q(**{audience: kinds.Audience.SOME}) & kinds.visible_subjects(viewer, prefix=prefix)
        )
    rule &= activity_shown(prefix)
    if me is not None:
        blocked = blocked_by(me)
        rule &= ~Q(**{f"{prefix}actor__in": blocked})
        about_blocked = kinds.blocked_subjects(blocked, prefix=prefix)
        if about_blocked is not None:
            rule &= ~about_blocked
    return rule


def stale_audiences() -> list[str]:
    """Ids of the activities whose stored audience is not what their subject's rule gives
    now: none, as long as every change of a subject goes through its model's `save()`."""
    stale: list[str] = []
    for kind in kinds.all_kinds():
        about = Activity.objects.filter(subject_kind=kind.name).exclude(subject_id="")
        pks = [kind.model._meta.pk.to_python(pk) for pk in about.values_list("subject_id", flat=True).distinct()]
        if pks:
            now = about.annotate(now=kinds.audience_expression(kind, pks))
            stale += now.exclude(audience=F("now")).values_list("id", flat=True)
    return stale


def visible_activities(viewer) -> QuerySet[Activity]:
    """Activities `viewer` (a user, possibly anonymous) may see, ready to serialize."""
    return Activity.objects.filter(activity_visibility(viewer)).select_related("actor")


def home_stream_keys(actor: Actor) -> list[str]:
    """The streams whose activity lands in `actor`'s home timeline: its own and those it follows."""
    follows = Follow.objects.filter(follower=actor).select_related("target_actor", "target_project").only(
        "target_actor__kind", "target_actor__handle", "target_project__slug"
    )
    return [kinds.stream_key(actor)] + [
        kinds.stream_key(follow.target_actor or follow.target_project) for follow in follows
    ]


def home_timeline(*, viewer, before: str | None = None, after: str | None = None, limit: int = 20) -> Page:
    """The viewer's home timeline, newest first: its fanned-out entries (followed
    ordinary streams and its own activity) merged with the activity of the
    followed streams too big to fan out, read from those streams at read time."""
    me = viewer_actor(viewer)
    if me is None:
        return Page([], None)
    visible = visible_activities(viewer)
    sources = [visible.filter(timeline_entries__owner=me)]
    # A reader follows few big streams: one small lookup says which. Each is then
    # read newest first along its (stream, activity) index and cut at the page
    # size; a single query over all of them would read every entry they hold.
    merged = MergedStream.objects.filter(stream__in=home_stream_keys(me)).values_list("stream", flat=True)
    for key in merged:
        sources.append(visible.filter(stream_entries__stream=key, stream_entries__merged_at_read=True))
    return _page(sources, before=before, after=after, limit=limit)


def stream_activities(
    *, viewer, stream: str, before: str | None = None, after: str | None = None, limit: int = 20
) -> Page:
    """What was published on one stream (`actor:<handle>`, `city:<handle>`,
    `project:<slug>`) that the viewer may see, newest first."""
    return _page(
        [visible_activities(viewer).filter(stream_entries__stream=stream)],
        before=before, after=after, limit=limit,
    )


# What a page shows of an activity and its author.
ACTIVITY_FIELDS = [
    "id", "type", "object_type", "object_id", "object_name", "target_type", "target_id", "target_name",
    "object_url", "target_url", "texts", "published", "actor", "actor__handle", "actor__name", "actor__kind",
]


def _page(sources: list[QuerySet[Activity]], *, before, after, limit: int) -> Page:
    """Merge newest-first sources into one page of distinct activities.

    Each source is cut at limit + 1 rows in the database: the top of a union is
    within the union of the tops. With only `after`, the page is the oldest
    activities newer than it (so a client catching up skips nothing), still
    listed newest first.
    """
    bounded = []
    for source in sources:
        if before:
            source = source.filter(id__lt=before)
        if after:
            source = source.filter(id__gt=after)
        bounded.append(source)
    catching_up = bool(after) and not before
    order = "id" if catching_up else "-id"
    # Ids first, from each source's index, cut at limit + 1; then one query loads
    # the page's rows. Loading whole rows from every source would build several
    # times the models the page shows, and putting the union inside the rows
    # query (pk__in) costs more to compile than the round trip it saves.
    tops = [source.order_by(order).values_list("id", flat=True)[: limit + 1] for source in bounded]
    if len(tops) == 1:
        chosen = list(dict.fromkeys(tops[0]))  # distinct, in order, as the merges below
    elif connections[tops[0].db].features.supports_slicing_ordering_in_compound:
        # PostgreSQL takes sliced parts in a UNION: the sources' tops merged in one query.
        chosen = list(tops[0].union(*tops[1:]).order_by(order)[: limit + 1])
    else:
        # SQLite refuses LIMIT inside a UNION: one query per source, merged here.
        candidates: set[str] = set()
        for top in tops:
            candidates.update(top)
        chosen = sorted(candidates, reverse=not catching_up)[: limit + 1]
    more = len(chosen) > limit
    rows = Activity.objects.filter(pk__in=chosen[:limit]).select_related("actor").only(*ACTIVITY_FIELDS)
    items = sorted(rows, key=lambda a: a.id, reverse=not catching_up)
    if catching_up:
        items.reverse()
        older = bool(items) and any(s.filter(id__lt=items[-1].id).exists() for s in sources)
        next_cursor = items[-1].id if older else None
    else:
        next_cursor = items[-1].id if more else None
    newer = items[0].id if items else after
    return Page(items, next_cursor, newer)


def notifications_for(
    *, viewer, unread: bool = False, before: int | None = None, limit: int = 20
) -> Page:
    """The viewer's notifications it may still see, newest first (`next`: an id cursor)."""
    notifications = unread_or_all(viewer, unread=unread)
    if before:
        notifications = notifications.filter(id__lt=before)
    rows = list(notifications.select_related("activity__actor").order_by("-id")[: limit + 1])
    items = rows[:limit]
    return Page(items, str(items[-1].id) if len(rows) > limit else None)


def unread_or_all(viewer, *, unread: bool) -> QuerySet[Notification]:
    me = viewer_actor(viewer)
    if me is None:
        return Notification.objects.none()
    notifications = Notification.objects.filter(recipient=me).filter(activity_visibility(viewer, "activity__"))
    return notifications.filter(read=False) if unread else notifications


def unread_count(viewer) -> int:
    return unread_or_all(viewer, unread=True).count()
