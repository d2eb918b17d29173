"""workflow/core."""
