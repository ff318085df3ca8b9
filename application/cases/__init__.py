"""Cases: the case application, its services per role (intake, review, supervision) and its reads."""
