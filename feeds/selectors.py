"""Reads of the follow graph, the timelines, the streams and notifications."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from types import SimpleNamespace

from django.db import connections, router
from django.db.models import Count, F, Q, QuerySet

from feeds.models import Activity, Follow, MergedStream, Notification, StreamEntry, TimelineEntry
from novosphere import kinds
from novosphere.compiled import compiled_objects, compiled_rows, distinct
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


MANY_BLOCKS = 500


def activity_visibility(viewer, prefix: str = "", *, ask_subjects: bool = True) -> Q:
    """Who may see an activity, as a filter: decided at read time, on every path.

    An activity takes the visibility of its subject (`subject_kind`, `subject_id`):
    its stored `audience` decides for everyone and every signed-in reader, and a
    `private` one asks the subject's kind (`novosphere.kinds`) about this reader,
    so an activity recorded while its subject was public is hidden once the
    subject turns private or is hidden. `activity_shown` leaves out withdrawn
    authors and the activity naming them; a block leaves out, for the blocker,
    the blocked actor's activity and what is about them or theirs.

    With `ask_subjects=False`, every `private` activity passes the subject part
    undecided: the caller asks the full rule about those (see `visible_among`).
    """
    from moderation.selectors import blocked_by, blocked_ids

    me = viewer_actor(viewer)
    # The blocked actors as a list, read now: most readers block nobody, and then the
    # rule has no block part at all to build, plan and run (one subquery per kind).
    # Past a few hundred, a subquery again (SQLite takes at most 32,766 parameters).
    blocked = sorted(blocked_ids(me)) if me is not None else []
    if len(blocked) > MANY_BLOCKS:
        blocked = blocked_by(me)
    return _visibility(viewer, signed_in=me is not None, blocked=blocked, prefix=prefix, ask_subjects=ask_subjects)


def _visibility(viewer, *, signed_in: bool, blocked, prefix: str, ask_subjects: bool) -> Q:
    """`activity_visibility` for a reader signed in or not, who blocks `blocked` (a list of
    actor ids or a subquery); `viewer` is only asked with `ask_subjects`."""
    audience = f"{prefix}audience"
    if not signed_in:
        rule = Q(**{audience: kinds.Audience.EVERYONE})
    else:
        some = Q(**{audience: kinds.Audience.SOME})
        if ask_subjects:
            some &= kinds.visible_subjects(viewer, prefix=prefix)
        rule = Q(**{f"{audience}__in": [kinds.Audience.EVERYONE, kinds.Audience.SIGNED_IN]}) | some
    rule &= activity_shown(prefix)
    if isinstance(blocked, QuerySet) or blocked:
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
    # Read as values, compiled once: a person follows dozens of streams, and this runs on
    # every home read; each kind spells its key from the fields it names (`kind`, `handle`, `slug`).
    follows = compiled_rows("feeds.home_stream_keys", _follow_keys, using=router.db_for_read(Follow), follower=actor.pk)
    actors, projects = kinds.kind_named("actor"), kinds.kind_named("project")
    return [kinds.stream_key(actor)] + [
        actors.stream_key(SimpleNamespace(kind=kind, handle=handle)) if handle is not None
        else projects.stream_key(SimpleNamespace(slug=slug))
        for kind, handle, slug in follows
    ]


def _follow_keys(follower):
    return Follow.objects.filter(follower=follower).values_list(
        "target_actor__kind", "target_actor__handle", "target_project__slug"
    )


def merged_streams() -> set[str]:
    """The streams too big to fan out, merged into their followers' timelines at read time."""
    return {stream for (stream,) in compiled_rows(
        "feeds.merged_streams", partial(MergedStream.objects.values_list, "stream"), using=router.db_for_read(MergedStream))}


def home_timeline(*, viewer, before: str | None = None, after: str | None = None, limit: int = 20) -> Page:
    """The viewer's home timeline, newest first: its fanned-out entries (followed
    ordinary streams and its own activity) merged with the activity of the
    followed streams too big to fan out, read from those streams at read time."""
    me = viewer_actor(viewer)
    if me is None:
        return Page([], None)
    sources = [Source(TimelineEntry, owner_id=me.pk)]
    # Few streams are too big to fan out, and a reader follows few of them: the small
    # table of them, read whole, says which. Each is then read newest first along its
    # (stream, activity) index and cut at the window; a single query over all of them
    # would read every entry they hold.
    merged = merged_streams()
    for key in home_stream_keys(me):
        if key in merged:
            sources.append(Source(StreamEntry, stream=key, merged_at_read=True))
    return _page(sources, viewer, before=before, after=after, limit=limit)


def stream_activities(
    *, viewer, stream: str, before: str | None = None, after: str | None = None, limit: int = 20
) -> Page:
    """What was published on one stream (`actor:<handle>`, `city:<handle>`,
    `project:<slug>`) that the viewer may see, newest first."""
    return _page([Source(StreamEntry, stream=stream)], viewer, before=before, after=after, limit=limit)


class Source:
    """Entries of one table listing activities (`activity_id`), those whose columns have
    the given values (a list: any of them): a home timeline, a stream, the merged part
    of a big stream, the streams a live socket follows.
    Each is read newest (or oldest) first along an index on (those columns, activity)."""

    def __init__(self, model, **equal):
        self.alias = router.db_for_read(model)
        self.table = model._meta.db_table
        self.activity = model._meta.get_field("activity").column
        self.equal = [(model._meta.get_field(name).column, value) for name, value in equal.items()]

    def window_sql(self, index: int, *, before, after, oldest_first: bool, window: int) -> tuple[str, list]:
        """Its first `window` activity ids past the bounds, tagged with `index`. Written by
        hand: this runs on every page read, and building it through the ORM cost more
        than the database took to answer it."""
        quote = connections[self.alias].ops.quote_name
        activity = quote(self.activity)
        where, params = [], [index]
        for column, value in self.equal:
            if isinstance(value, (list, tuple)):  # one of several: a live socket's streams
                where.append(f"{quote(column)} IN ({', '.join(['%s'] * len(value))})")
                params += value
            else:
                where.append(f"{quote(column)} = %s")
                params.append(value)
        if before:
            where.append(f"{activity} < %s")
            params.append(before)
        if after:
            where.append(f"{activity} > %s")
            params.append(after)
        order = "ASC" if oldest_first else "DESC"
        sql = (f"SELECT %s AS source, {activity} FROM {quote(self.table)} WHERE {' AND '.join(where)} "
               f"ORDER BY {activity} {order} LIMIT %s")
        return sql, [*params, window]


@dataclass(slots=True)
class ActorRef:
    handle: str
    name: str
    kind: str


@dataclass(slots=True)
class ActivityRow:
    """What a page shows of an activity and its author, read as values: a page holds up
    to 100 of them, and model instances cost more to build than the query takes."""

    id: str
    type: str
    object_type: str
    object_id: str
    object_name: str
    target_type: str
    target_id: str
    target_name: str
    object_url: str
    target_url: str
    texts: dict | None
    published: datetime
    audience: str
    actor: ActorRef


# The fields of an `ActivityRow`, in its order, the author's last.
ROW_FIELDS = [*(name for name in ActivityRow.__dataclass_fields__ if name != "actor"),
              "actor__handle", "actor__name", "actor__kind"]
# The most entries one round of `_visible_newest` reads from each source.
LARGEST_WINDOW = 2_000


def _windows(sources: list[Source], *, before, after, oldest_first: bool, window: int) -> list[list[str]]:
    """The first `window` activity ids of each source past the bounds, in order, in one
    query (each source's part is cut by its own LIMIT, inside a subquery)."""
    parts, params = [], []
    for index, source in enumerate(sources):
        sql, part_params = source.window_sql(index, before=before, after=after, oldest_first=oldest_first, window=window)
        parts.append(f"SELECT * FROM ({sql}) AS window{index}")
        params += part_params
    windows: list[list[str]] = [[] for _ in sources]
    with connections[sources[0].alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, activity_id in cursor.fetchall():
            windows[index].append(activity_id)
    for ids in windows:  # a UNION keeps no order
        ids.sort(reverse=not oldest_first)
    return windows


def visible_among(viewer, ids) -> list[ActivityRow]:
    """The activities `ids` that `viewer` may see, loaded for a page.

    Most activities are for everyone or every signed-in reader, and their stored
    audience decides: that query runs on every page, so it is compiled once per
    shape (`novosphere.compiled`). Only `private` ones ask their subjects' kinds, in
    a second query over those alone: that rule costs more to build and plan than the
    rest of a page, and most pages hold no private activity.
    """
    from moderation.selectors import blocked_ids

    me = viewer_actor(viewer)
    blocked = sorted(blocked_ids(me)) if me is not None else []
    if len(blocked) <= MANY_BLOCKS:
        signed_in = me is not None
        found = compiled_rows(
            f"feeds.visible_among.{'signed-in' if signed_in else 'anonymous'}", partial(_rows_among, signed_in=signed_in),
            using=router.db_for_read(Activity), ids=distinct(ids), blocked=blocked,
        )
    else:
        found = Activity.objects.filter(pk__in=ids).filter(activity_visibility(viewer, ask_subjects=False)).values_list(*ROW_FIELDS)
    rows = [ActivityRow(*values[:-3], ActorRef(*values[-3:])) for values in found]
    undecided = [activity.id for activity in rows if activity.audience == kinds.Audience.SOME]
    if undecided:
        # The rest of the rule already held for them: only their subjects are left to ask.
        asked = Activity.objects.filter(pk__in=undecided).filter(kinds.visible_subjects(viewer, prefix=""))
        seen = set(asked.values_list("id", flat=True))
        rows = [activity for activity in rows if activity.audience != kinds.Audience.SOME or activity.id in seen]
    return rows


def _rows_among(ids, blocked, *, signed_in: bool):
    rule = _visibility(None, signed_in=signed_in, blocked=blocked, prefix="", ask_subjects=False)
    return Activity.objects.filter(pk__any_of=ids).filter(rule).values_list(*ROW_FIELDS)


def _page(sources: list[Source], viewer, *, before, after, limit: int) -> Page:
    """One page of the distinct activities listed by `sources`, newest first, that
    `viewer` may see.

    With only `after`, the page is the oldest activities newer than it (so a client
    catching up skips nothing), still listed newest first.
    """
    catching_up = bool(after) and not before
    found = _visible_newest(sources, viewer, before=before, after=after, want=limit + 1, oldest_first=catching_up)
    items = found[:limit]
    if catching_up:
        items.reverse()
        older = bool(items) and bool(
            _visible_newest(sources, viewer, before=items[-1].id, after=None, want=1, oldest_first=False)
        )
        next_cursor = items[-1].id if older else None
    else:
        next_cursor = items[-1].id if len(found) > limit else None
    newer = items[0].id if items else after
    return Page(items, next_cursor, newer)


def visible_after(*, viewer, streams: list[str], after: str, limit: int) -> list[ActivityRow]:
    """The first `limit` activities published on `streams` after the cursor `after` that
    `viewer` may see, oldest first: a live socket catching up (`feeds.live`), read as a
    page is, entries first and visibility on those alone."""
    if not streams:
        return []
    source = Source(StreamEntry, stream=sorted(set(streams)))
    return _visible_newest([source], viewer, before=None, after=after, want=limit, oldest_first=True)


def _visible_newest(sources, viewer, *, before, after, want: int, oldest_first: bool) -> list[ActivityRow]:
    """The first `want` activities of the sources that `viewer` may see, in order.

    Entries first, then visibility: each round reads a window of activity ids from
    each source's index (a few rows, whatever the size of the tables), then loads
    those of them the reader may see (`visible_among`). Putting
    visibility in the same query as the entries makes the database work out the
    rule for every activity a source holds before it can stop at the page size.
    Hidden activities are few, so one round is the rule; when some are hidden the
    next round starts where this one stopped, with a window twice as wide.
    """
    window, found = want, []
    while True:
        fetched, edges = set(), []
        for ids in _windows(sources, before=before, after=after, oldest_first=oldest_first, window=window):
            fetched.update(ids)
            if len(ids) == window:  # this source may hold more past its last id
                edges.append(ids[-1])
        # Only the ids every full source has read up to are known to be complete.
        edge = (min(edges) if oldest_first else max(edges)) if edges else None
        known = sorted(
            (i for i in fetched if edge is None or (i <= edge if oldest_first else i >= edge)),
            reverse=not oldest_first,
        )
        # Load no more rows than the page still needs: when none is hidden, these are it.
        candidates = known[: want - len(found)]
        found += sorted(visible_among(viewer, candidates), key=lambda activity: activity.id, reverse=not oldest_first)
        if len(found) >= want or (edge is None and len(known) == len(candidates)):
            return found[:want]
        cursor = candidates[-1] if len(known) > len(candidates) else edge
        if oldest_first:
            after = cursor
        else:
            before = cursor
        window = min(window * 2, LARGEST_WINDOW)


def notifications_for(
    *, viewer, unread: bool = False, before: int | None = None, limit: int = 20
) -> tuple[Page, int]:
    """The viewer's notifications it may still see, newest first (`next`: an id cursor),
    and how many of those are unread. The list and the count share one visibility rule."""
    me = viewer_actor(viewer)
    if me is None:
        return Page([], None), 0
    blocked, rule = _notification_filter(viewer, me)
    if rule is None:
        older = {"before": before} if before else {}
        rows = compiled_objects(
            f"feeds.notifications.{'unread' if unread else 'all'}.{'older' if before else 'newest'}.{limit}",
            partial(_notifications_page, unread=unread, limit=limit),
            using=router.db_for_read(Notification), recipient=me.pk, blocked=blocked, **older,
        )
    else:
        listed = Notification.objects.filter(recipient=me).filter(rule)
        listed = listed.filter(**({"read": False} if unread else {}), **({"id__lt": before} if before else {}))
        rows = list(listed.select_related("activity__actor").order_by("-id")[: limit + 1])
    items = rows[:limit]
    return Page(items, str(items[-1].id) if len(rows) > limit else None), _unread_of(me, blocked, rule)


def unread_count(viewer) -> int:
    me = viewer_actor(viewer)
    if me is None:
        return 0
    return _unread_of(me, *_notification_filter(viewer, me))


def _notification_filter(viewer, me) -> tuple[list[int], Q | None]:
    """How `me`'s notifications are read: in the common case (none of them private, few
    blocks) by queries compiled once per shape, where the stored audiences decide and
    only the blocked ids vary (building the queries was most of the request); else by
    the full rule (`notification_visibility`), returned second."""
    from moderation.selectors import blocked_ids

    blocked = sorted(blocked_ids(me))
    if len(blocked) <= MANY_BLOCKS and not compiled_rows(
        "feeds.notifications.private", _private_notification, using=router.db_for_read(Notification), recipient=me.pk
    ):
        return blocked, None
    return blocked, notification_visibility(viewer, Notification.objects.filter(recipient=me))


def _unread_of(me, blocked: list[int], rule: Q | None) -> int:
    if rule is not None:
        return Notification.objects.filter(recipient=me, read=False).filter(rule).count()
    counted = compiled_rows("feeds.notifications.unread_count", _unread_count, using=router.db_for_read(Notification),
                            recipient=me.pk, blocked=blocked)
    return counted[0][0] if counted else 0


def _private_notification(recipient):
    return Notification.objects.filter(recipient=recipient, activity__audience=kinds.Audience.SOME).values_list("pk")[:1]


def _shown_notifications(recipient, blocked):
    """`notification_visibility` when none of the recipient's notifications is private."""
    rule = _visibility(None, signed_in=True, blocked=blocked, prefix="activity__", ask_subjects=False)
    return Notification.objects.filter(recipient=recipient).filter(rule & ~Q(activity__audience=kinds.Audience.SOME))


def _notifications_page(recipient, blocked, before=None, *, unread: bool, limit: int):
    shown = _shown_notifications(recipient, blocked)
    if unread:
        shown = shown.filter(read=False)
    if before is not None:
        shown = shown.filter(id__lt=before)
    return shown.select_related("activity__actor").order_by("-id")[: limit + 1]


def _unread_count(recipient, blocked):
    return _shown_notifications(recipient, blocked).filter(read=False).values("recipient").annotate(
        unread=Count("pk")).values_list("unread")


def visible_notifications(viewer, notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Those of `notifications` whose activity `viewer` may see."""
    return notifications.filter(notification_visibility(viewer, notifications))


def notification_visibility(viewer, notifications: QuerySet[Notification]) -> Q:
    """Which of `notifications` (or of any subset of them) `viewer` may see, as a filter:
    the REST list and count, and the live stream's catch-up, alike.

    As on a page of activities (`visible_among`): the stored audience decides most, and
    the subjects' kinds are asked only when some of these are `private` (building that
    part of the rule cost more than the rest of the request)."""
    some = Q(activity__audience=kinds.Audience.SOME)
    rule = activity_visibility(viewer, "activity__", ask_subjects=False) & ~some
    private = notifications.filter(some)
    if private.exists():
        rule |= Q(pk__in=private.filter(activity_visibility(viewer, "activity__")).values("pk"))
    return rule
