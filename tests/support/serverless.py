"""serverless.yml as the deployment tests read it."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.paths import ROOT

SERVERLESS_YML = ROOT / "serverless.yml"


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node)


class _PlainLoader(yaml.SafeLoader):
    """CloudFormation short forms (!Ref, !If, ...) read as plain values."""


class _TaggedLoader(yaml.SafeLoader):
    """CloudFormation short forms (!Ref, !Sub, ...) read as ``{"!Tag": value}``."""


_PlainLoader.add_multi_constructor("!", lambda loader, _suffix, node: _value(loader, node))
_TaggedLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: {f"!{suffix}": _value(loader, node)}
)


def load_serverless(*, tagged: bool = False) -> dict[str, Any]:
    """serverless.yml as data; CloudFormation short forms become their plain values, or with
    ``tagged`` ``{"!Ref": value}`` and the like (where a test must tell !Ref from !Sub)."""
    loader = _TaggedLoader if tagged else _PlainLoader
    config = yaml.load(SERVERLESS_YML.read_text(), Loader=loader)  # noqa: S506
    assert isinstance(config, dict)
    return config
