"""Every string a person reads has a French translation, as the running service loads it."""

from tests.i18n.catalogue import catalogue_key, extracted_messages, french_catalogue


def test_extraction_finds_the_strings_of_every_kind_of_call():
    messages = {(context, message) for _where, context, message in extracted_messages()}
    # gettext, gettext_lazy, gettext_noop and pgettext_lazy calls in the code are all seen.
    assert (None, "You cannot follow yourself.") in messages
    assert (None, "followed you") in messages
    assert (None, "This frame is not valid JSON (or nests too deeply).") in messages
    assert ("request status", "accepted") in messages
    assert len(messages) > 150


def test_every_translatable_string_has_a_french_translation():
    catalogue = french_catalogue()
    missing = sorted(
        {f"{where}: {message!r}" + (f" (context {context!r})" if context else "")
         for where, context, message in extracted_messages()
         if not catalogue.get(catalogue_key(context, message))}
    )
    assert not missing, (
        f"{len(missing)} translatable strings have no French entry in a compiled catalogue "
        "(add them to locale/fr/LC_MESSAGES/django.po, then `manage.py compilemessages -l fr`):\n"
        + "\n".join(missing)
    )


def test_a_status_reads_as_a_state_and_an_activity_type_as_a_verb():
    from django.utils import translation

    from feeds.models import Activity
    from profiles.models import CityLink
    from projects.models import CollaborationRequest

    with translation.override("fr"):
        assert str(CollaborationRequest.Status.ACCEPTED.label) == "acceptée"
        assert str(CityLink.Status.ACCEPTED.label) == "acceptée"
        assert str(Activity.Type.ACCEPT.label) == "a accepté"
    with translation.override("en"):
        assert str(CollaborationRequest.Status.ACCEPTED.label) == "accepted"
