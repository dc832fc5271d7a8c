// Mints tokens with the official JS generator at fixed signing times.
// stdin: JSON array of cases; stdout: JSON array of tokens (same order).
"use strict";
const { getToken } = require("@aws/bedrock-token-generator");

const RealDate = Date;
let fixedMillis = 0;
class FixedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixedMillis);
    else super(...args);
  }
  static now() {
    return fixedMillis;
  }
}

async function main() {
  const input = require("fs").readFileSync(0, "utf8");
  const cases = JSON.parse(input);
  const out = [];
  globalThis.Date = FixedDate;
  try {
    for (const c of cases) {
      fixedMillis = c.signing_time_millis;
      const credentials = {
        accessKeyId: c.access_key_id,
        secretAccessKey: c.secret_access_key,
      };
      if (c.session_token) credentials.sessionToken = c.session_token;
      out.push(
        await getToken({ credentials, region: c.region, expiresInSeconds: c.expires_secs })
      );
    }
  } finally {
    globalThis.Date = RealDate;
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
