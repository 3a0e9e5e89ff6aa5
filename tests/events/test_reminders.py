from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from events.services import REMINDER, send_event_reminders
from feeds.models import Notification
from tests.conftest import client_for, make_person

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def test_attendees_are_reminded_a_day_before_once(post_event, rennes):
    slug = post_event(capacity=1)["slug"]  # 2027-03-04 19:00 Paris
    going, waiting = make_person("going", rennes), make_person("waiting", rennes)
    client_for(going).post(f"/api/v1/events/{slug}/attend/")
    client_for(waiting).post(f"/api/v1/events/{slug}/attend/")

    assert send_event_reminders(now=datetime(2027, 3, 2, 19, 0, tzinfo=PARIS)) == 0  # two days before
    the_day_before = datetime(2027, 3, 3, 20, 0, tzinfo=PARIS)
    assert send_event_reminders(now=the_day_before) == 1
    assert send_event_reminders(now=the_day_before + timedelta(hours=1)) == 0  # already sent
    reminders = Notification.objects.filter(reason=REMINDER)
    assert [n.recipient.handle for n in reminders] == ["going"]  # not those still waiting
    assert reminders[0].activity.object_id == slug


def test_each_occurrence_of_a_recurring_event_is_reminded(post_event, rennes):
    slug = post_event(title="Web-apéro", recurrence="FREQ=MONTHLY;BYDAY=1TH")["slug"]
    person = make_person("fidele", rennes)
    client_for(person).post(f"/api/v1/events/{slug}/attend/")
    assert send_event_reminders(now=datetime(2027, 3, 3, 20, 0, tzinfo=PARIS)) == 1
    assert send_event_reminders(now=datetime(2027, 3, 3, 22, 0, tzinfo=PARIS)) == 0
    assert send_event_reminders(now=datetime(2027, 3, 31, 20, 0, tzinfo=PARIS)) == 1  # April's first Thursday
    assert Notification.objects.filter(recipient=person, reason=REMINDER).count() == 2


def test_private_events_are_not_reminded_through_public_activities(post_event, rennes):
    slug = post_event(visibility="private")["slug"]
    from events.models import Attendance, Event

    Attendance.objects.create(event=Event.objects.get(slug=slug), actor=make_person("x", rennes), status="going")
    assert send_event_reminders(now=datetime(2027, 3, 3, 20, 0, tzinfo=PARIS)) == 0


def test_management_command_runs(db, capsys):
    call_command("send_event_reminders")
    assert "reminders sent: 0" in capsys.readouterr().out
