"""French demo events, territories and organization addresses.

Deterministic (fixed dates and a fixed random seed) and idempotent: events are
keyed by slug, places by (territory, city), RSVPs by (event, person).
"""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from events.models import Attendance, Event, Territory, TerritoryCity
from events.services import render_description
from profiles.models import Actor
from profiles.services import tags_from_slugs

PARIS = ZoneInfo("Europe/Paris")

# Cities of the Côte d'Azur that the profiles demo does not have.
RIVIERA_CITIES = [
    ("cannes", "Cannes", 43.5528, 7.0174),
    ("antibes", "Antibes", 43.5808, 7.1251),
    ("grasse", "Grasse", 43.6584, 6.9225),
]

# (handle, name, accepted cities, sub-territories)
TERRITORIES = [
    ("sophia-antipolis", "Sophia Antipolis", ["antibes"], []),
    ("cote-d-azur", "Côte d'Azur", ["nice", "cannes", "grasse"], ["sophia-antipolis"]),
]


def at(day: str, hour: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour}").replace(tzinfo=PARIS)


# slug, title, kind, organizers, city, venue (name, address, lat, lon) or None, online_url,
# start (day, hour), end (day, hour), capacity, sectors, festival, recurrence, description
EVENTS = [
    ("digital-week-saint-nazaire-2027", "Digital Week Saint-Nazaire 2027", "festival",
     ["saint-nazaire", "chantiers-atlantique-lab"], "saint-nazaire",
     ("Le Garage", "Boulevard de la Légion d'Honneur, Saint-Nazaire", 47.2716, -2.2113), "",
     ("2027-09-20", "09:00"), ("2027-09-26", "18:00"), None, ["numerique-responsable", "maritime"], None, "",
     "Une semaine de **rencontres, ateliers et démonstrations** autour du numérique, dans toute la ville."),
    ("dws-ouverture", "Soirée d'ouverture de la Digital Week", "conference", ["saint-nazaire"], "saint-nazaire",
     ("Le Théâtre", "Place des Quatre Z'Horloges, Saint-Nazaire", 47.2739, -2.2135), "",
     ("2027-09-20", "18:30"), ("2027-09-20", "21:00"), 300, ["numerique-responsable"],
     "digital-week-saint-nazaire-2027", "", "Lancement officiel, keynote et cocktail."),
    ("dws-atelier-impression-3d", "Atelier impression 3D pour les familles", "workshop",
     ["chantiers-atlantique-lab"], "saint-nazaire",
     ("Fablab du port", "Quai des Marées, Saint-Nazaire", 47.2780, -2.2050), "",
     ("2027-09-21", "14:00"), ("2027-09-21", "17:00"), 12, ["education", "industrie"],
     "digital-week-saint-nazaire-2027", "", "Modéliser et imprimer son premier objet, dès 10 ans."),
    ("dws-hackathon-energies-marines", "Hackathon énergies marines", "hackathon",
     ["chantiers-atlantique-lab"], "saint-nazaire",
     ("Base sous-marine", "Boulevard de la Légion d'Honneur, Saint-Nazaire", 47.2745, -2.2040), "",
     ("2027-09-24", "18:00"), ("2027-09-26", "16:00"), 80, ["maritime", "energie"],
     "digital-week-saint-nazaire-2027", "", "48 heures pour prototyper les outils de l'éolien en mer."),
    ("dws-portes-ouvertes-startups", "Portes ouvertes des startups nazairiennes", "open_day",
     ["saint-nazaire"], "saint-nazaire",
     ("Pépinière d'entreprises", "Rue de Trignac, Saint-Nazaire", 47.2820, -2.2200), "",
     ("2027-09-23", "10:00"), ("2027-09-23", "17:00"), None, ["industrie"],
     "digital-week-saint-nazaire-2027", "", "Rencontrez les équipes et leurs prototypes."),
    ("dws-webinaire-cybersecurite", "Webinaire : cybersécurité des PME", "webinar",
     ["saint-nazaire"], "saint-nazaire", None, "https://visio.demo.novosphere.fr/dws-cyber",
     ("2027-09-22", "12:30"), ("2027-09-22", "13:30"), None, ["numerique-responsable"],
     "digital-week-saint-nazaire-2027", "", "Les bons réflexes en une heure."),
    ("rencontres-du-web-nantes-2027", "Les Rencontres du Web de Nantes 2027", "conference",
     ["cantine-nantes"], "nantes", ("Parc des Chantiers", "Boulevard Léon Bureau, Nantes", 47.2065, -1.5640), "",
     ("2027-06-09", "09:00"), ("2027-06-11", "19:00"), 2500, ["numerique-responsable", "culture"], None, "",
     "Trois jours, deux cents talks, des ateliers et un grand apéro au bord de la Loire."),
    ("meetup-python-rennes", "Meetup Python Rennes", "meetup", ["cantine-rennes"], "rennes",
     ("La Cantine numérique", "Rue de Saint-Malo, Rennes", 48.1155, -1.6800), "",
     ("2027-02-11", "19:00"), ("2027-02-11", "21:30"), 60, ["numerique-responsable"], None, "",
     "Deux talks, des pizzas, des questions."),
    ("web-apero-rennes", "Web-apéro rennais", "meetup", ["cantine-rennes"], "rennes",
     ("Le Bar Commun", "Place Sainte-Anne, Rennes", 48.1145, -1.6795), "",
     ("2027-01-07", "19:00"), ("2027-01-07", "22:00"), None, ["numerique-responsable"], None,
     "FREQ=MONTHLY;BYDAY=1TH", "Chaque premier jeudi du mois, on parle web autour d'un verre."),
    ("meetup-sante-numerique-lyon", "Meetup santé numérique", "meetup", ["lyon-biopole"], "lyon",
     ("Le Tuba", "Rue de la Part-Dieu, Lyon", 45.7606, 4.8590), "",
     ("2027-03-18", "18:30"), ("2027-03-18", "21:00"), 40, ["sante"], None, "",
     "Données de santé, dispositifs connectés : retours d'expérience."),
    ("open-day-artilect", "Journée portes ouvertes Artilect", "open_day", ["artilect"], "toulouse",
     ("Artilect FabLab", "Rue d'Aubuisson, Toulouse", 43.6045, 1.4530), "",
     ("2027-04-10", "10:00"), ("2027-04-10", "18:00"), None, ["education", "industrie"], None, "",
     "Découvrez les machines et les projets de la communauté."),
    ("meetup-spatial-toulouse", "Meetup NewSpace Toulouse", "meetup", ["aerospace-valley"], "toulouse",
     ("Cité de l'espace", "Avenue Jean Gonord, Toulouse", 43.5866, 1.4933), "",
     ("2027-05-20", "18:30"), ("2027-05-20", "21:00"), 120, ["spatial"], None, "",
     "Nanosatellites, données d'observation de la Terre et startups du NewSpace."),
    ("meetup-smart-city-nice", "Meetup smart city azuréen", "meetup", ["nice-cote-azur-tech"], "nice",
     ("Nice Méridia", "Boulevard Paul Montel, Nice", 43.7030, 7.2050), "",
     ("2027-04-15", "18:30"), ("2027-04-15", "20:30"), 80, ["smart-city"], None, "",
     "Capteurs, mobilités et données ouvertes sur la Côte d'Azur."),
]


def seed_cities() -> dict[str, Actor]:
    cities = {}
    for handle, name, lat, lon in RIVIERA_CITIES:
        cities[handle], _created = Actor.objects.update_or_create(
            handle=handle,
            defaults={"kind": Actor.Kind.CITY, "name": name, "country": "FR",
                      "region": "Provence-Alpes-Côte d'Azur", "latitude": lat, "longitude": lon,
                      "headline": f"Le réseau d'innovation de {name}", "verified": True},
        )
    return cities


def seed_addresses() -> int:
    """Coordinates for the demo organizations: a few streets from their city's centre."""
    rng = random.Random(42)
    organizations = Actor.objects.filter(kind=Actor.Kind.ORGANIZATION, city__latitude__isnull=False).select_related("city").order_by("handle")
    for organization in organizations:
        organization.latitude = round(organization.city.latitude + rng.uniform(-0.02, 0.02), 5)
        organization.longitude = round(organization.city.longitude + rng.uniform(-0.03, 0.03), 5)
    Actor.objects.bulk_update(organizations, ["latitude", "longitude"])
    return len(organizations)


def seed_territories() -> list[Territory]:
    territories = {}
    for handle, name, cities, children in TERRITORIES:
        territory, _created = Territory.objects.update_or_create(handle=handle, defaults={"name": name})
        for city in Actor.objects.filter(handle__in=cities, kind=Actor.Kind.CITY):
            TerritoryCity.objects.update_or_create(
                territory=territory, city=city, defaults={"status": TerritoryCity.Status.ACCEPTED}
            )
        territory.territories.set([territories[child] for child in children])
        territories[handle] = territory
    return list(territories.values())


def seed_events(progress) -> list[Event]:
    actors = {a.handle: a for a in Actor.objects.filter(kind__in=[Actor.Kind.CITY, Actor.Kind.ORGANIZATION])}
    events: dict[str, Event] = {}
    for (slug, title, kind, organizers, city, venue, online_url, start, end, capacity, sectors, festival,
         rule, description) in EVENTS:
        name, address, lat, lon = venue or ("", "", None, None)
        event, _created = Event.objects.update_or_create(
            slug=slug,
            defaults={
                "uid": f"{slug}@demo.novosphere.fr", "title": title, "kind": kind, "city": actors[city],
                "venue_name": name, "venue_address": address, "latitude": lat, "longitude": lon,
                "online_url": online_url, "start": at(*start), "end": at(*end), "timezone": "Europe/Paris",
                "capacity": capacity, "festival": events.get(festival),
                "recurrence": rule, "description": description,
                "description_html": render_description(description),
            },
        )
        event.organizers.set([actors[handle] for handle in organizers])
        event.sectors.set(tags_from_slugs(sectors))
        events[slug] = event
        progress.update(1)
    return list(events.values())


def seed_attendees(events: list[Event], people: list[Actor]) -> None:
    rng = random.Random(2027)
    for event in events:
        wanted = rng.randint(3, 12) if event.capacity is None else min(event.capacity + 3, rng.randint(3, 15))
        chosen = rng.sample(people, min(wanted, len(people)))
        going = 0
        for person in chosen:
            full = event.capacity is not None and going >= event.capacity
            _attendance, created = Attendance.objects.get_or_create(
                event=event, actor=person,
                defaults={"status": Attendance.Status.WAITING if full else Attendance.Status.GOING},
            )
            going += 0 if full else 1


def seed(progress, seeded: dict, small: bool = False) -> dict:  # small: the same events (13)
    """Seed Riviera cities, organization coordinates, territories, events and RSVPs."""
    with transaction.atomic():
        cities = seed_cities()
        progress.update(len(cities))
        seed_addresses()
        territories = seed_territories()
        progress.update(len(territories))
        events = seed_events(progress)
        people = list(seeded.get("people") or Actor.objects.filter(kind=Actor.Kind.PERSON).order_by("handle")[:100])
        seed_attendees(events, people)
    return {"events": events, "territories": territories}


def steps(small: bool = False) -> int:
    return len(RIVIERA_CITIES) + len(TERRITORIES) + len(EVENTS)
