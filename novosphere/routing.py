"""Websocket routes (the live stream is added by the feeds app)."""

websocket_urlpatterns: list = []
