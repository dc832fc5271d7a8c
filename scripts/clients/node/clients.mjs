// The JavaScript clients users run, unchanged, against whatever the environment points
// them at (the Node counterpart of ../clients.py).
//
// Run by `bedrock-token exec --proxy -- node clients.mjs`: each client finds the gateway,
// the client key and the region in the variables exec sets, and nothing else:
//   AnthropicBedrock: ANTHROPIC_BEDROCK_BASE_URL, AWS_BEARER_TOKEN_BEDROCK, AWS_REGION;
//   the AWS SDK: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_REGION, and AWS_BEARER_TOKEN_BEDROCK
//   (its presence alone makes @aws-sdk/client-bedrock-runtime prefer bearer auth over
//   SigV4: NODE_AUTH_SCHEME_PREFERENCE_OPTIONS in @aws-sdk/core, and the token comes from
//   fromEnvSigningName({ signingName: "bedrock" }) in @aws-sdk/token-providers);
//   both trust the gateway's certificate through NODE_EXTRA_CA_CERTS.
// Prints one line per call and exits non-zero if any call fails.

import AnthropicBedrock from "@anthropic-ai/bedrock-sdk";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const PROMPT = "Hello";
const messages = [{ role: "user", content: PROMPT }];
const converseMessages = [{ role: "user", content: [{ text: PROMPT }] }];
const anthropicBody = {
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 16,
  messages,
};

// One client each, built from the environment alone; no retries, so a failure shows at once.
const anthropic = () => new AnthropicBedrock({ maxRetries: 0 });
const aws = () => new BedrockRuntimeClient({ maxAttempts: 1 });

const calls = [
  [
    "anthropic-bedrock",
    async () => {
      const out = await anthropic().messages.create({ model: MODEL, max_tokens: 16, messages });
      return out.content[0].text;
    },
  ],
  [
    "anthropic-bedrock-stream",
    async () => {
      const stream = await anthropic().messages.create({
        model: MODEL,
        max_tokens: 16,
        messages,
        stream: true,
      });
      let text = "";
      for await (const event of stream) {
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
          text += event.delta.text;
        }
      }
      return text;
    },
  ],
  [
    "aws-sdk-converse",
    async () => {
      const out = await aws().send(new ConverseCommand({ modelId: MODEL, messages: converseMessages }));
      return out.output.message.content[0].text;
    },
  ],
  [
    "aws-sdk-converse-stream",
    async () => {
      const out = await aws().send(
        new ConverseStreamCommand({ modelId: MODEL, messages: converseMessages }),
      );
      let text = "";
      for await (const event of out.stream) {
        if (event.contentBlockDelta?.delta?.text) text += event.contentBlockDelta.delta.text;
      }
      return text;
    },
  ],
  [
    "aws-sdk-invoke",
    async () => {
      const out = await aws().send(
        new InvokeModelCommand({
          modelId: MODEL,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify(anthropicBody),
        }),
      );
      return JSON.parse(new TextDecoder().decode(out.body)).content[0].text;
    },
  ],
  [
    "aws-sdk-invoke-stream",
    async () => {
      const out = await aws().send(
        new InvokeModelWithResponseStreamCommand({
          modelId: MODEL,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify(anthropicBody),
        }),
      );
      let text = "";
      for await (const event of out.body) {
        if (!event.chunk) continue;
        const e = JSON.parse(new TextDecoder().decode(event.chunk.bytes));
        if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
      }
      return text;
    },
  ],
];

let failed = 0;
for (const [name, call] of calls) {
  try {
    console.log(`${name} ok: ${await call()}`);
  } catch (e) {
    failed += 1;
    const cause = e?.cause ? ` (cause: ${e.cause.code ?? ""} ${e.cause.message ?? e.cause})` : "";
    console.log(`${name} FAILED: ${e?.name ?? "Error"}: ${e?.message ?? e}${cause}`);
  }
}
process.exit(failed ? 1 : 0);
