"""The Case aggregate (one class, its events nested in it), its item state, rules, due dates and deadline policy."""
