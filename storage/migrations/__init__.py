"""Alembic migrations of Bangfu's schema: ``env.py`` runs them on the connection
``storage.schema`` hands it; ``versions/`` holds one revision per schema change."""
