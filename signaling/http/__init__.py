"""The HTTP edge: the aiohttp application and its routes (:mod:`.app`,
:mod:`.session_routes`, :mod:`.subject_routes`), who may do what (:mod:`.auth`), limits on
clients, bodies and connections (:mod:`.limits`, :mod:`.ratelimit`, :mod:`.request_bodies`,
:mod:`.connections`), errors as JSON (:mod:`.errors`), ``/metrics`` (:mod:`.metrics`) and the
typed keys of what the application holds (:mod:`.app_keys`). The logic lives in
:mod:`signaling.services`.
"""
