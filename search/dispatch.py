"""After-commit work of search (a kind of work of `novosphere.publisher`)."""

from novosphere.publisher import handles
from search import sync


# A backend that fails keeps the keys in PendingIndexKey (one row per document,
# however long the outage), so the outbox row itself is done either way.
@handles("search.index")
def index(payload: dict) -> None:
    sync.index_keys(payload["keys"])
