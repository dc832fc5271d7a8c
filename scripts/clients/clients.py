"""The clients users run, unchanged, against whatever the environment points them at.

Run by `bedrock-token exec --proxy -- python clients.py`: each client finds the gateway,
the client key and the CA bundle in the variables exec sets, and nothing else. Prints one
line per client and exits non-zero if any call fails.
"""

import os
import sys

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
REGION = os.environ.get("AWS_REGION", "us-west-2")


def boto3_converse():
    import boto3

    # AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_BEARER_TOKEN_BEDROCK, AWS_CA_BUNDLE.
    client = boto3.client("bedrock-runtime", region_name=REGION)
    out = client.converse(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": "Hello"}]}],
    )
    return out["output"]["message"]["content"][0]["text"]


def anthropic_bedrock():
    import anthropic

    # ANTHROPIC_BEDROCK_BASE_URL, AWS_BEARER_TOKEN_BEDROCK, SSL_CERT_FILE.
    client = anthropic.AnthropicBedrock(aws_region=REGION)
    out = client.messages.create(
        model=MODEL,
        max_tokens=16,
        messages=[{"role": "user", "content": "Hello"}],
    )
    return out.content[0].text


def openai_chat():
    import openai

    # The OpenAI-compatible endpoint under the gateway; the client key as the API key.
    client = openai.OpenAI(
        base_url=os.environ["BEDROCK_TOKEN_PROXY_URL"] + "/openai/v1",
        api_key=os.environ["AWS_BEARER_TOKEN_BEDROCK"],
    )
    out = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hello"}],
    )
    return out.choices[0].message.content


def openai_chat_stream():
    import openai

    # The same, streamed: server-sent events, put together from their deltas.
    client = openai.OpenAI(
        base_url=os.environ["BEDROCK_TOKEN_PROXY_URL"] + "/openai/v1",
        api_key=os.environ["AWS_BEARER_TOKEN_BEDROCK"],
    )
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
    )
    return "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def main():
    """Runs every client, or those named as arguments."""
    failed = 0
    clients = [
        ("boto3", boto3_converse),
        ("anthropic-bedrock", anthropic_bedrock),
        ("openai", openai_chat),
        ("openai-stream", openai_chat_stream),
    ]
    wanted = sys.argv[1:]
    for name, call in clients:
        if wanted and name not in wanted:
            continue
        try:
            print(f"{name} ok: {call()}", flush=True)
        except Exception as e:  # report every client, then fail
            failed += 1
            print(f"{name} failed: {type(e).__name__}: {e}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
