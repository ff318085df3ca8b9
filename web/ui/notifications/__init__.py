"""Notifications in the browser: the applicant's inbox, and the deliveries supervisors watch and retry."""
