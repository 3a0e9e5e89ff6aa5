"""Schema hooks: the one error shape (`novosphere.errors`) documented on every error answer."""

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every error answer of the API, REST and websocket alike.",
    "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                 "description": "Machine code, snake_case: `invalid`, `not_found`, `not_authenticated`, "
                                "`permission_denied`, `conflict`, `throttled`, `slug_fixed`, ...",
                 "example": "not_found"},
        "message": {"type": "string", "description": "One sentence in the reader's language (`Accept-Language`).",
                    "example": "Not found."},
        "detail": {"type": "string", "description": "The same as `message`, kept for clients written against `{detail}`.",
                   "example": "Not found."},
        "fields": {
            "type": "object",
            "description": "Validation errors only: each offending field (dotted when nested: `venue.latitude`, "
                         "`skills.0`) and its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"title": ["This field is required."]},
        },
    },
    "required": ["code", "message", "detail"],
}

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# What any operation can answer besides its own documented errors.
COMMON = {
    "400": "Bad input: `fields` names what to fix.",
    "401": "A bad or expired token.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
    "503": "A service the request needs does not answer: try again after `Retry-After` seconds.",
}
WRITES = {"403": "The caller may not do this."}
WITH_PATH_PARAMETERS = {"404": "Unknown, or hidden from the caller: the same answer."}


def error_responses(result, generator, request, public):
    """Give every error answer the `Error` body, and add the errors any operation can answer."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            extra = {**COMMON, **(WRITES if method != "get" else {}), **(WITH_PATH_PARAMETERS if "{" in path else {})}
            for status, description in extra.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if str(status)[0] not in "45":
                    continue
                content = response.setdefault("content", {"application/json": {}})
                for media_type, body in content.items():
                    if "json" in media_type and "schema" not in body:
                        body["schema"] = ERROR_REF
    return result
