"""serverless.yml publishes every delivery event; opens and clicks only for tracked lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SERVERLESS_YML = Path(__file__).resolve().parents[2] / "serverless.yml"
DELIVERY = [
    "send",
    "delivery",
    "bounce",
    "complaint",
    "reject",
    "deliveryDelay",
    "renderingFailure",
]


class _Loader(yaml.SafeLoader):
    """CloudFormation short forms (!Ref, !If, ...) read as plain values."""


def _any(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _any)


def test_event_destinations_and_tracking_options() -> None:
    config = yaml.load(SERVERLESS_YML.read_text(), Loader=_Loader)  # noqa: S506
    resources = config["resources"]["Resources"]
    plain = resources["SesBounceComplaintDestination"]["Properties"]
    tracked = resources["SesTrackingDestination"]["Properties"]
    assert plain["ConfigurationSetName"] == "SesConfigurationSet"
    assert plain["EventDestination"]["MatchingEventTypes"] == DELIVERY
    assert tracked["ConfigurationSetName"] == "SesTrackingConfigurationSet"
    assert tracked["EventDestination"]["MatchingEventTypes"] == [*DELIVERY, "open", "click"]
    for destination in (plain, tracked):
        assert destination["EventDestination"]["SnsDestination"] == {
            "TopicARN": "SesNotificationsTopic"
        }
    options = resources["SesTrackingConfigurationSet"]["Properties"]["TrackingOptions"]
    assert options["CustomRedirectDomain"][1] == "TrackingRedirectDomain"
    assert "TrackingOptions" not in resources["SesConfigurationSet"]["Properties"]
    env = config["provider"]["environment"]
    assert env["NEWSLETTER_SES_TRACKING_CONFIGURATION_SET"] == "SesTrackingConfigurationSet"
    assert config["params"]["default"]["trackingRedirectDomain"] == ""
