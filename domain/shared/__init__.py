"""What every aggregate shares: values, errors, the recorded-event base, text rules, working days."""
