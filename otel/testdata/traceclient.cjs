// Calls one tool of an MCP server over Streamable HTTP with the official
// TypeScript SDK client (@modelcontextprotocol/sdk, v1), sending W3C trace
// context in the request's params._meta as SEP-414 describes, and prints one
// line of JSON: {"traceId", "spanId", "result"}.
//
// Usage: NODE_PATH=interop/ts/node_modules node traceclient.cjs <url> <tool>
'use strict';
const crypto = require('node:crypto');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

async function main() {
  const [url, tool] = process.argv.slice(2);
  if (!url || !tool) {
    throw new Error('usage: node traceclient.cjs <url> <tool>');
  }
  // The client's own span, as an instrumented client would start it.
  const traceId = crypto.randomBytes(16).toString('hex');
  const spanId = crypto.randomBytes(8).toString('hex');
  const client = new Client({ name: 'otel-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const result = await client.callTool({
    name: tool,
    arguments: {},
    _meta: { traceparent: `00-${traceId}-${spanId}-01` },
  });
  await client.close();
  process.stdout.write(JSON.stringify({ traceId, spanId, result }) + '\n');
}

setTimeout(() => {
  process.stderr.write('traceclient.cjs: timed out\n');
  process.exit(1);
}, 30_000).unref();

main().catch((err) => {
  process.stderr.write(`traceclient.cjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
