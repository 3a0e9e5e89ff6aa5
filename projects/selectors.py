"""Reads about projects and collaboration requests.

Who may see a project is decided by `visible_projects` and nowhere else; who
may see a collaboration request by `visible_requests`, which builds on it.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, router
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.http import Http404

from novosphere.compiled import compiled_rows
from novosphere.keys import handle_key
from profiles.models import Actor, Membership
from profiles.selectors import (
    administered_groups,
    peer_cities,
    seen_by,
    viewer_actor,
    viewer_of_actor,
)
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectInvitation,
    ProjectMember,
    ProjectUpdate,
    Visibility,
)

EDITOR_ROLES = (ProjectMember.Role.OWNER, ProjectMember.Role.MAINTAINER)


def visible_projects(viewer=None) -> QuerySet[Project]:
    """Projects `viewer` (a user, possibly anonymous) may see.

    public: everyone; members: signed-in users; private: the project's members only.
    Projects owned by a suspended actor, and projects a moderator hid, are
    hidden from everyone (moderators included: they review them in the
    moderation API and the admin).
    """
    projects = Project.objects.filter(owner__suspended=False, hidden=False)
    me = viewer_actor(viewer)
    if me is None:
        return projects.filter(visibility=Visibility.PUBLIC)
    return projects.filter(
        Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])
        | Q(pk__in=Project.objects.filter(memberships__actor=me).values("pk"))
    )


def audience(project: Project) -> str:
    """Who may see `project`, as `visible_projects` decides it, without a viewer:
    a Visibility value, or "hidden" when its owner is suspended or a moderator hid it.
    For pushes that decide once for every signed-in reader; `private` still needs
    `visible_projects`."""
    if project.owner.suspended or project.hidden:
        return "hidden"
    return project.visibility


def project_for_viewer(*, viewer, slug: str) -> Project:
    """The project `slug` if `viewer` may see it; 404 otherwise, hidden or unknown alike."""
    try:
        return visible_projects(viewer).get(slug_key=handle_key(slug))
    except Project.DoesNotExist:
        raise Http404 from None


PROJECT_TAG_KINDS = ("sectors", "needed_skills")


@dataclass(frozen=True)
class ProjectPage:
    """What a project's page shows a viewer."""

    project: Project  # with its `owner`, `city` and the viewer's `is_following`
    tags: dict[str, list[str]]  # each of PROJECT_TAG_KINDS: its slugs, sorted


def project_page(*, viewer, slug: str) -> ProjectPage:
    """The project `slug` as its page shows it to `viewer`; 404 as `project_for_viewer`.

    Read on every visit of a project: two queries, each compiled once (`novosphere.compiled`),
    the project with its owner, city and the viewer's follow, then its tags."""
    using = router.db_for_read(Project)
    found = seen_by("projects.project_page", _project_seen_by, viewer=viewer, using=using, key=handle_key(slug))
    if not found:
        raise Http404
    project = found[0]
    tags = {kind: [] for kind in PROJECT_TAG_KINDS}
    for kind, slug_of_tag in compiled_rows("projects.project_page.tags", _project_tags, using=using, project=project.pk):
        tags[kind].append(slug_of_tag)
    return ProjectPage(project, {kind: sorted(slugs) for kind, slugs in tags.items()})


def _project_seen_by(key, viewer=None):
    seer = viewer_of_actor(viewer)
    seen = visible_projects(seer).filter(slug_key=key).select_related("owner", "city").order_by()
    return with_project_viewer_state(seen, seer)


def _project_tags(project):
    """(kind, slug) rows, for each sector and needed skill of `project`."""
    first, *rest = [
        getattr(Project, kind).through.objects.filter(project=project).order_by().values_list(Value(kind), "tag__slug")
        for kind in PROJECT_TAG_KINDS
    ]
    return first.union(*rest, all=True)


def project_for_invitee(*, viewer, slug: str) -> Project:
    """A project the viewer may see, or one they (or an organization they administer) are
    invited to, so that an invitation to a private project can be answered; 404 otherwise."""
    me = viewer_actor(viewer)
    invited = ProjectInvitation.objects.filter(Q(actor=me) | Q(actor__in=administered_groups(person=me))) if me else None
    queryset = visible_projects(viewer)
    if invited is not None:
        queryset = Project.objects.filter(
            Q(pk__in=queryset.values("pk")) | Q(pk__in=invited.values("project"), hidden=False)
        )
    try:
        return queryset.get(slug_key=handle_key(slug))
    except Project.DoesNotExist:
        raise Http404 from None


def with_project_viewer_state(queryset: QuerySet[Project], viewer) -> QuerySet[Project]:
    """Annotate `is_following` for the caller (False for anonymous callers)."""
    from feeds.models import Follow

    me = viewer_actor(viewer)
    if me is None:
        return queryset.annotate(is_following=Value(False, output_field=BooleanField()))
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower=me, target_project=OuterRef("pk")))
    )


def projects_edited_by(person: Actor) -> QuerySet[Project]:
    """Projects a person owns or maintains, directly or as admin of an owning/maintaining organization."""
    return Project.objects.filter(
        Q(memberships__actor=person) | Q(memberships__actor__in=administered_groups(person=person)),
        memberships__role__in=EDITOR_ROLES,
    )


def can_edit_project(*, person: Actor | None, project: Project) -> bool:
    if person is None:
        return False
    return projects_edited_by(person).filter(pk=project.pk).exists()


def is_project_owner(*, person: Actor | None, project: Project) -> bool:
    if person is None:
        return False
    return ProjectMember.objects.filter(
        Q(actor=person) | Q(actor__in=administered_groups(person=person)),
        project=project, role=ProjectMember.Role.OWNER,
    ).exists()


def is_project_member(*, person: Actor | None, project: Project) -> bool:
    return person is not None and ProjectMember.objects.filter(project=project, actor=person).exists()


def project_members(project: Project, viewer=None) -> list:
    """Active members; those who manage the project also see the invitations still open."""
    members = list(project.memberships.filter(actor__suspended=False).select_related("actor"))
    if can_edit_project(person=viewer_actor(viewer), project=project):
        members += list(project.invitations.filter(actor__suspended=False).select_related("actor"))
    return members


def invitations_of(person: Actor) -> list[dict]:
    """What `person`, or an organization they administer, is invited to: groups and projects, oldest first.

    The invitee learns the name of what they are invited to (they cannot consent to
    what they cannot name); nothing else of a private project shows."""
    from profiles.selectors import group_invitations_of

    items = [
        {"kind": invitation.group.kind, "id": invitation.group.handle, "name": invitation.group.name,
         "actor": person, "role": invitation.role, "invited_by": invitation.invited_by,
         "created": invitation.created,
         "accept_url": f"/api/v1/actors/{invitation.group.handle}/members/{person.handle}/accept/"}
        for invitation in group_invitations_of(person)
    ]
    invited = ProjectInvitation.objects.filter(
        Q(actor=person) | Q(actor__in=administered_groups(person=person)), project__hidden=False,
    ).select_related("project", "actor", "invited_by")
    items += [
        {"kind": "project", "id": invitation.project.slug, "name": invitation.project.title,
         "actor": invitation.actor, "role": invitation.role, "invited_by": invitation.invited_by,
         "created": invitation.created,
         "accept_url": f"/api/v1/projects/{invitation.project.slug}/members/{invitation.actor.handle}/accept/"}
        for invitation in invited
    ]
    return sorted(items, key=lambda item: item["created"])


# An update is shown unless a moderator hid it or its author is suspended.
UPDATE_SHOWN = Q(hidden=False, author__suspended=False)


def visible_project_updates(viewer=None) -> QuerySet[ProjectUpdate]:
    """Updates `viewer` may see: shown ones (UPDATE_SHOWN) of projects the viewer may see."""
    return ProjectUpdate.objects.filter(UPDATE_SHOWN, project__in=visible_projects(viewer))


def visible_updates(project: Project) -> QuerySet[ProjectUpdate]:
    """The news posts of a project the reader may already see (UPDATE_SHOWN)."""
    return project.updates.filter(UPDATE_SHOWN).select_related("author")


def update_for_viewer(*, viewer, pk: int) -> ProjectUpdate:
    """The update `pk` if `viewer` may see it (and its project); 404 otherwise, hidden or unknown alike."""
    update = visible_project_updates(viewer).filter(pk=pk).select_related("project", "author").first()
    if update is None:
        raise Http404
    return update


# --- Collaboration requests --------------------------------------------------


def target_side_people(request: CollaborationRequest, *, with_peers: bool = True) -> QuerySet[Actor]:
    """The people who speak for a request's target.

    A person target speaks for itself; an organization or a city through its
    admins (and, when `include_peer_cities`, the peer cities' admins too); a
    project through its owners and maintainers.
    """
    if request.to_actor_id and request.to_actor.kind == Actor.Kind.PERSON:
        return Actor.objects.filter(pk=request.to_actor_id, suspended=False)
    if request.to_project_id:
        editors = ProjectMember.objects.filter(project_id=request.to_project_id, role__in=EDITOR_ROLES)
        direct = Q(pk__in=editors.values("actor"), kind=Actor.Kind.PERSON)
        via_groups = Q(
            pk__in=Membership.objects.filter(
                group__in=editors.values("actor"), role=Membership.Role.ADMIN
            ).values("person")
        )
        return Actor.objects.filter(direct | via_groups, suspended=False)
    groups = [request.to_actor_id or request.to_city_id]
    if with_peers and request.to_city_id and request.include_peer_cities:
        groups += list(peer_cities(request.to_city).values_list("pk", flat=True))
    return Actor.objects.filter(
        suspended=False,
        pk__in=Membership.objects.filter(group__in=groups, role=Membership.Role.ADMIN).values("person"),
    )


def _target_side_q(me: Actor) -> Q:
    """Requests whose named target `me` speaks for (peers excluded: they are reached, not addressed)."""
    groups = administered_groups(person=me).values("pk")
    return (
        Q(to_actor=me)
        | Q(to_actor__in=groups)
        | Q(to_city__in=groups)
        | Q(to_project__in=projects_edited_by(me).values("pk"))
    )


def is_target_side(*, person: Actor | None, request: CollaborationRequest) -> bool:
    if person is None:
        return False
    return CollaborationRequest.objects.filter(_target_side_q(person), pk=request.pk).exists()


def visible_requests(viewer=None) -> QuerySet[CollaborationRequest]:
    """Collaboration requests `viewer` may see.

    Everyone sees a request unless a project it involves (its target or the
    project it comes from) is hidden from them; such a request is still seen
    by its author and by the target's side. Requests by suspended authors and
    requests a moderator hid are hidden from everyone; requests by someone the
    viewer blocks no longer reach the viewer.
    """
    from moderation.selectors import blocked_by

    projects = visible_projects(viewer).values("pk")
    shown = (Q(to_project__isnull=True) | Q(to_project__in=projects)) & (
        Q(from_project__isnull=True) | Q(from_project__in=projects)
    )
    me = viewer_actor(viewer)
    requests = CollaborationRequest.objects.filter(author__suspended=False, hidden=False)
    if me is None:
        return requests.filter(shown)
    shown |= Q(author=me) | _target_side_q(me)
    return requests.filter(shown).exclude(author__in=blocked_by(me))


def visible_responses_to(viewer=None) -> QuerySet[CollaborationResponse]:
    """Responses `viewer` may see: to requests the viewer may see, none by suspended
    responders, none by someone the viewer blocks."""
    from moderation.selectors import blocked_by

    responses = CollaborationResponse.objects.filter(request__in=visible_requests(viewer), responder__suspended=False)
    me = viewer_actor(viewer)
    if me is not None:
        responses = responses.exclude(responder__in=blocked_by(me))
    return responses


def visible_responses(request: CollaborationRequest, viewer) -> QuerySet[CollaborationResponse]:
    """The responses to `request` whose text the viewer may read: all of them for its
    author and its target's side, their own for a responder, none for anyone else
    (who sees `responses_count`, and the responses' activity without their text)."""
    responses = visible_responses_to(viewer).filter(request=request)
    me = viewer_actor(viewer)
    if me is None:
        return responses.none()
    if request.author_id != me.pk and not is_target_side(person=me, request=request):
        responses = responses.filter(responder=me)
    return responses.select_related("responder", "on_behalf_of", "on_behalf_of_project")


def request_for_viewer(*, viewer, pk: int) -> CollaborationRequest:
    """The request `pk` if `viewer` may see it; 404 otherwise, hidden or unknown alike."""
    try:
        return visible_requests(viewer).get(pk=pk)
    except (CollaborationRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def incoming_requests(queryset: QuerySet[CollaborationRequest], person: Actor) -> QuerySet[CollaborationRequest]:
    """Requests addressed to `person`, organizations they administer, projects they maintain,
    or their city (home city or a city they administer) and, when the request includes them,
    that city's peers."""
    groups = administered_groups(person=person)
    my_cities = [pk for pk in groups.filter(kind=Actor.Kind.CITY).values_list("pk", flat=True)]
    if person.city_id:
        my_cities.append(person.city_id)
    peers_of_mine: set[int] = set()
    for city in Actor.objects.filter(pk__in=my_cities):
        peers_of_mine.update(peer_cities(city).values_list("pk", flat=True))
    return queryset.filter(
        _target_side_q(person)
        | Q(to_city__in=my_cities)
        | Q(include_peer_cities=True, to_city__in=peers_of_mine)
    )


# --- Partner suggestions -----------------------------------------------------

# Needed skills count most, then sectors, then geography, then the follow
# graph. The weights keep that order for any realistic request: one more
# shared skill (100) outweighs up to nine shared sectors (10 each), which
# outweigh place (same city 3, linked city 2) and a follow by the author (1).
TAG_FREQUENCY_TTL = 300  # seconds

WEIGHTS = {"shared_skills": 100, "shared_sectors": 10, "same_city": 3, "linked_city": 2, "followed_by_author": 1}


@dataclass
class Suggestion:
    actor: Actor
    score: int
    reasons: list[dict] = field(default_factory=list)


def _in_list(values) -> tuple[str, list]:
    values = list(values)
    return ", ".join(["%s"] * len(values)), values


class _SuggestionQuery:
    """The SQL behind suggestions: every value a parameter, table names from the models.

    The ORM cannot aggregate over a UNION ALL in FROM nor express the tier
    shortcut below, hence raw SQL. Both statements compute the same score.
    """

    def __init__(self, request: CollaborationRequest, limit: int):
        from feeds.models import Follow
        from moderation.selectors import blocked_ids

        self.limit = limit
        self.author_id = request.author_id
        self.skill_ids = list(request.needed_skills.values_list("pk", flat=True))
        self.sector_ids = list(request.needed_sectors.values_list("pk", flat=True))
        place = request.to_city or request.origin_city
        self.place_id = place.pk if place else None
        self.peer_ids = list(peer_cities(place).values_list("pk", flat=True)) if place else []
        self.excluded = {request.author_id}
        # Nobody the author blocks is put forward as a partner.
        self.excluded.update(blocked_ids(request.author))
        for responder, org in request.responses.values_list("responder_id", "on_behalf_of_id"):
            self.excluded.update(pk for pk in (responder, org) if pk)
        # Nor the author's own side: the organizations the author belongs to, and the
        # people and organizations of the author's projects (the request's own team).
        from profiles.models import Membership

        self.excluded.update(Membership.objects.filter(person_id=request.author_id).values_list("group_id", flat=True))
        own_projects = ProjectMember.objects.filter(actor_id=request.author_id).values("project_id")
        self.excluded.update(ProjectMember.objects.filter(project__in=own_projects).values_list("actor_id", flat=True))
        self.skills_table = Actor.skills.through._meta.db_table
        self.sectors_table = Actor.sectors.through._meta.db_table
        self.follow_table = Follow._meta.db_table
        self.actor_table = Actor._meta.db_table

    def _geography(self) -> tuple[str, list]:
        if self.place_id is None:
            return "0", []
        sql, params = f"CASE WHEN a.city_id = %s THEN {WEIGHTS['same_city']}", [self.place_id]
        if self.peer_ids:
            marks, values = _in_list(self.peer_ids)
            sql += f" WHEN a.city_id IN ({marks}) THEN {WEIGHTS['linked_city']}"
            params += values
        return sql + " ELSE 0 END", params

    def _filters(self) -> tuple[str, list]:
        marks, values = _in_list(self.excluded)
        return f"a.suspended = %s AND a.kind <> %s AND a.id NOT IN ({marks})", [False, Actor.Kind.CITY, *values]

    def _ranked(self, inner: str, params: list, min_skills: int = 0) -> list[tuple]:
        sql = f"""
            SELECT id, skill_n, sector_n, followed, geo,
                   skill_n * {WEIGHTS['shared_skills']} + sector_n * {WEIGHTS['shared_sectors']}
                   + followed * {WEIGHTS['followed_by_author']} + geo AS score
            FROM ({inner}) scored
            WHERE skill_n >= %s
            ORDER BY score DESC, handle
            LIMIT %s
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, min_skills, self.limit])
            return cursor.fetchall()

    def aggregated(self) -> list[tuple]:
        """Exact in every case: candidates from the tag through tables and the author's
        follows, filtered by IN lists and aggregated per actor; the cost follows the
        number of matching tag rows, not the number of actors."""
        parts, params = [], []
        if self.skill_ids:
            marks, values = _in_list(self.skill_ids)
            parts.append(f"SELECT actor_id AS aid, 1 AS sk, 0 AS se, 0 AS fo FROM {self.skills_table} WHERE tag_id IN ({marks})")
            params += values
        if self.sector_ids:
            marks, values = _in_list(self.sector_ids)
            parts.append(f"SELECT actor_id AS aid, 0 AS sk, 1 AS se, 0 AS fo FROM {self.sectors_table} WHERE tag_id IN ({marks})")
            params += values
        parts.append(
            f"SELECT target_actor_id AS aid, 0 AS sk, 0 AS se, 1 AS fo FROM {self.follow_table} "
            "WHERE follower_id = %s AND target_actor_id IS NOT NULL"
        )
        params.append(self.author_id)
        if not self.skill_ids and not self.sector_ids and self.place_id is not None:
            # No stated needs: fall back on the people and organizations of the place.
            marks, values = _in_list([self.place_id, *self.peer_ids])
            parts.append(f"SELECT id AS aid, 0 AS sk, 0 AS se, 0 AS fo FROM {self.actor_table} WHERE city_id IN ({marks})")
            params += values
        geography, geo_params = self._geography()
        filters, filter_params = self._filters()
        inner = f"""
            SELECT a.id, a.handle, m.skill_n, m.sector_n, m.followed, {geography} AS geo
            FROM (
                SELECT aid, SUM(sk) AS skill_n, SUM(se) AS sector_n, MAX(fo) AS followed
                FROM ({" UNION ALL ".join(parts)}) hits
                GROUP BY aid
            ) m
            JOIN {self.actor_table} a ON a.id = m.aid
            WHERE {filters}
        """
        return self._ranked(inner, [*geo_params, *params, *filter_params])

    def _tag_frequencies(self) -> dict[tuple[str, int], int]:
        """How many actors hold each needed tag.

        Cached for a few minutes: they only choose the plan, never the answer
        (a tier is used only when it really holds enough actors), and counting
        the rows of popular tags on every call would cost more than the query.
        """
        wanted = [(table, tag) for table, ids in ((self.skills_table, self.skill_ids), (self.sectors_table, self.sector_ids)) for tag in ids]
        keys = {f"suggestions:tagfreq:{table}:{tag}": (table, tag) for table, tag in wanted}
        counts = {keys[key]: n for key, n in cache.get_many(list(keys)).items()}
        for table in (self.skills_table, self.sectors_table):
            missing = [tag for (t, tag) in wanted if t == table and (t, tag) not in counts]
            if missing:
                marks, values = _in_list(missing)
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT tag_id, COUNT(*) FROM {table} WHERE tag_id IN ({marks}) GROUP BY tag_id", values)
                    found = dict(cursor.fetchall())
                fresh = {(table, tag): found.get(tag, 0) for tag in missing}
                cache.set_many({f"suggestions:tagfreq:{t}:{tag}": n for (t, tag), n in fresh.items()}, TAG_FREQUENCY_TTL)
                counts.update(fresh)
        return counts

    def _scored_columns(self) -> tuple[str, list]:
        """skill_n, sector_n, followed and geo of actor `a`, by index probes."""
        skill_sql, skill_params = "0", []
        if self.skill_ids:
            marks, skill_params = _in_list(self.skill_ids)
            skill_sql = f"(SELECT COUNT(*) FROM {self.skills_table} k WHERE k.actor_id = a.id AND k.tag_id IN ({marks}))"
        sector_sql, sector_params = "0", []
        if self.sector_ids:
            marks, sector_params = _in_list(self.sector_ids)
            sector_sql = f"(SELECT COUNT(*) FROM {self.sectors_table} s WHERE s.actor_id = a.id AND s.tag_id IN ({marks}))"
        geography, geo_params = self._geography()
        sql = f"""{skill_sql} AS skill_n, {sector_sql} AS sector_n,
            CASE WHEN EXISTS (
                SELECT 1 FROM {self.follow_table} f WHERE f.follower_id = %s AND f.target_actor_id = a.id
            ) THEN 1 ELSE 0 END AS followed,
            {geography} AS geo"""
        return sql, [*skill_params, *sector_params, self.author_id, *geo_params]

    def full_tier(self, frequencies: dict) -> list[tuple] | None:
        """The best actors among those holding every needed skill and sector, or None
        when fewer than `limit` do. Driven by the rarest needed tag, with index
        probes for the others."""
        required = [(self.skills_table, t) for t in self.skill_ids] + [(self.sectors_table, t) for t in self.sector_ids]
        driver_table, driver_tag = min(required, key=lambda pair: frequencies.get(pair, 0))
        probes, probe_params = [], []
        for table, tag in required:
            if (table, tag) != (driver_table, driver_tag):
                probes.append(f"AND EXISTS (SELECT 1 FROM {table} x WHERE x.actor_id = a.id AND x.tag_id = %s)")
                probe_params.append(tag)
        columns, column_params = self._scored_columns()
        filters, filter_params = self._filters()
        inner = f"""
            SELECT a.id, a.handle, {columns}
            FROM {driver_table} d JOIN {self.actor_table} a ON a.id = d.actor_id
            WHERE d.tag_id = %s {" ".join(probes)} AND {filters}
        """
        rows = self._ranked(inner, [*column_params, driver_tag, *probe_params, *filter_params])
        return rows if len(rows) >= self.limit else None

    def skill_tier(self, min_skills: int, frequencies: dict) -> list[tuple] | None:
        """The best actors holding at least `min_skills` needed skills, or None when fewer
        than `limit` do. Such an actor misses at most |S| - min_skills needed skills,
        so holds one of the |S| - min_skills + 1 rarest: those rows drive the query."""
        rarest = sorted(self.skill_ids, key=lambda tag: frequencies.get((self.skills_table, tag), 0))
        marks, drivers = _in_list(rarest[: len(self.skill_ids) - min_skills + 1])
        columns, column_params = self._scored_columns()
        filters, filter_params = self._filters()
        if len(drivers) == 1:
            # One driver tag: its rows name each actor once, and every other needed
            # skill is one probe of the (actor, tag) unique index.
            source = f"(SELECT actor_id FROM {self.skills_table} WHERE tag_id = %s)"
            tier_sql = " ".join(
                f"AND EXISTS (SELECT 1 FROM {self.skills_table} x WHERE x.actor_id = a.id AND x.tag_id = %s)"
                for tag in self.skill_ids if tag != drivers[0]
            )
            tier_params = [tag for tag in self.skill_ids if tag != drivers[0]]
        else:
            source = f"(SELECT DISTINCT actor_id FROM {self.skills_table} WHERE tag_id IN ({marks}))"
            skill_marks, skill_values = _in_list(self.skill_ids)
            tier_sql = (
                f"AND (SELECT COUNT(*) FROM {self.skills_table} t WHERE t.actor_id = a.id AND t.tag_id IN ({skill_marks})) >= %s"
            )
            tier_params = [*skill_values, min_skills]
        # The tier test sits in the inner WHERE so the other columns are probed only for tier members.
        inner = f"""
            SELECT a.id, a.handle, {columns}
            FROM {source} d
            JOIN {self.actor_table} a ON a.id = d.actor_id
            WHERE {filters} {tier_sql}
        """
        params = [*column_params, *drivers, *filter_params, *tier_params]
        rows = self._ranked(inner, params, min_skills=min_skills)
        return rows if len(rows) >= self.limit else None

    def _expected_at_least(self, probabilities: list[float], k: int) -> float:
        """How many actors hold at least k of the tags, if tags were independent (a plan estimate)."""
        dist = [1.0]  # dist[j]: probability of holding exactly j of the tags seen so far
        for p in probabilities:
            dist = [(dist[j] if j < len(dist) else 0) * (1 - p) + (dist[j - 1] * p if j > 0 else 0) for j in range(len(dist) + 1)]
        return self.population * sum(dist[k:])

    def best(self) -> list[tuple]:
        """The exact top `limit`, by the cheapest statement that is sure to find it.

        With up to nine needed sectors, anyone holding k needed skills (100
        each) outscores anyone holding fewer, whatever their sectors (10 each),
        place (3) or follow (1); among those holding every needed skill, holding
        every needed sector likewise wins. So when at least `limit` actors are in
        such a tier, the best of the tier are the best overall, and the tier is
        found by index probes from its rarest tags instead of aggregating every
        row of popular tags. Tiers are tried from an independence estimate of
        their size; when none holds enough actors, the aggregation decides.
        """
        if not self.skill_ids and not self.sector_ids:
            return self.aggregated()
        if len(self.sector_ids) * WEIGHTS["shared_sectors"] + 4 >= WEIGHTS["shared_skills"]:
            return self.aggregated()
        frequencies = self._tag_frequencies()
        # The highest id is one index lookup, where COUNT(*) reads every row; an estimate suffices.
        self.population = max(Actor.objects.order_by("-pk").values_list("pk", flat=True).first() or 1, 1)
        wanted = 2 * self.limit  # aim for tiers comfortably larger than the page
        skill_p = [frequencies.get((self.skills_table, t), 0) / self.population for t in self.skill_ids]
        sector_p = [frequencies.get((self.sectors_table, t), 0) / self.population for t in self.sector_ids]
        everything = self._expected_at_least(skill_p + sector_p, len(skill_p) + len(sector_p))
        if everything >= wanted:
            rows = self.full_tier(frequencies)
            if rows is not None:
                return rows
        for k in range(len(self.skill_ids), 0, -1):
            if self._expected_at_least(skill_p, k) >= wanted:
                rows = self.skill_tier(k, frequencies)
                if rows is not None:
                    return rows
        return self.aggregated()


def suggestion_scores(request: CollaborationRequest, *, limit: int = 20) -> list[tuple]:
    """The best candidates for a request as rows `(actor_id, skill_n, sector_n, followed, geo, score)`."""
    return _SuggestionQuery(request, limit).best()


def suggested_partners(request: CollaborationRequest, *, limit: int = 20) -> list[Suggestion]:
    """Ranked actors who could answer `request`, best first, each with its reasons.

    Place means the target city when the request names one, else its origin
    city. The author, those the author blocks, those already responding (and the organizations they
    respond for), cities and suspended actors are never suggested.
    """
    rows = suggestion_scores(request, limit=limit)
    if not rows:
        return []
    ids = [row[0] for row in rows]
    actors = {actor.pk: actor for actor in Actor.objects.filter(pk__in=ids).select_related("city")}
    matched: dict[tuple[str, int], list[str]] = {}
    for kind, through, needed in (
        ("shared_skills", Actor.skills.through, request.needed_skills.all()),
        ("shared_sectors", Actor.sectors.through, request.needed_sectors.all()),
    ):
        for actor_id, slug in (
            through.objects.filter(actor_id__in=ids, tag__in=needed).order_by("tag__slug").values_list("actor_id", "tag__slug")
        ):
            matched.setdefault((kind, actor_id), []).append(slug)
    place = request.to_city or request.origin_city
    suggestions = []
    for actor_id, _skill_n, _sector_n, followed, geo, score in rows:
        actor = actors[actor_id]
        reasons = [
            {"kind": kind, "detail": ", ".join(matched[(kind, actor_id)]), "tags": matched[(kind, actor_id)]}
            for kind in ("shared_skills", "shared_sectors")
            if (kind, actor_id) in matched
        ]
        if geo == WEIGHTS["same_city"]:
            reasons.append({"kind": "same_city", "detail": place.name})
        elif geo == WEIGHTS["linked_city"]:
            reasons.append({"kind": "linked_city", "detail": actor.city.name})
        if followed:
            reasons.append({"kind": "followed_by_author", "detail": request.author.name})
        suggestions.append(Suggestion(actor=actor, score=int(score), reasons=reasons))
    return suggestions
