"""Warm AWS executor worker for the ASHapp assistant (see docs/adr/0011-warm-executor.md).

Runs under the AWS CLI v2's own Python interpreter and imports the botocore the CLI ships with
(Debian: /usr/lib/python3/dist-packages/awscli/botocore), so every call is made by the same code the CLI
would run, without paying the CLI's start-up per request.

Protocol: one JSON object per line on stdin, one JSON object per line on stdout.
  start-up  -> {"ready": true, "botocore": "<version>", "pid": <pid>}
  request   <- {"id", "service" (botocore name), "operation" (model name), "params", "region",
                "credentials": {"accessKeyId", "secretAccessKey", "sessionToken"?},
                "query"?, "dryRun"?, "maxOutputBytes"}
  answer    -> {"id", "ok": true, "stdout": "<what `aws ... --output json` prints>"}
            or {"id", "ok": false, "exitCode": <the CLI's exit code>, "stderr": "<the CLI's error text>"}
            or {"id", "ok": false, "tooLarge": true}

What the worker never does: read credentials from anywhere but the request (the parent gives it no AWS_*
credentials, and config/credentials files are /dev/null), keep a client or credentials after a request,
take an endpoint from a request (only ASHAPP_WARM_ENDPOINT_URL, set by the operator's configuration),
read or write local files for a parameter, or run a shell.
"""

import base64
import binascii
import json
import os
import sys

# Importing awscli first installs its alias so that `botocore` is the copy the CLI ships with.
import awscli  # noqa: F401
import botocore
import botocore.client
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, NoRegionError, ParamValidationError
from botocore.utils import parse_timestamp
import jmespath

from awscli.utils import json_encoder

# The CLI's exit codes (awscli/constants.py): 252 parameter errors, 253 configuration, 254 AWS errors,
# 255 anything else.
PARAM_VALIDATION_ERROR_RC = 252
CONFIGURATION_ERROR_RC = 253
CLIENT_ERROR_RC = 254
GENERAL_ERROR_RC = 255

# The CLI injects a page size into these EC2 calls when it paginates (awscli/customizations/ec2/paginate.py)
# and only when no other parameter than these is given.
EC2_PAGE_SIZE_OPERATIONS = {
    'DescribeVolumes': [],
    'DescribeSnapshots': ['OwnerIds', 'RestorableByUserIds'],
}
EC2_PAGE_SIZE_WHITELIST = ['NextToken', 'DryRun', 'PaginationConfig']


def iso_timestamp(value):
    # The CLI's default cli_timestamp_format "iso8601" (awscli/customizations/timestampformat.py).
    return parse_timestamp(value).isoformat()


def identity(value):
    return value


class InvalidBase64(Exception):
    pass


def decode_blobs(value, shape):
    """Decodes base64 blob inputs at any depth, as the CLI v2's default cli_binary_format=base64 does."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == 'structure' and isinstance(value, dict):
        return {
            name: decode_blobs(member, shape.members.get(name)) for name, member in value.items()
        }
    if kind == 'list' and isinstance(value, list):
        return [decode_blobs(item, shape.member) for item in value]
    if kind == 'map' and isinstance(value, dict):
        return {key: decode_blobs(item, shape.value) for key, item in value.items()}
    if kind == 'blob' and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidBase64('Invalid base64: "%s"' % value)
    return value


def cache_client_classes():
    """Builds each service's client class once instead of on every call (about 20 ms for EC2).

    A client class holds the operation methods generated from the model and nothing else; credentials live
    on each client instance (its request signer), so a fresh client per call still holds only that call's
    credentials. If botocore's internals ever differ, calls simply go uncached.
    """
    creator = getattr(botocore.client, 'ClientCreator', None)
    original = getattr(creator, '_create_client_class', None)
    if original is None:
        return
    classes = {}

    def create_client_class(self, service_name, service_model):
        key = (service_name, service_model.api_version)
        if key not in classes:
            classes[key] = original(self, service_name, service_model)
        return classes[key]

    creator._create_client_class = create_client_class


def create_base_session():
    session = botocore.session.Session()
    factory = session.get_component('response_parser_factory')
    # Timestamps printed as ISO 8601 strings and blobs left as their base64 wire text, as the CLI prints them.
    factory.set_parser_defaults(timestamp_parser=iso_timestamp, blob_parser=identity)
    return session


def input_tokens(paginator_config):
    tokens = paginator_config.get('input_token', [])
    if not isinstance(tokens, list):
        tokens = [tokens]
    names = list(tokens)
    if 'limit_key' in paginator_config:
        names.append(paginator_config['limit_key'])
    return names


def should_paginate(session, client, service, operation, py_operation, params):
    """The CLI auto-paginates unless the caller gave one of the operation's own paging members."""
    if not client.can_paginate(py_operation):
        return False
    config = session.get_paginator_model(service).get_paginator(operation)
    return not any(name in params for name in input_tokens(config))


def render_cli_json(response, query):
    # awscli/formatter.py: ResponseMetadata removed (unless the response carries Errors), --query applied,
    # nothing printed for an empty structure, json.dump with indent=4, datetimes as ISO 8601.
    if isinstance(response, dict) and 'Errors' not in response:
        response.pop('ResponseMetadata', None)
    if query is not None:
        response = query.search(response)
    if response == {}:
        return ''
    return json.dumps(response, indent=4, default=json_encoder, ensure_ascii=False) + '\n'


def call(session, endpoint_url, request):
    credentials = request['credentials']
    service = request['service']
    operation = request['operation']
    params = request.get('params') or {}
    query = jmespath.compile(request['query']) if request.get('query') else None
    # A fresh client per request, holding only this request's credentials; dropped when the call ends.
    client = session.create_client(
        service,
        region_name=request['region'],
        endpoint_url=endpoint_url,
        aws_access_key_id=credentials['accessKeyId'],
        aws_secret_access_key=credentials['secretAccessKey'],
        aws_session_token=credentials.get('sessionToken') or None,
        config=Config(user_agent_extra='ashapp-warm-executor'),
    )
    try:
        operation_model = client.meta.service_model.operation_model(operation)
        params = decode_blobs(params, operation_model.input_shape)
        if request.get('dryRun'):
            params = dict(params, DryRun=True)
        py_operation = botocore.xform_name(operation)
        if should_paginate(session, client, service, operation, py_operation, params):
            pagination = {}
            whitelist = EC2_PAGE_SIZE_OPERATIONS.get(operation) if service == 'ec2' else None
            if whitelist is not None and all(
                name in whitelist + EC2_PAGE_SIZE_WHITELIST for name in params
            ):
                pagination['PageSize'] = 1000
            paginator = client.get_paginator(py_operation)
            if pagination:
                params = dict(params, PaginationConfig=pagination)
            response = paginator.paginate(**params).build_full_result()
        else:
            response = getattr(client, py_operation)(**params)
        return render_cli_json(response, query)
    finally:
        close = getattr(client, 'close', None)
        if close is not None:
            close()


def answer(message):
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def main():
    endpoint_url = os.environ.get('ASHAPP_WARM_ENDPOINT_URL') or None
    cache_client_classes()
    session = create_base_session()
    # Build the clients of the services most asked about once (placeholder keys, never used for a call),
    # so the first request does not pay for loading their models.
    for name in ('ec2', 'sts', 's3', 'logs'):
        try:
            session.create_client(
                name, region_name='us-east-1', endpoint_url=endpoint_url,
                aws_access_key_id='warm-up', aws_secret_access_key='warm-up',
            )
        except Exception:
            pass
    answer({'ready': True, 'botocore': botocore.__version__, 'pid': os.getpid()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get('id')
            stdout = call(session, endpoint_url, request)
            limit = int(request.get('maxOutputBytes') or 0)
            if limit and len(stdout.encode('utf-8')) > limit:
                answer({'id': request_id, 'ok': False, 'tooLarge': True})
            else:
                answer({'id': request_id, 'ok': True, 'stdout': stdout})
        except ClientError as error:
            answer({'id': request_id, 'ok': False, 'exitCode': CLIENT_ERROR_RC, 'stderr': '\n' + str(error) + '\n'})
        except (ParamValidationError, InvalidBase64, jmespath.exceptions.JMESPathError) as error:
            answer({'id': request_id, 'ok': False, 'exitCode': PARAM_VALIDATION_ERROR_RC, 'stderr': '\n' + str(error) + '\n'})
        except NoRegionError as error:
            answer({'id': request_id, 'ok': False, 'exitCode': CONFIGURATION_ERROR_RC, 'stderr': '\n' + str(error) + '\n'})
        except Exception as error:  # the CLI's general handler prints the error text and exits 255
            answer({'id': request_id, 'ok': False, 'exitCode': GENERAL_ERROR_RC, 'stderr': '\n' + str(error) + '\n'})


if __name__ == '__main__':
    main()
