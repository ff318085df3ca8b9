"""The Case aggregate: its events, item state, rules and due dates."""
