"""Release tooling: per-arch images to one multi-arch tag, promotion, and the `latest` tag."""
