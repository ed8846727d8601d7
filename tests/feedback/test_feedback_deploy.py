"""serverless.yml publishes every delivery event; opens and clicks only for tracked lists."""

from __future__ import annotations

from tests.support.serverless import load_serverless

DELIVERY = [
    "send",
    "delivery",
    "bounce",
    "complaint",
    "reject",
    "deliveryDelay",
    "renderingFailure",
]


def test_event_destinations_and_tracking_options() -> None:
    config = load_serverless()
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
