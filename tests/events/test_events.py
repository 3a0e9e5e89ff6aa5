import pytest

from events.models import Event
from feeds.models import Activity
from tests.conftest import client_for, fields_of, link_cities, make_city, make_person
from tests.events.conftest import event_body

pytestmark = pytest.mark.django_db


def test_create_and_read_an_event(api, post_event, organizer):
    body = post_event()
    assert body["slug"] == "apero-numerique"
    assert body["organizers"] == ["cantine"] and body["city"] == "rennes"
    assert body["start"] == "2027-03-04T19:00:00+01:00" and body["end"] == "2027-03-04T21:00:00+01:00"
    assert body["timezone"] == "Europe/Paris" and body["capacity"] is None and body["visibility"] == "public"
    assert body["venue"] == {"name": "La Cantine", "address": "1 rue de Rennes", "latitude": 48.11, "longitude": -1.68}
    assert body["description_html"] == "<p>Venez <strong>nombreux</strong></p>\n"
    assert body["attendees_count"] == 0 and body["waitlist_count"] == 0 and body["is_attending"] is False
    assert body["sectors"] == ["numerique-responsable"] and body["festival"] is None and body["recurrence"] is None
    assert api.get("/api/v1/events/apero-numerique/").json()["title"] == "Apéro numérique"
    # A public event's creation is an activity on its organizers' and city's streams.
    activity = Activity.objects.get(type="Create")
    assert activity.object_type == "event" and activity.object_id == "apero-numerique"
    assert set(activity.stream_entries.values_list("stream", flat=True)) == {"actor:cantine", "city:rennes"}


def test_second_event_with_the_same_title_gets_its_own_slug(post_event):
    assert post_event()["slug"] == "apero-numerique"
    assert post_event()["slug"] == "apero-numerique-2"


def test_description_is_sanitized(post_event):
    html = post_event(description=(
        "<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.org) "
        "![i](data:image/png;base64,AAAA) <img src=x onerror=alert(1)>"
    ))["description_html"]
    # Raw HTML comes out as text; unsafe links and images lose their target.
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and 'src="data:' not in html and "<img src" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer">ok</a>' in html


def test_online_event_has_a_link_and_no_venue(post_event):
    body = post_event(venue=None, online_url="https://meet.example.org/apero", kind="webinar")
    assert body["venue"] is None and body["online_url"] == "https://meet.example.org/apero"
    assert body["place"] == "online"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": "2027-03-04T18:00:00+01:00"}, "end"),
        ({"end": "2027-03-04T19:00:00+01:00"}, "end"),
        ({"organizers": ["nobody"]}, "organizers"),
        ({"organizers": []}, "organizers"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"recurrence": "FREQ=SOMETIMES"}, "recurrence"),
        ({"recurrence": "FREQ=MINUTELY"}, "recurrence"),
        ({"recurrence": "BYDAY=MO"}, "recurrence"),
        ({"venue": {"name": "x", "latitude": 91, "longitude": 0}}, "venue"),
        ({"venue": {"name": "x", "latitude": 45, "longitude": 181}}, "venue"),
        ({"city": "atlantis"}, "city"),
        ({"kind": "party"}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"start": "not a date"}, "start"),
        ({"festival": "nope"}, "festival"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(post_event, overrides, field):
    body = post_event(expect=400, **overrides)
    assert field in fields_of(body), body
    assert not Event.objects.exists() and not Activity.objects.exists()


def test_organizers_are_yourself_or_groups_you_administer(rennes, cantine, post_event):
    outsider = make_person("outsider", rennes)
    refused = post_event(client=client_for(outsider), expect=400)
    assert "organizers" in fields_of(refused)
    assert post_event(client=client_for(outsider), organizers=["outsider"])["organizers"] == ["outsider"]


def test_writes_need_a_token(api, post_event):
    slug = post_event()["slug"]
    assert api.post("/api/v1/events/", event_body(), format="json").status_code == 401
    assert api.patch(f"/api/v1/events/{slug}/", {"title": "x"}, format="json").status_code == 401
    assert api.delete(f"/api/v1/events/{slug}/").status_code == 401
    assert api.post(f"/api/v1/events/{slug}/attend/").status_code == 401
    assert api.post("/api/v1/events/import/", {}).status_code == 401
    assert api.post("/api/v1/territories/", {}, format="json").status_code == 401
    assert Event.objects.count() == 1


def test_edit_and_delete_by_admins_of_an_organizer(rennes, post_event, organizer_api, bob_api):
    slug = post_event()["slug"]
    assert bob_api.patch(f"/api/v1/events/{slug}/", {"title": "Pirate"}, format="json").status_code == 403
    edited = organizer_api.patch(f"/api/v1/events/{slug}/", {"title": "Apéro", "capacity": 30}, format="json")
    assert edited.status_code == 200 and edited.json()["title"] == "Apéro" and edited.json()["capacity"] == 30
    assert edited.json()["slug"] == slug  # the slug never changes
    bad = organizer_api.patch(f"/api/v1/events/{slug}/", {"end": "2027-03-04T18:00:00+01:00"}, format="json")
    assert bad.status_code == 400 and "end" in fields_of(bad.json())
    assert Event.objects.get().title == "Apéro"
    assert bob_api.delete(f"/api/v1/events/{slug}/").status_code == 403
    assert organizer_api.delete(f"/api/v1/events/{slug}/").status_code == 204
    assert organizer_api.get(f"/api/v1/events/{slug}/").status_code == 404


def test_list_filters(api, rennes, quebec, post_event, organizer, cantine):
    nantes = make_city("nantes", latitude=47.2, longitude=-1.55)
    link_cities(rennes, nantes)
    post_event(title="A Rennes")
    post_event(title="A Nantes", city="nantes", kind="workshop", sectors=["sante"])
    post_event(title="A Quebec", city="quebec", start="2027-06-01T10:00:00-04:00", end="2027-06-01T12:00:00-04:00",
               timezone="America/Toronto")

    def titles(query: str) -> list[str]:
        response = api.get(f"/api/v1/events/{query}")
        assert response.status_code == 200, response.content
        return [e["title"] for e in response.json()["results"]]

    assert titles("") == ["A Nantes", "A Rennes", "A Quebec"]  # by start, then slug
    assert titles("?city=rennes") == ["A Rennes"]
    assert titles("?city=rennes&include_peers=1") == ["A Nantes", "A Rennes"]
    assert titles("?kind=workshop") == ["A Nantes"]
    assert titles("?sector=sante") == ["A Nantes"]
    assert titles("?organizer=cantine") == ["A Nantes", "A Rennes", "A Quebec"]
    assert titles("?organizer=nobody") == []
    assert titles("?from=2027-05-01") == ["A Quebec"]
    assert titles("?to=2027-03-04") == ["A Nantes", "A Rennes"]
    assert titles("?from=2027-03-05&to=2027-05-30") == []
    assert api.get("/api/v1/events/?from=2027-05-01&to=2027-04-01").status_code == 400
    assert api.get("/api/v1/events/?from=yesterday").status_code == 400
    assert api.get("/api/v1/events/?kind=party").status_code == 400


def test_recurring_event_occurrences_appear_in_a_dated_list(api, post_event):
    body = post_event(title="Web-apéro", recurrence="RRULE:FREQ=MONTHLY;BYDAY=1TH;COUNT=12")
    assert body["recurrence"] == "FREQ=MONTHLY;BYDAY=1TH;COUNT=12"
    listed = api.get("/api/v1/events/?from=2027-03-01&to=2027-05-31").json()["results"]
    # First Thursdays, 19:00 local time on both sides of the change to summer time.
    assert [e["start"] for e in listed] == [
        "2027-03-04T19:00:00+01:00", "2027-04-01T19:00:00+02:00", "2027-05-06T19:00:00+02:00",
    ]
    assert all(e["slug"] == "web-apero" and e["is_occurrence"] for e in listed)
    assert len(api.get("/api/v1/events/").json()["results"]) == 1  # undated: the series once
    assert api.get("/api/v1/events/?from=2028-03-01").json()["results"] == []  # COUNT ran out


def test_festival_programme(api, post_event, organizer_api, rennes):
    festival = post_event(title="Digital Week", kind="festival", end="2027-03-10T22:00:00+01:00")
    talk = post_event(title="Conférence IA", kind="conference", festival=festival["slug"])
    assert talk["festival"] == "digital-week"
    programme = api.get("/api/v1/events/?festival=digital-week").json()["results"]
    assert [e["title"] for e in programme] == ["Conférence IA"]
    # Only a festival holds a programme, and only its organizers add to it.
    assert "festival" in fields_of(post_event(title="x", festival=talk["slug"], expect=400))
    stranger = make_person("stranger", rennes)
    refused = client_for(stranger).post(
        "/api/v1/events/", event_body(organizers=["stranger"], festival="digital-week"), format="json"
    )
    assert refused.status_code == 403


def test_private_event_is_hidden_like_an_unknown_one(api, rennes, post_event, organizer_api, bob_api, cantine):
    private = post_event(title="Réunion interne", visibility="private")["slug"]
    members_only = post_event(title="Soirée membres", visibility="members")["slug"]
    unknown = api.get("/api/v1/events/nothing-here/")
    for client in (api, bob_api):
        hidden = client.get(f"/api/v1/events/{private}/")
        assert hidden.status_code == 404 and hidden.json() == unknown.json()
        assert client.get(f"/api/v1/events/{private}.ics").status_code == 404
        assert client.get(f"/api/v1/events/{private}/attendees/").status_code == 404
        assert private not in {e["slug"] for e in client.get("/api/v1/events/").json()["results"]}
    assert bob_api.post(f"/api/v1/events/{private}/attend/").status_code == 404
    assert bob_api.patch(f"/api/v1/events/{private}/", {"title": "x"}, format="json").status_code == 404
    assert api.get(f"/api/v1/events/{members_only}/").status_code == 404
    assert bob_api.get(f"/api/v1/events/{members_only}/").status_code == 200
    # The organizers' circle sees it: here a plain member of the organizing organization.
    from profiles.models import Membership

    member = make_person("member", rennes)
    Membership.objects.create(person=member, group=cantine, role="member")
    assert client_for(member).get(f"/api/v1/events/{private}/").status_code == 200
    assert organizer_api.get(f"/api/v1/events/{private}/").status_code == 200
    # No activity reveals a non-public event.
    assert not Activity.objects.filter(object_id__in=[private, members_only]).exists()


def test_event_organized_by_a_private_project_is_seen_by_its_members(rennes, organizer, post_event):
    from projects.models import Project, ProjectMember

    project = Project.objects.create(slug="secret", title="Secret", owner=organizer, visibility="private")
    ProjectMember.objects.create(project=project, actor=organizer, role="owner")
    contributor = make_person("contrib", rennes)
    ProjectMember.objects.create(project=project, actor=contributor, role="contributor")
    slug = post_event(projects=["secret"], visibility="private")["slug"]
    assert client_for(contributor).get(f"/api/v1/events/{slug}/").json()["projects"] == ["secret"]
    assert client_for(make_person("other", rennes)).get(f"/api/v1/events/{slug}/").status_code == 404
    # A contributor is not an admin of the project: they cannot name it as organizer.
    refused = client_for(contributor).post(
        "/api/v1/events/", event_body(organizers=["contrib"], projects=["secret"]), format="json"
    )
    assert refused.status_code == 400 and "projects" in fields_of(refused.json())


def test_suspended_organizer_hides_the_event(api, post_event, cantine):
    slug = post_event()["slug"]
    cantine.suspended = True
    cantine.save()
    assert api.get(f"/api/v1/events/{slug}/").status_code == 404


def test_schema_documents_every_event_path(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in [
        "/api/v1/events/", "/api/v1/events/{slug}/", "/api/v1/events/{slug}/attend/",
        "/api/v1/events/{slug}/attendees/", "/api/v1/events/{slug}.ics", "/api/v1/events/import/",
        "/api/v1/cities/{handle}/events.ics", "/api/v1/actors/{handle}/events.ics",
        "/api/v1/territories/", "/api/v1/territories/{handle}/", "/api/v1/territories/{handle}/members/",
        "/api/v1/territories/{handle}/cities/{city}/accept/", "/api/v1/map/",
    ]:
        assert path in schema["paths"], path


def test_recurrence_until_is_given_in_utc(api, post_event):
    post_event(title="Hebdo", recurrence="FREQ=WEEKLY;UNTIL=20270320T000000Z")
    listed = api.get("/api/v1/events/?from=2027-03-01&to=2027-12-31").json()["results"]
    assert [e["start"][:10] for e in listed] == ["2027-03-04", "2027-03-11", "2027-03-18"]
    # RFC 5545: with a zoned start, UNTIL is in UTC.
    assert "recurrence" in fields_of(post_event(recurrence="FREQ=WEEKLY;UNTIL=20270320T000000", expect=400))
