"""The translatable strings of the code, extracted as makemessages would, and the French catalogue they meet."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(path.name for path in ROOT.iterdir() if (path / "apps.py").exists())
# Django's gettext functions and where their message (and context) sit among the arguments.
KEYWORDS = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}
METHODS = [("**/migrations/**", "ignore"), ("**.py", "python")]


def extracted_messages() -> list[tuple[str, str | None, str | tuple]]:
    """(where, context, message) of every translatable string in the apps' code."""
    found = []
    for app in APPS:
        for filename, line, message, _comments, context in extract_from_dir(
            str(ROOT / app), method_map=METHODS, keywords=KEYWORDS
        ):
            found.append((f"{app}/{filename}:{line}", context, message))
    return found


def catalogue_key(context: str | None, message: str | tuple):
    """The key under which Django's loaded catalogue holds a message (plurals by their first form)."""
    singular = message[0] if isinstance(message, tuple) else message
    key = f"{context}\x04{singular}" if context else singular
    return (key, 0) if isinstance(message, tuple) else key


def french_catalogue() -> dict:
    """What Django loads for French: every locale directory, compiled .mo files only."""
    return trans_real.translation("fr")._catalog
