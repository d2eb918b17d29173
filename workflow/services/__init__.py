"""workflow/services."""
