"""French demo data: projects across the demo cities, their members and news,
and collaboration requests between French cities and Québec / Montréal.

Deterministic (fixed random seeds, fixed lists) and idempotent: a project is
known by its slug and a request by its author and title, so running it again
adds nothing twice. Everything goes through the services, so the demo also
fills the activity streams and notifications.
"""

import logging
import random
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from profiles.models import Actor, Membership
from projects import services
from projects.models import CollaborationRequest, Project
from projects.selectors import target_side_people

# title, sectors, needed skills, partner kinds, summary
THEMES = [
    ("Capteurs citoyens de qualité de l'air", ["sante", "smart-city"], ["iot", "electronique"], ["lab", "fablab"], "Des capteurs à bas coût installés par les habitants."),
    ("Covoiturage pour les zones rurales", ["mobilite"], ["mobile", "design-ux"], ["public_body"], "Relier les bourgs aux gares sans voiture individuelle."),
    ("Jumeau numérique du port", ["maritime", "industrie"], ["sig", "data-science"], ["company"], "Simuler les flux du port pour réduire son empreinte."),
    ("Fablab mobile pour les collèges", ["education"], ["impression-3d", "animation-communaute"], ["association"], "Un camion-atelier qui sillonne les collèges."),
    ("Ferme urbaine connectée", ["agriculture", "smart-city"], ["iot", "robotique"], ["fablab", "startup"], "Des bacs de culture pilotés par capteurs sur les toits."),
    ("Plateforme de données énergétiques", ["energie", "numerique-responsable"], ["donnees-ouvertes", "python"], ["public_body"], "Ouvrir les consommations des bâtiments publics."),
    ("Télé-réadaptation à domicile", ["sante"], ["machine-learning", "mobile"], ["lab", "university"], "Suivre la rééducation des patients chez eux."),
    ("Monnaie locale numérique", ["fintech", "economie-sociale"], ["cybersecurite", "juridique"], ["association"], "Une application pour la monnaie locale complémentaire."),
    ("Musée augmenté", ["culture", "tourisme"], ["3d", "design-ux"], ["media"], "Des visites en réalité augmentée pour les collections."),
    ("Cartographie des îlots de chaleur", ["smart-city", "sante"], ["sig", "data-science"], ["lab"], "Mesurer et cartographier la chaleur urbaine l'été."),
    ("Robot de tri des déchets", ["industrie", "numerique-responsable"], ["robotique", "machine-learning"], ["company"], "Trier les emballages par vision artificielle."),
    ("Jeu sérieux sur le climat", ["jeux-video", "education"], ["design-ux", "react"], ["association"], "Un jeu pour comprendre les choix énergétiques."),
    ("Nanosatellite étudiant", ["spatial", "education"], ["electronique", "gestion-de-projet"], ["university"], "Un CubeSat conçu et lancé par des étudiants."),
    ("Tiers-lieu numérique de quartier", ["economie-sociale", "numerique-responsable"], ["animation-communaute"], ["association", "public_body"], "Un lieu de médiation numérique ouvert à tous."),
    ("Bouées océanographiques ouvertes", ["maritime", "energie"], ["iot", "cloud"], ["lab"], "Des bouées libres pour mesurer la houle et la température."),
    ("Application de circuits courts", ["agriculture", "economie-sociale"], ["mobile", "marketing-digital"], ["startup"], "Acheter directement aux producteurs du coin."),
    ("Détection précoce des chutes", ["sante"], ["iot", "machine-learning"], ["lab", "company"], "Des capteurs discrets pour les personnes âgées."),
    ("Bibliothèque d'objets partagés", ["economie-sociale"], ["django", "animation-communaute"], ["association"], "Emprunter une perceuse plutôt que l'acheter."),
    ("Parcours touristique sonore", ["tourisme", "culture"], ["mobile", "sig"], ["media"], "Découvrir la ville en écoutant ses habitants."),
    ("Cybersécurité pour les PME", ["numerique-responsable", "industrie"], ["cybersecurite", "devops"], ["cluster"], "Un diagnostic gratuit pour les petites entreprises."),
    ("Micro-réseau solaire de quartier", ["energie", "smart-city"], ["electronique", "financement"], ["investor", "public_body"], "Partager la production solaire entre voisins."),
    ("Atelier de réparation de vélos connectés", ["mobilite", "economie-sociale"], ["electronique", "animation-communaute"], ["fablab"], "Réparer plutôt que jeter les vélos électriques."),
    ("Observatoire citoyen de la biodiversité", ["education", "agriculture"], ["data-science", "react"], ["lab", "association"], "Recenser oiseaux et insectes avec les écoles."),
    ("Incubateur de jeux vidéo indépendants", ["jeux-video", "culture"], ["financement", "gestion-de-projet"], ["incubator"], "Accompagner les petits studios de la région."),
    ("Navette autonome en centre-ville", ["mobilite", "smart-city"], ["robotique", "cybersecurite"], ["company", "public_body"], "Tester une navette sans chauffeur sur un parcours court."),
]
STAGES = ["idea", "prototype", "launched", "scaling"]

UPDATES = [
    "## Lancement\n\nLe projet démarre ! Merci à **toutes les personnes** venues à la réunion de lancement.",
    "Premier prototype testé cette semaine :\n\n- 12 participants\n- 3 ateliers\n- beaucoup d'idées\n\nCompte rendu sur [notre site](https://example.org/compte-rendu).",
    "Nous cherchons encore des *partenaires* pour la phase pilote. Écrivez-nous !",
]

# author city, target, kind, title, skills, sectors
REQUESTS = [
    ("rennes", {"to_city": "quebec", "include_peer_cities": True}, "partnership", "Partenaires québécois pour des capteurs de qualité de l'air", ["iot", "electronique"], ["sante"]),
    ("rennes", {"to_actor": "universite-laval"}, "research", "Thèse en cotutelle sur la santé connectée", ["machine-learning"], ["sante"]),
    ("nantes", {"to_city": "montreal"}, "hosting", "Accueil d'une startup nantaise à Montréal", ["financement"], ["maritime"]),
    ("lyon", {"to_actor": "mila"}, "research", "Collaboration en IA pour la biotech", ["machine-learning", "data-science"], ["sante"]),
    ("bordeaux", {"to_city": "quebec"}, "event", "Festival des sciences franco-québécois", ["animation-communaute"], ["culture", "education"]),
    ("toulouse", {"to_city": "montreal", "include_peer_cities": True}, "partnership", "Partenaires pour un nanosatellite étudiant", ["electronique", "gestion-de-projet"], ["spatial"]),
    ("paris", {"to_actor": "district-3"}, "mentoring", "Mentorat pour une fintech parisienne au Canada", ["financement", "juridique"], ["fintech"]),
    ("grenoble", {"to_actor": "le-camp-quebec"}, "funding", "Cofinancement d'un micro-réseau solaire", ["financement"], ["energie"]),
    ("quebec", {"to_city": "rennes", "include_peer_cities": True}, "partnership", "Des fablabs bretons pour un échange de makers", ["impression-3d"], ["education"]),
    ("montreal", {"to_city": "lyon"}, "research", "Données ouvertes et îlots de chaleur", ["donnees-ouvertes", "sig"], ["smart-city"]),
    ("quebec", {"to_actor": "irisa"}, "research", "Cybersécurité des objets connectés", ["cybersecurite", "iot"], ["numerique-responsable"]),
    ("montreal", {"to_project": "jeu-serieux-sur-le-climat"}, "partnership", "Adapter le jeu sérieux sur le climat au Québec", ["design-ux"], ["education"]),
]
# what happens to each request after its responses: None (stays open), "accept" or "decline"
OUTCOMES = [None, "accept", None, "accept", None, None, "decline", None, None, "accept", None, None]


def _quiet(name: str) -> int:
    # One log line per demo action would drown the progress bar.
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    return level


def seed_projects(cities: dict[str, Actor], people: list[Actor], progress, small: bool = False) -> list[Project]:
    rng = random.Random(404)
    residents: dict[int, list[Actor]] = {}
    for person in people:
        residents.setdefault(person.city_id, []).append(person)
    city_list = [cities[h] for h in sorted(cities)]
    camille = people[0]
    projects = []
    for index in range(len(THEMES) * (1 if small else 2)):  # small: each theme once
        title, sectors, skills, partner_kinds, summary = THEMES[index % len(THEMES)]
        city = city_list[index % len(city_list)]
        slug = slugify(f"{title} {city.handle}")[:80]
        existing = Project.objects.filter(slug=slug).first()
        if existing is not None:
            projects.append(existing)
            progress.update(1)
            continue
        locals_ = residents.get(city.pk) or people
        owner = camille if index in (0, 12, 24) else locals_[index % len(locals_)]
        visibility = "private" if index % 12 == 5 else "members" if index % 9 == 4 else "public"
        project = services.create_project(
            creator=owner.user, title=f"{title} ({city.name})", slug=slug, summary=summary,
            description=f"{summary}\n\nPorté à {city.name}, ce projet cherche des partenaires ici et ailleurs.",
            city=city, stage=STAGES[index % len(STAGES)], sectors=sectors, visibility=visibility,
            needs={"skills": skills, "partner_kinds": partner_kinds, "text": "Toute aide est la bienvenue."},
        )
        others = [p for p in rng.sample(people, 4) if p.pk != owner.pk]
        for position, member in enumerate(others[:3]):
            role = "maintainer" if position == 0 else "contributor"
            # Invited, and the demo people say yes.
            services.add_project_member(project=project, editor=owner.user, actor=member, role=role)
            services.accept_project_invitation(project=project, user=member.user, actor=member)
        for body in UPDATES[: index % 3 + 1]:
            services.post_update(project=project, author=owner.user, body=body)
        projects.append(project)
        progress.update(1)
    return projects


def _admin_of(group: Actor) -> Actor | None:
    membership = Membership.objects.filter(group=group, role=Membership.Role.ADMIN).select_related("person").first()
    return membership.person if membership else None


def seed_requests(cities, organizations, people, progress) -> list[CollaborationRequest]:
    rng = random.Random(1608)
    by_handle = {actor.handle: actor for actor in [*cities.values(), *organizations]}
    residents: dict[int, list[Actor]] = {}
    for person in people:
        residents.setdefault(person.city_id, []).append(person)
    requests = []
    for (city_handle, target, kind, title, skills, sectors), outcome in zip(REQUESTS, OUTCOMES, strict=True):
        city = cities[city_handle]
        author = people[0] if city_handle == "rennes" else (residents.get(city.pk) or people)[-1]
        existing = CollaborationRequest.objects.filter(author=author, title=title).first()
        if existing is not None:
            requests.append(existing)
            progress.update(1)
            continue
        resolved = {}
        for name, value in target.items():
            if name == "to_project":
                # Named by the start of its slug: the first public project of that theme.
                resolved[name] = Project.objects.filter(slug__startswith=value, visibility="public").order_by("slug").first()
            elif name in ("to_city", "to_actor"):
                resolved[name] = by_handle[value]
            else:
                resolved[name] = value
        request = services.open_collaboration(
            author=author.user, title=title, kind=kind, origin_city=city,
            message=f"Bonjour ! {title}. Nous serions ravis d'en parler avec vous.",
            deadline=timezone.now() + timedelta(days=30 + 7 * len(requests)),
            needs={"skills": skills, "sectors": sectors}, **resolved,
        )
        target_city = resolved.get("to_city") or getattr(resolved.get("to_actor"), "city", None) or city
        candidates = [p for p in residents.get(target_city.pk, people) if p.pk != author.pk]
        responses = []
        for responder in rng.sample(candidates, min(2, len(candidates))):
            responses.append(
                services.respond_to_request(
                    request=request, responder=responder.user,
                    message=f"{responder.name} : nous avons l'expérience qu'il vous faut, parlons-en !",
                )
            )
        if outcome == "accept" and responses:
            services.accept_response(request=request, user=author.user, response=responses[0])
        elif outcome == "decline":
            decider = target_side_people(request, with_peers=False).first()
            if decider is not None and decider.user_id:
                services.decline_request(request=request, user=decider.user)
        requests.append(request)
        progress.update(1)
    return requests


def seed(progress, seeded: dict, small: bool = False) -> dict:
    """Seed projects and collaboration requests on top of the profiles demo; returns them."""
    levels = {name: _quiet(name) for name in ("projects", "feeds")}
    try:
        cities, organizations, people = seeded["cities"], seeded["organizations"], seeded["people"]
        projects = seed_projects(cities, people, progress, small)
        requests = seed_requests(cities, organizations, people, progress)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return {"projects": projects, "collaborations": requests}


def steps(small: bool = False) -> int:
    """How many progress steps `seed` reports."""
    return len(THEMES) * (1 if small else 2) + len(REQUESTS)


