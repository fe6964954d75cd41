"""The HTTP side: settings (composed from the components' own parameters), the aiohttp app and
its routes, auth, limits, framework-free offer and session handling, metrics, the report page,
and storage (SQLite or Redis)."""
