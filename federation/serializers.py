from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from federation.models import DomainBlock
from projects.models import CollaborationRequest


class DomainBlockInputSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253, help_text="a host, e.g. spam.example (its subdomains too)")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_domain(self, value: str) -> str:
        from federation.services import normalize_domain

        try:
            return normalize_domain(value)
        except ValueError:
            raise serializers.ValidationError(_("Enter a domain name, e.g. spam.example.")) from None


class DomainBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = DomainBlock
        fields = ["domain", "reason", "created"]
        read_only_fields = fields


class DomainBlockStateSerializer(serializers.Serializer):
    domain = serializers.CharField()
    blocked = serializers.BooleanField()
    changed = serializers.BooleanField()


def _text(value: str, *, single_line: bool = False) -> str:
    from novosphere.text import text_problem

    problem = text_problem(value, single_line=single_line)
    if problem:
        raise serializers.ValidationError(problem)
    return value


class OfferedRequestSerializer(serializers.Serializer):
    """What the CollaborationRequest of an incoming Offer must hold to become a request
    here: the rules a request made here follows (`federation/collaborations.py` maps
    the ActivityStreams names to these)."""

    title = serializers.CharField(max_length=160)
    message = serializers.CharField(max_length=5000)
    kind = serializers.ChoiceField(choices=CollaborationRequest.Kind.values, default=CollaborationRequest.Kind.PARTNERSHIP)
    deadline = serializers.DateTimeField()
    skills = serializers.ListField(child=serializers.SlugField(max_length=50), max_length=30, default=list)
    sectors = serializers.ListField(child=serializers.SlugField(max_length=50), max_length=30, default=list)
    include_peer_cities = serializers.BooleanField(default=False)

    def validate_title(self, value: str) -> str:
        return _text(value, single_line=True)

    def validate_message(self, value: str) -> str:
        return _text(value)

    def validate_deadline(self, value):
        from django.utils import timezone

        if value <= timezone.now():
            raise serializers.ValidationError(_("The deadline must be in the future."))
        return value


class OfferedResponseSerializer(serializers.Serializer):
    """The text of a response made on another instance to one of our requests."""

    message = serializers.CharField(max_length=5000)

    def validate_message(self, value: str) -> str:
        return _text(value)
