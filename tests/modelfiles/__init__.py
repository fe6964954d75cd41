"""The model registry: pinned, sha256-checked files out of wheels, sdists and npm tarballs."""
