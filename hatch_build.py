"""A hatchling build hook: the wheel carries a CycloneDX SBOM in `.dist-info/sboms/` (PEP 770).

Made with cyclonedx-python-lib (a build dependency of the wheel target, see pyproject.toml) from
the metadata hatchling is building: the package itself and every runtime dependency it declares,
extras included (each marked with its extra).

What "version" means for a library: a library does not pin its dependencies; the consumer's
resolver picks them within the ranges the wheel declares. So each dependency names the declared
range (the PEP 508 requirement and the same range in purl's `vers:` notation, as properties),
not a version resolved at build time (the isolated build environment has none installed, and a
version resolved here would say nothing about what a user gets).

Reproducible: no clock and no random identifier. The serial number is derived from the content
(a UUID5 of the name, version and requirements); the timestamp is SOURCE_DATE_EPOCH when set,
else 1980-01-01 (the zip format's epoch). Two builds of the same tree give byte-identical SBOMs (and wheels).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SBOM_NAME = "crewai_amp_client.cdx.json"
PROPERTY = "crewai-amp"  # the namespace of this project's CycloneDX properties


def version_range(specifier: Any) -> str:
    """A PEP 440 specifier set as a purl `vers:` range (`vers:pypi/>=0.28|<1`), or `vers:pypi/*`."""
    from packaging.version import Version

    ordered = sorted(specifier, key=lambda spec: (Version(spec.version), spec.operator))
    parts = [f"{spec.operator.replace('==', '=')}{spec.version}" for spec in ordered]
    return "vers:pypi/" + ("|".join(parts) if parts else "*")


def make_sbom(name: str, version: str, requirements: list[str], epoch: str | None) -> str:
    """The SBOM as CycloneDX 1.6 JSON text."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL
    from packaging.requirements import Requirement

    root_purl = PackageURL("pypi", name=name, version=version)
    root = Component(
        name=name, version=version, type=ComponentType.LIBRARY, purl=root_purl, bom_ref=root_purl.to_string()
    )
    components = []
    for line in sorted(requirements):
        requirement = Requirement(line)
        marker = str(requirement.marker) if requirement.marker else ""
        extra = marker.split("extra ==", 1)[1].strip().strip("\"'") if "extra ==" in marker else ""
        if extra and requirement.name == name:
            continue  # `all = [crewai-amp-client[cli,...]]`: the package itself, not a dependency
        purl = PackageURL("pypi", name=requirement.name)
        properties = [
            Property(name=f"{PROPERTY}:requirement", value=str(requirement)),
            Property(name=f"{PROPERTY}:version-range", value=version_range(requirement.specifier)),
        ]
        if extra:
            properties.append(Property(name=f"{PROPERTY}:extra", value=extra))
        components.append(
            Component(
                name=requirement.name,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=f"{purl.to_string()}#{extra or 'runtime'}",
                properties=properties,
            )
        )
    content = "\n".join([name, version, *sorted(requirements)]).encode()
    serial = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:sha256:{hashlib.sha256(content).hexdigest()}")
    timestamp = (
        datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        if epoch
        else datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)
    )
    bom = Bom(serial_number=serial, metadata=BomMetaData(component=root, timestamp=timestamp))
    for component in components:
        bom.components.add(component)
        bom.register_dependency(root, [component])
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    """Writes the SBOM under build/sbom/ and hands it to hatchling's PEP 770 support."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        metadata = self.metadata.core
        requirements = list(metadata.dependencies)
        for extra, reqs in metadata.optional_dependencies.items():
            requirements += [f"{req} ; extra == '{extra}'" if ";" not in req else req for req in reqs]
        text = make_sbom(
            metadata.name, self.metadata.version, requirements, os.environ.get("SOURCE_DATE_EPOCH")
        )
        out = Path(self.root) / "build" / "sbom"
        out.mkdir(parents=True, exist_ok=True)
        (out / SBOM_NAME).write_text(text, "utf-8")
        build_data.setdefault("sbom_files", []).append(f"build/sbom/{SBOM_NAME}")
