"""RSA keys of our actors: made the first time an actor signs or is described, then kept."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction

from federation.models import SigningKey


def _new_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def key_for(owner: str) -> SigningKey:
    """The key pair of `owner` (`actor:<handle>`, `project:<slug>`, `instance`), made if missing.

    Two requests that describe a new actor at once both generate a pair; the
    unique owner makes one of them win and the other read the winner's.
    """
    key = SigningKey.objects.filter(owner=owner).first()
    if key is not None:
        return key
    private_pem, public_pem = _new_pair()
    try:
        with transaction.atomic():
            return SigningKey.objects.create(owner=owner, private_pem=private_pem, public_pem=public_pem)
    except IntegrityError:
        return SigningKey.objects.get(owner=owner)


def load_private(pem: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def load_public(pem: str):
    return serialization.load_pem_public_key(pem.encode())
