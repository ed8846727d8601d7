"""serverless.yml's media bucket: the public may read media/ and nothing else; the functions
write and check media/ only, and are told the bucket."""

from __future__ import annotations

from tests.support.serverless import load_serverless


def test_media_bucket_is_public_for_media_only() -> None:
    config = load_serverless(tagged=True)
    resources = config["resources"]["Resources"]
    block = resources["MediaBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    (statement,) = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == {"!Sub": "arn:${AWS::Partition}:s3:::${MediaBucket}/media/*"}
    env = config["provider"]["environment"]
    assert env["NEWSLETTER_MEDIA_STORE"] == "s3"
    assert env["NEWSLETTER_MEDIA_S3_BUCKET"] == {"!Ref": "MediaBucket"}
    s3 = [
        s
        for s in config["provider"]["iam"]["role"]["statements"]
        if any(a.startswith("s3:") for a in s["Action"])
    ]
    writes = next(s for s in s3 if "s3:PutObject" in s["Action"])
    assert writes["Resource"] == [{"!Sub": "arn:${AWS::Partition}:s3:::${MediaBucket}/media/*"}]
