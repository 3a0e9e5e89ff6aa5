"""Make the demo network live: demo people act every few seconds, so a websocket
client (or the feed) has something to watch. Stops after --seconds."""

import logging
import random
import time

from django.core.management.base import BaseCommand

from feeds.services import follow, unfollow
from profiles.models import Actor

logger = logging.getLogger("novosphere")


class Command(BaseCommand):
    help = "Demo people follow and unfollow each other and the cities, one action every --every seconds."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=60.0, help="how long to run")
        parser.add_argument("--every", type=float, default=2.0, help="seconds between two actions")

    def handle(self, *args, seconds: float, every: float, **options):
        rng = random.Random()
        people = list(Actor.objects.filter(kind=Actor.Kind.PERSON, suspended=False))
        targets = list(Actor.objects.filter(suspended=False))
        # Cities are the streams most people follow: acting on them is seen by many.
        cities = [actor for actor in targets if actor.kind == Actor.Kind.CITY]
        if len(people) < 2:
            self.stderr.write("No demo people: run `manage.py seed_demo` first.")
            return
        deadline = time.monotonic() + seconds
        actions = 0
        while time.monotonic() < deadline:
            person = rng.choice(people)
            target = rng.choice(cities if cities and rng.random() < 0.5 else targets)
            if person.pk != target.pk:
                # Unfollow first so that the follow is new and records an activity.
                unfollow(follower=person, target=target)
                follow(follower=person, target=target)
                actions += 1
            time.sleep(every)
        logger.info("animate_demo done: actions=%d", actions)
