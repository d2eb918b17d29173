"""workflow/importing."""
