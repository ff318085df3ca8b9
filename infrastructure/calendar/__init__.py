"""Mainland China's working days, for the domain's working-day arithmetic."""
