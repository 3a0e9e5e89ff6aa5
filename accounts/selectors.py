"""Everything the service holds about one person, as plain data (`GET /api/v1/me/export/`).

Each part reads the person's own rows in its app; what others wrote about or
to the person (their responses to the person's requests, their follows of the
person) is theirs and is counted, not copied.
"""

from django.db.models import Q
from knox.models import AuthToken

from events.models import Attendance, Event
from feeds.models import Activity, Follow, Notification
from moderation.models import Block, Report
from profiles.models import Actor, Membership, User
from projects.models import (
    CollaborationRequest,
    CollaborationResponse,
    Project,
    ProjectMember,
    ProjectUpdate,
)


def _rows(queryset, *fields: str, **renamed: str) -> list[dict]:
    """`values()` rows, with related fields under names of their own (`group` for `group__handle`)."""
    return [
        {**{name: row[name] for name in fields}, **{name: row[path] for name, path in renamed.items()}}
        for row in queryset.values(*fields, *renamed.values())
    ]


def _tags(actor: Actor, field: str) -> list[str]:
    return sorted(getattr(actor, field).values_list("slug", flat=True))


def personal_export(user: User) -> dict:
    actor: Actor = user.actor
    return {
        "account": {
            "username": user.username, "email": user.email, "email_verified": user.email_verified,
            "pending_email": user.pending_email, "language": user.language,
            "date_joined": user.date_joined, "last_login": user.last_login,
            "tokens": list(AuthToken.objects.filter(user=user).values("created", "expiry")),
        },
        "profile": {
            "handle": actor.handle, "name": actor.name, "headline": actor.headline, "bio": actor.bio,
            "city": actor.city.handle if actor.city else None, "country": str(actor.country),
            "skills": _tags(actor, "skills"), "sectors": _tags(actor, "sectors"),
            "interests": _tags(actor, "interests"), "created": actor.created, "updated": actor.updated,
            "followers_count": actor.followers_count, "following_count": actor.following_count,
        },
        "memberships": _rows(
            Membership.objects.filter(person=actor).order_by("id"), "role", "created",
            group="group__handle", group_name="group__name",
        ),
        "follows": [
            {
                "actor": follow.target_actor.handle if follow.target_actor_id else None,
                "project": follow.target_project.slug if follow.target_project_id else None,
                "created": follow.created,
            }
            for follow in Follow.objects.filter(follower=actor).select_related("target_actor", "target_project")
            .order_by("id")
        ],
        "projects": _rows(
            ProjectMember.objects.filter(actor=actor).order_by("id"), "role", "created",
            slug="project__slug", title="project__title", visibility="project__visibility",
        ),
        "projects_owned": _rows(
            Project.objects.filter(owner=actor).order_by("created"),
            "slug", "title", "summary", "description", "stage", "visibility", "created",
        ),
        "updates": _rows(
            ProjectUpdate.objects.filter(author=actor).order_by("id"), "id", "body", "published", "hidden",
            project="project__slug",
        ),
        "requests": _rows(
            CollaborationRequest.objects.filter(author=actor).order_by("id"),
            "id", "title", "message", "kind", "status", "deadline", "created", "closed_at", "responses_count",
        ),
        "responses": _rows(
            CollaborationResponse.objects.filter(responder=actor).order_by("id"), "id", "message", "status", "created",
            request="request_id", request_title="request__title",
        ),
        "events_organized": _rows(
            Event.objects.filter(organizers=actor).order_by("start"), "slug", "title", "start", "end", "visibility",
        ),
        "rsvps": _rows(
            Attendance.objects.filter(actor=actor).order_by("id"), "status", "created",
            event="event__slug", event_title="event__title",
        ),
        "activities": _rows(
            Activity.objects.filter(actor=actor).order_by("id"),
            "id", "type", "object_type", "object_id", "object_name", "target_type", "target_id", "target_name",
            "published",
        ),
        "notifications": _rows(
            Notification.objects.filter(recipient=actor).order_by("id"), "id", "reason", "read", "created",
            activity_type="activity__type", activity_object="activity__object_name",
            activity_target="activity__target_name",
        ),
        "reports_made": _rows(
            Report.objects.filter(reporter=user).order_by("id"),
            "target_type", "target_ident", "reason", "message", "status", "created",
        ),
        "webhooks": [
            {"url": hook.url, "streams": sorted(stream.stream for stream in hook.streams.all()), "created": hook.created}
            for hook in user.webhooks.prefetch_related("streams").order_by("id")  # never the secret
        ],
        "blocks": _rows(
            Block.objects.filter(blocker=actor).order_by("id"), "created",
            actor="blocked__handle", actor_name="blocked__name",
        ),
    }


def sole_admin_of(actor: Actor) -> list[Actor]:
    """Organizations and cities in which `actor` is the only admin."""
    groups = Actor.objects.filter(members__person=actor, members__role=Membership.Role.ADMIN)
    return [
        group for group in groups.order_by("name")
        if not Membership.objects.filter(group=group, role=Membership.Role.ADMIN).filter(~Q(person=actor)).exists()
    ]
