"""The catalogue: publishing bundle files, departments, calendar overrides, roadmaps."""
