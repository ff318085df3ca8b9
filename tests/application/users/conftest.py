"""The accounts fixtures (a movable clock, a registered enterprise) for the users tests too."""

from tests.application.applicants.conftest import clock, enterprise  # noqa: F401
