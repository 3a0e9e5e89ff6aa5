from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from federation.models import DomainBlock


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
