"""What every application shares: access rules, the clock, errors, retries, idempotency, stored topics."""
