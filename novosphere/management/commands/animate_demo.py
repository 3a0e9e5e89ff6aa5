"""Make the demo network behave like one: demo people post news, open and answer
collaboration requests, accept answers, create events, RSVP and follow, one action
every few seconds, through the running service's own HTTP API, so that what they do
is published, pushed and shown exactly as a person's own action would be (live
frames on `make run`'s websocket included).

Only the setup reads the database: which demo people exist, what they belong to,
and a token for each (demo people have no password: they sign in nowhere else)."""

import json
import logging
import os
import random
import time
from datetime import timedelta

import urllib3
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from knox.models import AuthToken

from events.models import Event
from profiles.models import Actor
from projects.models import CollaborationRequest, Project, ProjectMember

logger = logging.getLogger("novosphere")

NEWS = [
    "Premier prototype assemblé ce matin, les mesures sont encourageantes.",
    "Merci à toutes celles et ceux venus à l'atelier de jeudi : vos retours nous font avancer.",
    "Nous cherchons une ou deux personnes pour tester l'application sur le terrain ce mois-ci.",
    "Le financement de la phase pilote est confirmé : on recrute !",
    "Compte rendu de la rencontre avec nos partenaires de Québec : trois pistes concrètes.",
    "Nouvelle version en ligne, plus rapide et traduite en anglais.",
    "Nos capteurs tournent depuis un mois sans interruption dans deux quartiers.",
]
REQUESTS = [
    ("Recherche d'un laboratoire partenaire", "research",
     "Nous cherchons une équipe de recherche pour valider nos mesures sur le terrain."),
    ("Mentorat pour une levée de fonds", "mentoring",
     "Une personne qui a déjà levé des fonds pourrait-elle nous accompagner quelques heures ?"),
    ("Un lieu pour un atelier citoyen", "hosting",
     "Nous aimerions accueillir une trentaine de personnes un samedi après-midi."),
    ("Partenaires pour un projet européen", "partnership",
     "Nous montons un consortium sur la mobilité douce et cherchons deux partenaires."),
]
ANSWERS = [
    "Notre équipe serait ravie d'en discuter : nous avons mené un projet proche l'an dernier.",
    "Nous pouvons vous aider, écrivez-nous pour caler un premier échange.",
    "Je connais bien le sujet et je peux vous consacrer un peu de temps le mois prochain.",
]
EVENTS = [
    ("Café innovation", "meetup"), ("Atelier prototypage", "workshop"),
    ("Portes ouvertes du fablab", "open_day"), ("Webinaire données ouvertes", "webinar"),
]


class DemoService:
    """The running service, as its clients see it: JSON over HTTP with a token."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(total=15), retries=False)

    def call(self, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        response = self.http.request(
            method, self.base_url + path,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
        )
        try:
            answer = json.loads(response.data) if response.data else None
        except ValueError:
            answer = None
        return response.status, answer


class Command(BaseCommand):
    help = ("Demo people post news, open and answer requests, create events, RSVP and follow, "
            "through the running service's HTTP API (`make run` first).")

    def add_arguments(self, parser):
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        parser.add_argument("--url", default=f"http://{host}:{port}", help="the running service (default: $HOST:$PORT)")
        parser.add_argument("--seconds", type=float, default=60.0, help="how long to run")
        parser.add_argument("--every", type=float, default=2.0, help="seconds between two actions")
        parser.add_argument("--actions", type=int, default=None, help="stop after this many actions")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a run that repeats")

    def handle(self, *args, url: str, seconds: float, every: float, actions: int | None, seed: int | None,
               **options):
        self.rng = random.Random(seed)
        self.service = DemoService(url)
        people = list(Actor.objects.filter(kind=Actor.Kind.PERSON, suspended=False, user__isnull=False)
                      .select_related("user", "city"))
        if len(people) < 2:
            raise CommandError("No demo people: run `manage.py seed_demo` first.")
        try:
            self.service.call("", "GET", "/api/health/")
        except urllib3.exceptions.HTTPError as error:
            raise CommandError(f"The service does not answer at {url} ({error}): start it with `make run`.") from error
        self.people = people
        self.tokens: dict[int, str] = {}
        self.cities = list(Actor.objects.filter(kind=Actor.Kind.CITY, suspended=False))
        moves = [(self.post_news, 3), (self.open_request, 2), (self.answer_request, 3), (self.accept_answer, 2),
                 (self.create_event, 1), (self.attend_event, 3), (self.follow, 2)]
        deadline = time.monotonic() + seconds
        done = 0
        while time.monotonic() < deadline and (actions is None or done < actions):
            person = self.rng.choice(self.people)
            move = self.rng.choices([m for m, _ in moves], weights=[w for _, w in moves])[0]
            what = move(person)
            if what:
                done += 1
                logger.info("animate_demo %s by=%s", what, person.handle)
            time.sleep(every)
        logger.info("animate_demo done: actions=%d", done)

    # --- what a demo person does ---------------------------------------------

    def _call(self, person: Actor, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        if person.pk not in self.tokens:
            self.tokens[person.pk] = AuthToken.objects.create(person.user, expiry=timedelta(hours=2))[1]
        status, answer = self.service.call(self.tokens[person.pk], method, path, body)
        if status >= 400:
            logger.info("animate_demo refused %s %s status=%s by=%s", method, path, status, person.handle)
        return status, answer

    def post_news(self, person: Actor) -> str | None:
        # Owners and maintainers post a project's news.
        slugs = list(ProjectMember.objects.filter(actor=person, role__in=["owner", "maintainer"])
                     .values_list("project__slug", flat=True))
        if not slugs:
            return None
        slug = self.rng.choice(slugs)
        status, _ = self._call(person, "POST", f"/api/v1/projects/{slug}/updates/", {"body": self.rng.choice(NEWS)})
        return f"news project={slug}" if status == 201 else None

    def open_request(self, person: Actor) -> str | None:
        title, kind, message = self.rng.choice(REQUESTS)
        others = [city for city in self.cities if city.pk != person.city_id]
        if not others:
            return None
        city = self.rng.choice(others)
        projects = list(Project.objects.filter(memberships__actor=person, visibility="public", hidden=False).values_list("slug", flat=True))
        body = {"title": title, "message": message, "kind": kind, "to_city": city.handle,
                "needs": {"skills": [], "sectors": []},
                "deadline": (timezone.now() + timedelta(days=30)).isoformat()}
        if projects:
            body["from_project"] = self.rng.choice(projects)
        status, _ = self._call(person, "POST", "/api/v1/collaborations/", body)
        return f"request to={city.handle}" if status == 201 else None

    def answer_request(self, person: Actor) -> str | None:
        status, answer = self._call(person, "GET", "/api/v1/collaborations/?status=open")
        if status != 200:
            return None
        answered = set(CollaborationRequest.objects.filter(responses__responder=person).values_list("pk", flat=True))
        open_ones = [request["id"] for request in answer["results"]
                     if request.get("author") != person.handle and request["id"] not in answered]
        if not open_ones:
            return None
        request_id = self.rng.choice(open_ones)
        status, _ = self._call(person, "POST", f"/api/v1/collaborations/{request_id}/responses/",
                               {"message": self.rng.choice(ANSWERS)})
        return f"answer request={request_id}" if status == 201 else None

    def accept_answer(self, person: Actor) -> str | None:
        answered = list(CollaborationRequest.objects.filter(
            author=person, status=CollaborationRequest.Status.OPEN, responses__isnull=False
        ).values_list("pk", flat=True).distinct())
        if not answered:
            return None
        request_id = self.rng.choice(answered)
        status, answer = self._call(person, "GET", f"/api/v1/collaborations/{request_id}/responses/")
        results = answer.get("results", answer) if isinstance(answer, dict) else answer
        if status != 200 or not results:
            return None
        status, _ = self._call(person, "POST", f"/api/v1/collaborations/{request_id}/accept/",
                               {"response": results[0]["id"]})
        return f"accept request={request_id}" if status == 200 else None

    def create_event(self, person: Actor) -> str | None:
        title, kind = self.rng.choice(EVENTS)
        start = (timezone.now() + timedelta(days=self.rng.randint(3, 40))).replace(minute=0, second=0, microsecond=0)
        city = person.city or self.rng.choice(self.cities)
        body = {"title": f"{title} à {city.name}", "kind": kind, "organizers": [person.handle], "city": city.handle,
                "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
                "online_url": "https://visio.example.org/novosphere",
                "description": "Un moment pour se rencontrer et parler de vos projets."}
        status, answer = self._call(person, "POST", "/api/v1/events/", body)
        return f"event slug={answer['slug']}" if status == 201 else None

    def attend_event(self, person: Actor) -> str | None:
        slugs = list(Event.objects.filter(start__gte=timezone.now(), visibility="public", hidden=False)
                     .exclude(attendances__actor=person).values_list("slug", flat=True)[:50])
        if not slugs:
            return None
        slug = self.rng.choice(slugs)
        status, _ = self._call(person, "POST", f"/api/v1/events/{slug}/attend/")
        return f"attend event={slug}" if status in (200, 201) else None

    def follow(self, person: Actor) -> str | None:
        target = self.rng.choice(self.cities if self.rng.random() < 0.5 else self.people)
        if target.pk == person.pk:
            return None
        # Unfollow first so that the follow is new and records an activity.
        self._call(person, "DELETE", f"/api/v1/actors/{target.handle}/follow/")
        status, _ = self._call(person, "POST", f"/api/v1/actors/{target.handle}/follow/")
        return f"follow target={target.handle}" if status in (200, 201) else None
