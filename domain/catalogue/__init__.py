"""The catalogue: bundle definitions, the Catalogue and Bundle aggregates, roadmaps."""
