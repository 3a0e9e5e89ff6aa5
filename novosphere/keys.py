"""Keys that tell two names apart the way a person does: case and accents do not count.

`Spx-EvilOrg` and `spx-evilorg`, `élodie` and `elodie`, are one handle to a
reader, so they are one key; the database holds the key in a column of its own
(`FoldedKeyField`) with a unique constraint, the same on SQLite and PostgreSQL,
and lookups by handle or slug go through the key. The name of a city folds
further: spaces, hyphens and punctuation do not count either (`Saint-Nazaire`,
`saint nazaire`).
"""

import re
import unicodedata

from django.db import models

KEY_MAX = 200


def fold(text: str) -> str:
    """`text` without case, accents or compatibility forms (`Élodie` → `elodie`, `ﬁ` → `fi`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.casefold())


def handle_key(handle: str) -> str:
    """The key of a handle or slug; a remote `name@host` folds whole (hosts have no case either)."""
    return fold(handle.strip())[:KEY_MAX]


def name_key(name: str) -> str:
    """The key of a place name: letters and digits only, folded."""
    return re.sub(r"[\W_]+", "", fold(name))[:KEY_MAX]


FOLDINGS = {"handle": handle_key, "name": name_key}


class FoldedKeyField(models.CharField):
    """A key folded from another field of the row (`source`), written on every save and
    `bulk_create` (Django calls `pre_save` for both), never by hand."""

    def __init__(self, *args, source: str = "handle", folding: str = "handle", **kwargs):
        kwargs.setdefault("max_length", KEY_MAX)
        kwargs.setdefault("editable", False)
        self.source, self.folding = source, folding
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, folding=self.folding)
        if kwargs.get("max_length") == KEY_MAX:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def key_of(self, instance) -> str:
        return FOLDINGS[self.folding](getattr(instance, self.source) or "")

    def pre_save(self, instance, add):
        value = self.key_of(instance)
        setattr(instance, self.attname, value)
        return value


def refresh_keys(instance) -> None:
    """Bring the row's keys up to date with their sources (before a check, not only at save)."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, FoldedKeyField):
            setattr(instance, field.attname, field.key_of(instance))


def with_keys(instance, update_fields):
    """`update_fields` plus the keys folded from any of them, so a partial save keeps its keys."""
    if update_fields is None:
        return None
    names = set(update_fields)
    for field in instance._meta.concrete_fields:
        if isinstance(field, FoldedKeyField) and field.source in names:
            names.add(field.name)
    return names


class KeyedModel(models.Model):
    """A model with folded keys: partial saves keep them, and the model's own `clean`
    reports a taken key under the field a person wrote (`handle`, not `handle_key`)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = with_keys(self, kwargs["update_fields"])
        super().save(*args, **kwargs)

    def _key_names(self) -> set[str]:
        return {field.name for field in self._meta.concrete_fields if isinstance(field, FoldedKeyField)}

    def validate_unique(self, exclude=None):
        super().validate_unique(exclude={*(exclude or ()), *self._key_names()})

    def validate_constraints(self, exclude=None):
        super().validate_constraints(exclude={*(exclude or ()), *self._key_names()})

    def others_with(self, **keys):
        """Other rows holding these keys (the row itself left out)."""
        queryset = type(self)._default_manager.filter(**keys)
        return queryset.exclude(pk=self.pk) if self.pk is not None else queryset


def fill_keys(queryset, *, key: str, source: str, folding: str = "handle", unique_among=None) -> None:
    """For a data migration: fold `source` into `key` on every row of `queryset`.

    When `unique_among` (a filter of the same rows, or True for all) holds rows whose
    keys collide, nothing is guessed: the migration stops and names them, so a person
    renames or removes one (in the admin) and migrates again."""
    fold_with = FOLDINGS[folding]
    rows, seen, clashes = [], {}, []
    checked = set(unique_among.values_list("pk", flat=True)) if unique_among not in (None, True) else None
    for row in queryset.only("pk", source).order_by("pk").iterator(chunk_size=2000):
        setattr(row, key, fold_with(getattr(row, source) or ""))
        rows.append(row)
        if unique_among is not None and (checked is None or row.pk in checked):
            value = getattr(row, key)
            if value in seen:
                clashes.append(f"{seen[value]!r} / {getattr(row, source)!r}")
            else:
                seen[value] = getattr(row, source)
    if clashes:
        raise RuntimeError(
            f"{queryset.model.__name__}.{source}: these differ only by case, accents or punctuation "
            f"and must be told apart before this migration: {'; '.join(clashes)}"
        )
    queryset.model._default_manager.bulk_update(rows, [key], batch_size=1000)
