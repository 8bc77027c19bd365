"""Sale phases: windows with their own audience, sections, limits and room settings."""
