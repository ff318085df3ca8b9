"""Local working-day overrides (holidays and make-up days), as an aggregate."""
