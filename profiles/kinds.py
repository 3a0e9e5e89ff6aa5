"""The actor kind: people, organizations and cities, public unless suspended."""

from django.db.models import Q, QuerySet
from django.urls import reverse

from novosphere.kinds import Kind, excerpt, format_stream_key, register
from profiles.models import Actor
from profiles.selectors import actor_shown, stream_prefix, visible_actors, withdrawn_actors


class ActorKind(Kind):
    name = "actor"
    model = Actor
    activity_types = tuple(Actor.Kind.values)  # an activity names an actor by its kind
    stream_prefixes = ("actor", "city")

    def ident(self, actor: Actor) -> str:
        return actor.handle

    def lookup(self, ident: str) -> Q:
        return Q(handle=ident)

    def activity_type(self, actor: Actor) -> str:
        return actor.kind

    def name_of(self, actor: Actor) -> str:
        return actor.name

    def content_of(self, actor: Actor) -> str:
        return excerpt(actor.headline or actor.bio)

    def url_of(self, actor: Actor) -> str:
        # A city of another instance is read as an actor (`name@host`), looked up there.
        view = "city-detail" if actor.kind == Actor.Kind.CITY and not actor.is_remote else "actor-detail"
        return reverse(view, kwargs={"handle": actor.handle})

    def stream_key(self, actor: Actor) -> str:
        return format_stream_key(stream_prefix(actor), actor.handle)

    def _publishers(self, actors: QuerySet, prefix: str, ident: str) -> QuerySet:
        actors = actors.filter(handle=ident)
        return actors.filter(kind=Actor.Kind.CITY) if prefix == "city" else actors.exclude(kind=Actor.Kind.CITY)

    def publisher(self, prefix: str, ident: str):
        return self._publishers(Actor.objects.all(), prefix, ident).first()

    def visible_publisher(self, viewer, prefix: str, ident: str) -> bool:
        return self._publishers(visible_actors(viewer), prefix, ident).exists()

    def visible_to(self, viewer) -> QuerySet[Actor]:
        return visible_actors(viewer)

    # Suspended and erased actors are hidden from everyone alike; nobody sees more.
    same_for_every_viewer = True

    # The blocked actor's profile (search) and what is about them ("Carol followed Eve").
    blocked_through = ("pk",)

    def shown(self, path: str) -> Q:
        """Rows whose actor at `path` is not withdrawn (see `actor_shown`)."""
        return actor_shown(path)

    def withdrawn_idents(self) -> QuerySet:
        """Handles of the actors nobody sees, as a subquery."""
        return withdrawn_actors().values("handle")

    def author_of(self, actor: Actor) -> Actor:
        return actor


register(ActorKind())
