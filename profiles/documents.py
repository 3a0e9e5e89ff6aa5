"""What actors give to search: name as title; headline, bio, tags and city as body."""

from django.db.models import QuerySet

from profiles.models import Actor
from search.registry import Document, DocumentType, register


class ActorDocuments(DocumentType):
    type = "actor"
    model = Actor
    kind = "actor"

    def queryset(self) -> QuerySet[Actor]:
        # What is left of an erased account (kept under a former member's name) is not searchable.
        return Actor.objects.filter(erased=False).select_related("city").prefetch_related("skills", "sectors", "interests")

    def document(self, actor: Actor) -> Document:
        skills = [tag.slug for tag in actor.skills.all()]
        sectors = [tag.slug for tag in actor.sectors.all()]
        interests = [tag.slug for tag in actor.interests.all()]
        # A city is "in" itself, so `city=quebec` finds Québec too.
        city = actor if actor.kind == Actor.Kind.CITY else actor.city
        body = "\n".join(
            part
            for part in (
                actor.headline,
                actor.bio,
                " ".join(skills + sectors + interests).replace("-", " "),
                city.name if city and city is not actor else "",
                actor.region,
            )
            if part
        )
        return Document(
            type=self.type,
            object_pk=actor.pk,
            ident=actor.handle,
            title=actor.name,
            body=body,
            kind=actor.kind,
            city=city.handle if city else "",
            country=str(actor.country or ""),
            sectors=sectors,
            skills=skills,
            **self.audience(actor),
        )

    def dependencies(self):
        # A city's new name is in its residents' documents.
        return [(Actor, lambda actor: list(actor.residents.values_list("pk", flat=True)) if actor.kind == "city" else [])]


register(ActorDocuments())
