"""The web application: auth, limits and connections, the API, storage (SQLite and a real redis-
server), erasure, ICE servers, fuzzing."""
