from rest_framework import serializers


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200, help_text="The key from the reset e-mail.")
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class EmailVerifySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200, help_text="The key from the verification e-mail.")


class EmailVerifiedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class ErasureSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
