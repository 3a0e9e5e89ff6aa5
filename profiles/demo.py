"""French demo data: cities and their peer links, organizations, people, follows.

Deterministic (a fixed random seed) and idempotent: running it again updates
what is there and adds nothing twice.
"""

import random

from django.db import transaction

from feeds.services import follow
from profiles.models import Actor, CityLink, Membership, User
from profiles.services import tags_from_slugs

DEMO_USERNAME = "camille"
DEMO_PASSWORD = "novosphere-demo"  # noqa: S105 - the documented demo login, demo data only

# handle, name, country, region, latitude, longitude
CITIES = [
    ("rennes", "Rennes", "FR", "Bretagne", 48.1173, -1.6778),
    ("nantes", "Nantes", "FR", "Pays de la Loire", 47.2184, -1.5536),
    ("saint-nazaire", "Saint-Nazaire", "FR", "Pays de la Loire", 47.2735, -2.2138),
    ("lyon", "Lyon", "FR", "Auvergne-Rhône-Alpes", 45.7640, 4.8357),
    ("toulouse", "Toulouse", "FR", "Occitanie", 43.6047, 1.4442),
    ("bordeaux", "Bordeaux", "FR", "Nouvelle-Aquitaine", 44.8378, -0.5792),
    ("lille", "Lille", "FR", "Hauts-de-France", 50.6292, 3.0573),
    ("grenoble", "Grenoble", "FR", "Auvergne-Rhône-Alpes", 45.1885, 5.7245),
    ("nice", "Nice", "FR", "Provence-Alpes-Côte d'Azur", 43.7102, 7.2620),
    ("paris", "Paris", "FR", "Île-de-France", 48.8566, 2.3522),
    ("quebec", "Québec", "CA", "Québec", 46.8139, -71.2080),
    ("montreal", "Montréal", "CA", "Québec", 45.5019, -73.5674),
]

# (from, to, accepted?)
CITY_LINKS = [
    ("rennes", "quebec", True),
    ("nantes", "saint-nazaire", True),
    ("lyon", "montreal", True),
    ("bordeaux", "quebec", True),
    ("paris", "montreal", False),
]

# handle, name, organization_type, city, sectors, skills, headline
ORGANIZATIONS = [
    ("cantine-rennes", "La Cantine numérique rennaise", "association", "rennes", ["numerique-responsable", "education"], ["animation-communaute"], "Le lieu totem du numérique rennais"),
    ("labfab-rennes", "LabFab Rennes", "fablab", "rennes", ["industrie", "education"], ["impression-3d", "electronique"], "Fablab ouvert à toutes et tous"),
    ("irisa", "IRISA", "lab", "rennes", ["cybersecurite", "sante"], ["machine-learning", "cybersecurite"], "Recherche en informatique et systèmes aléatoires"),
    ("technopole-rennes", "Technopole Rennes Atalante", "incubator", "rennes", ["numerique-responsable", "sante"], ["financement", "gestion-de-projet"], "Accompagnement des startups innovantes"),
    ("rennes-metropole-num", "Rennes Métropole — Mission numérique", "public_body", "rennes", ["smart-city"], ["donnees-ouvertes"], "Politique numérique de la métropole"),
    ("cantine-nantes", "La Cantine Nantes", "association", "nantes", ["numerique-responsable"], ["animation-communaute"], "Communauté numérique nantaise"),
    ("ping-nantes", "PiNG", "fablab", "nantes", ["economie-sociale", "education"], ["electronique", "impression-3d"], "Association d'appropriation citoyenne des technologies"),
    ("atlanpole", "Atlanpole", "incubator", "nantes", ["sante", "maritime"], ["financement"], "Technopole et incubateur nantais"),
    ("chantiers-atlantique-lab", "Atlantique Marine Lab", "company", "saint-nazaire", ["maritime", "industrie"], ["robotique", "iot"], "Innovation navale et énergies marines"),
    ("lyon-french-tech", "Lyon French Tech", "association", "lyon", ["sante", "industrie"], ["financement"], "L'écosystème startup lyonnais"),
    ("lyon-biopole", "Lyonbiopôle", "cluster", "lyon", ["sante", "biotech"], ["biotech"], "Pôle de compétitivité santé"),
    ("le-tuba", "Le Tuba", "association", "lyon", ["smart-city"], ["design-ux", "donnees-ouvertes"], "Laboratoire d'expérimentation urbaine"),
    ("aerospace-valley", "Aerospace Valley", "cluster", "toulouse", ["spatial", "industrie"], ["electronique", "iot"], "Pôle aéronautique et spatial"),
    ("artilect", "Artilect FabLab Toulouse", "fablab", "toulouse", ["education", "industrie"], ["impression-3d", "robotique"], "Le premier fablab de France"),
    ("laas-cnrs", "LAAS-CNRS", "lab", "toulouse", ["spatial", "energie"], ["robotique", "machine-learning"], "Analyse et architecture des systèmes"),
    ("cap-sciences", "Cap Sciences", "association", "bordeaux", ["culture", "education"], ["mediation-scientifique"], "Culture scientifique et technique"),
    ("unitec", "Unitec", "incubator", "bordeaux", ["sante", "energie"], ["financement"], "Accélérateur de startups bordelais"),
    ("euratechnologies", "EuraTechnologies", "incubator", "lille", ["fintech", "numerique-responsable"], ["financement", "gestion-de-projet"], "Pôle d'excellence numérique"),
    ("plaine-images", "Plaine Images", "cluster", "lille", ["jeux-video", "culture"], ["design-ux", "3d"], "Pôle des industries créatives"),
    ("minalogic", "Minalogic", "cluster", "grenoble", ["industrie", "energie"], ["electronique", "iot"], "Pôle des technologies du numérique"),
    ("cea-tech", "CEA Tech Grenoble", "lab", "grenoble", ["energie", "sante"], ["electronique", "machine-learning"], "Recherche technologique"),
    ("nice-cote-azur-tech", "Côte d'Azur French Tech", "association", "nice", ["tourisme", "smart-city"], ["financement"], "Écosystème d'innovation azuréen"),
    ("inria-sophia", "Inria Sophia Antipolis", "lab", "nice", ["sante", "numerique-responsable"], ["machine-learning", "cybersecurite"], "Recherche en sciences du numérique"),
    ("station-f", "Station F", "incubator", "paris", ["fintech", "sante"], ["financement", "gestion-de-projet"], "Campus de startups"),
    ("numa-paris", "Numa", "company", "paris", ["smart-city"], ["design-ux", "marketing-digital"], "Innovation ouverte"),
    ("bpi-paris", "Fonds Amorçage Île-de-France", "investor", "paris", ["fintech", "industrie"], ["financement"], "Investissement d'amorçage"),
    ("quebec-international", "Québec International", "public_body", "quebec", ["tourisme", "industrie"], ["financement", "relations-internationales"], "Développement économique de la région de Québec"),
    ("le-camp-quebec", "LE CAMP", "incubator", "quebec", ["numerique-responsable", "sante"], ["financement", "gestion-de-projet"], "Incubateur-accélérateur technologique"),
    ("universite-laval", "Université Laval", "university", "quebec", ["education", "sante"], ["machine-learning", "donnees-ouvertes"], "Université francophone d'Amérique"),
    ("mila", "Mila", "lab", "montreal", ["sante", "numerique-responsable"], ["machine-learning", "data-science"], "Institut québécois d'intelligence artificielle"),
    ("district-3", "District 3", "incubator", "montreal", ["energie", "sante"], ["financement"], "Centre d'innovation"),
    ("echofab", "Échofab", "fablab", "montreal", ["education", "culture"], ["impression-3d", "electronique"], "Fablab communautaire"),
]

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Alice", "Zoé",
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Nathan", "Raphaël", "Théo", "Tom",
    "Sarah", "Juliette", "Clara", "Anaïs", "Élodie", "Margaux", "Océane", "Mathilde", "Pauline", "Gaëlle",
    "Yann", "Erwan", "Loïc", "Maël", "Gwenaël", "Antoine", "Maxime", "Thomas", "Julien", "Nicolas",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Le Gall", "Le Goff", "Kerouac", "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin",
]
SKILLS = [
    "python", "django", "data-science", "machine-learning", "design-ux", "mobile", "iot", "cybersecurite",
    "marketing-digital", "financement", "juridique", "gestion-de-projet", "electronique", "impression-3d",
    "robotique", "cloud", "devops", "react", "sig", "donnees-ouvertes", "animation-communaute", "biotech",
]
SECTORS = [
    "sante", "mobilite", "energie", "agriculture", "education", "culture", "tourisme", "smart-city",
    "economie-sociale", "industrie", "numerique-responsable", "maritime", "spatial", "jeux-video", "fintech",
]
HEADLINES = [
    "Développeuse full-stack", "Designer UX", "Chercheur en IA", "Fondatrice de startup", "Chef de projet innovation",
    "Data scientist", "Maker et bricoleur", "Chargée de mission numérique", "Ingénieur IoT", "Consultante en financement",
    "Doctorant en robotique", "Product manager", "Animatrice de communauté", "Développeur mobile", "Experte cybersécurité",
]

PEOPLE_COUNT = 100
SMALL_PEOPLE_COUNT = 20  # `seed_demo --small`


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text)


def _upsert_actor(handle: str, **fields) -> Actor:
    tags = {name: fields.pop(name) for name in ("skills", "sectors", "interests") if name in fields}
    actor, _created = Actor.objects.update_or_create(handle=handle, defaults=fields)
    for name, slugs in tags.items():
        getattr(actor, name).set(tags_from_slugs(slugs))
    return actor


def _person(username: str, name: str, city: Actor, rng: random.Random, password: str | None = None) -> Actor:
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": name[:150]})
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()  # demo people sign in only through the demo account
        user.email = f"{username}@demo.novosphere.fr"
        user.save()
    return _upsert_actor(
        username,
        kind=Actor.Kind.PERSON,
        user=user,
        name=name,
        headline=rng.choice(HEADLINES),
        bio=f"{name}, basé·e à {city.name}, aime les projets qui relient les territoires.",
        city=city,
        country=city.country,
        skills=rng.sample(SKILLS, 3),
        sectors=rng.sample(SECTORS, 2),
        interests=rng.sample(SECTORS, 2),
    )


def seed_cities() -> dict[str, Actor]:
    cities = {}
    for handle, name, country, region, lat, lon in CITIES:
        cities[handle] = _upsert_actor(
            handle, kind=Actor.Kind.CITY, name=name, country=country, region=region,
            latitude=lat, longitude=lon, headline=f"Le réseau d'innovation de {name}",
            verified=True,  # the demo's cities are the real ones
        )
    for source, target, accepted in CITY_LINKS:
        link, _created = CityLink.objects.get_or_create(
            from_city=cities[source], to_city=cities[target]
        )
        if accepted and link.status != CityLink.Status.ACCEPTED:
            link.status = CityLink.Status.ACCEPTED
            link.save(update_fields=["status"])
    return cities


def seed_organizations(cities: dict[str, Actor]) -> list[Actor]:
    organizations = []
    for handle, name, org_type, city, sectors, skills, headline in ORGANIZATIONS:
        organizations.append(
            _upsert_actor(
                handle, kind=Actor.Kind.ORGANIZATION, name=name, organization_type=org_type,
                city=cities[city], country=cities[city].country, headline=headline,
                sectors=sectors, skills=skills,
            )
        )
    return organizations


def seed_people(cities: dict[str, Actor], progress, count: int = PEOPLE_COUNT) -> list[Actor]:
    rng = random.Random(2026)
    city_list = list(cities.values())
    people = [_person(DEMO_USERNAME, "Camille Martin", cities["rennes"], rng, password=DEMO_PASSWORD)]
    progress.update(1)
    seen = {DEMO_USERNAME}
    while len(people) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        username = _slug(name)
        if username in seen:
            continue
        seen.add(username)
        # A small demo spreads its people over the cities: each one has a resident to act for it.
        city = rng.choice(city_list) if count == PEOPLE_COUNT else city_list[len(people) % len(city_list)]
        people.append(_person(username, name, city, rng))
        progress.update(1)
    return people


def seed_memberships(cities, organizations, people) -> None:
    rng = random.Random(7)
    camille = people[0]
    Membership.objects.update_or_create(person=camille, group=cities["rennes"], defaults={"role": "admin"})
    Membership.objects.update_or_create(person=camille, group=cities["quebec"], defaults={"role": "member"})
    by_city: dict[int, list[Actor]] = {}
    for person in people[1:]:
        by_city.setdefault(person.city_id, []).append(person)
    for city in cities.values():
        residents = by_city.get(city.pk, [])
        if residents:  # someone of each city administers it
            Membership.objects.get_or_create(person=residents[0], group=city, defaults={"role": "admin"})
    for organization in organizations:
        locals_ = by_city.get(organization.city_id) or people[1:]
        for index, person in enumerate(rng.sample(locals_, min(3, len(locals_)))):
            Membership.objects.get_or_create(
                person=person, group=organization, defaults={"role": "admin" if index == 0 else "member"}
            )


def seed_follows(cities, organizations, people) -> None:
    rng = random.Random(11)
    for person in people:
        targets = [person.city, *rng.sample(organizations, 3), *rng.sample(people, 4)]
        for target in targets:
            if target is not None and target.pk != person.pk:
                follow(follower=person, target=target)


def seed(progress, small: bool = False) -> dict:
    """Seed cities, organizations, people, memberships and follows; returns them by kind."""
    with transaction.atomic():
        cities = seed_cities()
        progress.update(len(cities))
        organizations = seed_organizations(cities)
        progress.update(len(organizations))
        people = seed_people(cities, progress, SMALL_PEOPLE_COUNT if small else PEOPLE_COUNT)
        seed_memberships(cities, organizations, people)
    seed_follows(cities, organizations, people)
    return {"cities": cities, "organizations": organizations, "people": people}


def steps(small: bool = False) -> int:
    """How many progress steps `seed` reports."""
    return len(CITIES) + len(ORGANIZATIONS) + (SMALL_PEOPLE_COUNT if small else PEOPLE_COUNT)
