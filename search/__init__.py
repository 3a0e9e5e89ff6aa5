"""Full-text search: what each app gives to search, the backends that answer, and the sync between them.

- `search.registry`: `DocumentType` and `register()`. Each app declares its
  documents in its own `documents.py` (profiles: actors; projects: projects,
  and collaboration requests when they exist: one more `DocumentType` whose
  `visible(viewer)` is the requests' visibility selector).
- `search.backends.get_search_backend()`: the backend in use (database by
  vendor, or Elasticsearch), behind one interface.
- `search.sync`: signals → index after commit; `manage.py reindex`.
- `search.text`: the French/English analysis the database backends share.
"""
