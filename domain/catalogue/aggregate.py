"""The published catalogue: departments and versioned, immutable bundle definitions."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.definitions import BundleDef
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor

CATALOGUE_NAMESPACE = uuid5(NAMESPACE_URL, "https://onething.invalid/catalogue")


class Catalogue(Aggregate):
    """The single index of what is published: departments, and each bundle's latest version."""

    class Started(Created):
        """The catalogue was started."""

    class DepartmentDeclared(Recorded):
        """A department was declared, or renamed."""

        code: str
        name: str
        name_en: str

        def apply(self, catalogue: Catalogue) -> None:
            catalogue.departments[self.code] = {"name": self.name, "name_en": self.name_en}

    class BundleListed(Recorded):
        """A bundle's new version was published."""

        code: str
        version: int

        def apply(self, catalogue: Catalogue) -> None:
            catalogue.bundles[self.code] = self.version

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """There is one catalogue; its id is fixed."""
        return uuid5(CATALOGUE_NAMESPACE, "catalogue")

    def __init__(self, actor: Actor, reason: str):
        self.departments: dict[str, dict[str, str]] = {}
        self.bundles: dict[str, int] = {}

    @classmethod
    def start(cls, actor: Actor) -> Catalogue:
        """Start the (empty) catalogue."""
        return cls._create(cls.Started, actor=actor, reason="catalogue started")

    def declare_department(self, code: str, name: str, name_en: str, actor: Actor) -> bool:
        """Declare or rename a department; return False when nothing changed."""
        if self.departments.get(code) == {"name": name, "name_en": name_en}:
            return False
        self.trigger_event(
            self.DepartmentDeclared, code=code, name=name, name_en=name_en, actor=actor, reason=""
        )
        return True

    def list_bundle(self, code: str, version: int, actor: Actor) -> None:
        """Record that ``version`` is now the latest of bundle ``code``."""
        self.trigger_event(self.BundleListed, code=code, version=version, actor=actor, reason="")


class Bundle(Aggregate):
    """A bundle's published versions. A version, once published, never changes."""

    class Registered(Created):
        """The bundle's code was registered."""

        code: str

    class Published(Recorded):
        """A new version of the definition was published."""

        version: int
        definition: dict[str, Any]

        def apply(self, bundle: Bundle) -> None:
            bundle.versions.append(self.definition)

    @staticmethod
    def create_id(code: str, **_: Any) -> UUID:
        """A bundle's id follows from its code, so one code is one aggregate."""
        return uuid5(CATALOGUE_NAMESPACE, f"bundle:{code}")

    def __init__(self, code: str, actor: Actor, reason: str):
        self.code = code
        self.versions: list[dict[str, Any]] = []

    @classmethod
    def register(cls, code: str, actor: Actor) -> Bundle:
        """Register a new bundle code (it has no version until one is published)."""
        return cls._create(cls.Registered, code=code, actor=actor, reason="bundle registered")

    @property
    def latest_version(self) -> int:
        """The number of the newest version (1-based), 0 before the first publication."""
        return len(self.versions)

    def definition(self, version: int | None = None) -> BundleDef:
        """Return the definition of ``version`` (default: the latest)."""
        number = self.latest_version if version is None else version
        if not 1 <= number <= self.latest_version:
            raise KeyError(f"bundle {self.code!r} has no version {number}")
        return BundleDef.from_dict(self.versions[number - 1])

    def publish(self, definition: BundleDef, actor: Actor, reason: str = "") -> bool:
        """Publish ``definition`` as a new version; return False when it equals the latest."""
        data = definition.to_dict()
        if self.versions and self.definition().to_dict() == data:
            return False
        self.trigger_event(
            self.Published, version=self.latest_version + 1, definition=data, actor=actor, reason=reason
        )
        return True
