"""The web application: the HTTP edge (:mod:`signaling.http`), the services behind it
(:mod:`signaling.services`), storage, SQLite or Redis (:mod:`signaling.storage`), the pages a
person reads (:mod:`signaling.pages`); the signaling itself, reading an offer
(:mod:`signaling.offer`) and the ICE servers both peers use (:mod:`signaling.ice`); and every
setting, read once (:mod:`signaling.settings`).
"""
