"""The routers of the HTTP API, one module per area: cases, definitions, reports,
audit, admin (org and tokens), public (the notice and objections, no login)."""
