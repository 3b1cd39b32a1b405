"""The Databricks Terraform provider's schema, offline, and a check of .tf files against it.

`terraform validate` needs the provider binary, which cannot be downloaded here. The cdktf binding
of the provider (generated from provider 1.99.0) carries the same schema in its jsii assembly: every
resource and data source, each block and attribute, which are required and which blocks repeat.
The wheel is downloaded by the Makefile (never installed or imported); this module reads the
assembly out of it, maps it back to Terraform names and checks HCL bodies against it.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from conftest import REPO

WHEELS = REPO / ".tools"
PROVIDER = "databricks"
META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider"}
DOCS_LINK = re.compile(r"docs/(resources|data-sources)/(\w+)#(\w+)")


@dataclass
class Field:
    name: str
    required: bool
    block: str | None = None  # the struct of a nested block; None for an attribute
    repeated: bool = False


@dataclass
class Struct:
    fields: dict[str, Field] = field(default_factory=dict)


@dataclass
class Schema:
    version: str
    resources: dict[str, str]  # "databricks_job" -> fqn of its config struct
    data_sources: dict[str, str]
    computed: dict[str, set[str]]  # "databricks_job" -> attributes readable after apply
    structs: dict[str, Struct]


def _assembly() -> dict:
    wheels = sorted(WHEELS.glob("cdktf_cdktf_provider_databricks-*.whl"))
    assert wheels, f"no provider schema wheel in {WHEELS}: run `make test` (it downloads it)"
    with zipfile.ZipFile(wheels[-1]) as wheel:
        [name] = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(wheel.read(name))) as archive:
            return json.load(archive.extractfile("package/.jsii"))


def _struct_of(kind: dict) -> tuple[str | None, bool]:
    """The nested struct a jsii type denotes (if any), and whether it is a repeated block."""
    for option in kind.get("union", {}).get("types", [kind]):
        if "fqn" in option and option["fqn"].startswith("@cdktf/provider-databricks."):
            return option["fqn"], False
        element = option.get("collection", {})
        if element.get("kind") == "array" and "fqn" in element.get("elementtype", {}):
            return element["elementtype"]["fqn"], True
    return None, False


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def schema() -> Schema:
    assembly = _assembly()
    types = assembly["types"]
    structs: dict[str, Struct] = {}
    resources: dict[str, str] = {}
    data_sources: dict[str, str] = {}
    for fqn, kind in types.items():
        if kind["kind"] != "interface" or not kind.get("datatype"):
            continue
        struct = Struct()
        for prop in kind.get("properties", []):
            docs = prop.get("docs", {})
            link = DOCS_LINK.search(docs.get("summary", "") + docs.get("remarks", ""))
            if not link:
                continue
            section, resource, name = link.groups()
            block, repeated = _struct_of(prop["type"])
            struct.fields[name] = Field(name, not prop.get("optional", False), block, repeated)
            if "cdktf.TerraformMetaArguments" in kind.get("interfaces", []):
                target = resources if section == "resources" else data_sources
                target[f"{PROVIDER}_{resource}"] = fqn
        structs[fqn] = struct
    computed = {}
    for tf_name, config in resources.items():
        klass = types[config.removesuffix("Config")]
        computed[tf_name] = {_snake(p["name"]) for p in klass.get("properties", [])}
    version = re.search(r"databricks/([\d.]+)/docs", json.dumps(types[resources["databricks_job"]]))
    return Schema(version[1], resources, data_sources, computed, structs)


def body_problems(struct_fqn: str, body: dict, where: str) -> list[str]:
    """What in ``body`` (a python-hcl2 block body) the provider would refuse."""
    struct = schema().structs[struct_fqn]
    problems = []
    for key, value in body.items():
        if key == "dynamic":
            for dynamic in value:
                for name, spec in dynamic.items():
                    block = struct.fields.get(name)
                    if block is None or block.block is None:
                        problems.append(f"{where}: dynamic {name!r} is not a block here")
                    else:
                        for content in spec.get("content", []):
                            problems += body_problems(block.block, content, f"{where}.{name}")
            continue
        if key in META_ARGUMENTS or key.startswith("__"):  # "__comments__" from python-hcl2
            continue
        known = struct.fields.get(key)
        if known is None:
            problems.append(f"{where}: unknown attribute or block {key!r}")
        elif (
            known.block is not None
            and isinstance(value, list)
            and value
            and isinstance(value[0], dict)
        ):
            if len(value) > 1 and not known.repeated:
                problems.append(f"{where}: block {key!r} may appear once, found {len(value)}")
            for item in value:
                problems += body_problems(known.block, item, f"{where}.{key}")
    dynamic_names = {name for dynamic in body.get("dynamic", []) for name in dynamic}
    problems += [
        f"{where}: required {name!r} is missing"
        for name, known in struct.fields.items()
        if known.required and name not in body and name not in dynamic_names
    ]
    return problems


REFERENCE = re.compile(r"\b(databricks_\w+)\.(\w+)(?:\[[^\]]*\])?\.(\w+)")


def file_problems(path: Path, document: dict) -> list[str]:
    """Every databricks_* resource and data source of one parsed .tf file, checked."""
    found = schema()
    problems = []
    for section, table in (("resource", found.resources), ("data", found.data_sources)):
        for entry in document.get(section, []):
            for kind, instances in entry.items():
                if not kind.startswith(f"{PROVIDER}_"):
                    continue
                for name, body in instances.items():
                    where = f"{path.name}: {section} {kind}.{name}"
                    if kind not in table:
                        problems.append(f"{where}: provider {found.version} has no {kind}")
                    else:
                        problems += body_problems(table[kind], body, where)
    for kind, _, attribute in REFERENCE.findall(json.dumps(document)):
        known = found.computed.get(kind)
        if known is not None and attribute not in known:
            problems.append(f"{path.name}: {kind} has no attribute {attribute!r}")
    return problems
