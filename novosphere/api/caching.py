"""Reads a client can cache: `Cache-Control` on every successful read under `/api/`.

The `ETag` and the 304 to a matching `If-None-Match` come from Django's own
`ConditionalGetMiddleware` (and, for repeated reads, from the read cache in front
of Django, which answers them without entering Django at all). This middleware
says who may keep an answer and for how long:

- an anonymous read is `public, no-cache`: any cache may keep it, and revalidates
  it at each use, so a write is seen at once and an unchanged page costs a 304;
- a read with credentials is `private, no-cache`: only the caller's own browser
  keeps it, and a shared cache never hands one viewer's answer to another.

An answer that already says how it may be cached (Atom feeds, the docs) keeps what
it says.
"""

from django.utils.cache import patch_vary_headers

SAFE_METHODS = ("GET", "HEAD")


def has_credentials(request) -> bool:
    user = getattr(request, "user", None)
    return "HTTP_AUTHORIZATION" in request.META or bool(user and user.is_authenticated)


class CacheControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.method in SAFE_METHODS and request.path.startswith("/api/")
                and response.status_code == 200 and not response.has_header("Cache-Control")):
            response["Cache-Control"] = "private, no-cache" if has_credentials(request) else "public, no-cache"
            patch_vary_headers(response, ("Authorization",))
        return response
