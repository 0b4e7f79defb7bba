"""An S3-compatible server for the file-storage tests: moto's server on a
free local port, with one bucket and one IAM user whose keys it checks
(requests signed with any other key are refused, as AWS, OSS and MinIO do).

Prints one JSON line, {"port", "bucket", "access_key_id",
"secret_access_key"}, then serves until killed or stdin closes.
"""

import argparse
import json
import logging
import sys

import boto3
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", default="opcms-test")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    setup = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "setup",
        "aws_secret_access_key": "setup",
    }
    boto3.client("s3", **setup).create_bucket(Bucket=args.bucket)
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="opcms")
    iam.put_user_policy(UserName="opcms", PolicyName="s3", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="opcms")["AccessKey"]
    # From here on every request must be signed with a key moto knows.
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0

    print(
        json.dumps(
            {
                "port": port,
                "bucket": args.bucket,
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
            }
        ),
        flush=True,
    )
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
