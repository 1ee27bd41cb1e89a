#!/usr/bin/env node
// Drives a composed FastMCP for Go server (mount_ts_test.go: a server mounted
// at "weather", a tool derived from a mounted one, a disabled tool) with the
// official MCP TypeScript SDK client of either era, over Streamable HTTP:
//
//   node compose.mjs v1 <url>   # @modelcontextprotocol/sdk (interop/ts), handshake era
//   node compose.mjs v2 <url>   # @modelcontextprotocol/client (interop/ts2), 2026-07-28
//
// On standard output: one line per check, "ok <check>" or
// "FAIL <check>: <why>", then one line of JSON,
//   {"sdk":"v1","protocolVersion":"2025-11-25","ok":true,"passed":N,"failed":0}
// The exit status is 0 when every check passed, 1 when one failed, 2 on a
// usage error.

const USAGE = 'usage: node compose.mjs v1|v2 <url>';
const REQUEST_TIMEOUT_MS = 10_000;
const RUN_TIMEOUT_MS = 60_000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

const [sdk, url] = process.argv.slice(2);
if ((sdk !== 'v1' && sdk !== 'v2') || !url) {
  process.stderr.write(`compose.mjs: ${USAGE}\n`);
  process.exit(2);
}

class CheckError extends Error {}
const assert = (cond, message) => { if (!cond) throw new CheckError(message); };
const assertEqual = (got, want, what) => {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  assert(g === w, `${what}: got ${g}, want ${w}`);
};
const textOf = (result) => result?.content?.[0]?.text;

// connect returns an adapter over the SDK of the era: the same calls, whatever
// their signatures.
async function connect() {
  const listChanged = [];
  let waiter = null;
  const onToolsChanged = () => {
    listChanged.push(Date.now());
    if (waiter) waiter();
  };
  const waitToolsChanged = (count) => new Promise((resolve, reject) => {
    if (listChanged.length >= count) return resolve();
    const timer = setTimeout(() => reject(new CheckError(`no tools/list_changed within ${REQUEST_TIMEOUT_MS}ms`)), REQUEST_TIMEOUT_MS);
    waiter = () => {
      if (listChanged.length >= count) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  if (sdk === 'v1') {
    const base = new URL('../ts/node_modules/@modelcontextprotocol/sdk/dist/esm/', import.meta.url);
    const { Client } = await import(new URL('client/index.js', base));
    const { StreamableHTTPClientTransport } = await import(new URL('client/streamableHttp.js', base));
    const { ToolListChangedNotificationSchema } = await import(new URL('types.js', base));
    const client = new Client({ name: 'fastmcp-go-compose-v1', version: '1.0.0' }, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, onToolsChanged);
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport, opts);
    return {
      client,
      protocolVersion: transport.protocolVersion,
      listen: async () => {},
      callTool: (p) => client.callTool(p, undefined, opts),
      waitToolsChanged,
      close: () => client.close(),
    };
  }
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new Client({ name: 'fastmcp-go-compose-v2', version: '1.0.0' }, {
    capabilities: {},
    versionNegotiation: { mode: { pin: '2026-07-28' } },
  });
  client.setNotificationHandler('notifications/tools/list_changed', onToolsChanged);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)), opts);
  return {
    client,
    protocolVersion: '2026-07-28',
    listen: async () => {
      const sub = await client.listen({ toolsListChanged: true }, opts);
      assertEqual(sub.honoredFilter, { toolsListChanged: true }, 'honored filter');
    },
    callTool: (p) => client.callTool(p, opts),
    waitToolsChanged,
    close: () => client.close(),
  };
}

const CHECKS = [
  ['tools/list shows mounted, derived and not disabled tools', async ({ c }) => {
    const { tools } = await c.client.listTools(undefined, opts);
    const names = tools.map((t) => t.name).sort();
    assertEqual(names, ['hello', 'paris_forecast', 'weather_forecast', 'weather_spawn'], 'tools');
    const derived = tools.find((t) => t.name === 'paris_forecast');
    assertEqual(Object.keys(derived.inputSchema.properties ?? {}).sort(), ['n'], 'paris_forecast arguments');
    assertEqual(derived.description, 'The weather in Paris.', 'paris_forecast description');
  }],
  ['tools/call of a mounted tool', async ({ c }) => {
    assertEqual(textOf(await c.callTool({ name: 'weather_forecast', arguments: { city: 'Lima', days: 3 } })), '3 days of sun in Lima', 'result');
  }],
  ['tools/call of a derived tool', async ({ c }) => {
    assertEqual(textOf(await c.callTool({ name: 'paris_forecast', arguments: { n: 2 } })), '2 days of sun in Paris', 'result');
  }],
  ['a disabled tool is unknown', async ({ c }) => {
    let failed = false;
    try {
      const r = await c.callTool({ name: 'weather_whoami' });
      failed = r.isError === true;
    } catch {
      failed = true;
    }
    assert(failed, 'weather_whoami answered');
  }],
  ['resources/templates/list and resources/read through a template', async ({ c }) => {
    const { resourceTemplates } = await c.client.listResourceTemplates(undefined, opts);
    assertEqual(resourceTemplates.map((t) => t.uriTemplate), ['weather+file:///data/{city}/history{?year}'], 'templates');
    const uri = 'weather+file:///data/lima/history?year=2000';
    const { contents } = await c.client.readResource({ uri }, opts);
    assertEqual(contents.map((x) => [x.uri, x.text]), [[uri, 'lima in 2000 (file:///data/lima/history?year=2000)']], 'contents');
  }],
  ['resources/read of a mounted resource', async ({ c }) => {
    const { contents } = await c.client.readResource({ uri: 'weather+file:///data/today' }, opts);
    assertEqual(contents.map((x) => [x.uri, x.text]), [['weather+file:///data/today', 'sunny']], 'contents');
  }],
  ['prompts/get of a mounted prompt', async ({ c }) => {
    const result = await c.client.getPrompt({ name: 'weather_brief', arguments: { city: 'oslo' } }, opts);
    assertEqual(result.messages.map((m) => m.content.text), ['Brief me on oslo'], 'messages');
  }],
  ['completion/complete of a mounted prompt and template', async ({ c }) => {
    for (const ref of [{ type: 'ref/prompt', name: 'weather_brief' }, { type: 'ref/resource', uri: 'weather+file:///data/{city}/history{?year}' }]) {
      const result = await c.client.complete({ ref, argument: { name: 'city', value: 'os' } }, opts);
      assertEqual(result.completion.values, ['oslo'], `values for ${JSON.stringify(ref)}`);
    }
  }],
  ['a tool the mounted server adds is announced and callable', async ({ c }) => {
    await c.listen();
    await c.callTool({ name: 'weather_spawn' });
    await c.waitToolsChanged(1);
    assertEqual(textOf(await c.callTool({ name: 'weather_radar' })), 'radar', 'weather_radar');
  }],
];

async function main() {
  const c = await connect();
  let passed = 0;
  let failed = 0;
  for (const [name, check] of CHECKS) {
    try {
      await check({ c });
      passed++;
      process.stdout.write(`ok ${name}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FAIL ${name}: ${err?.message ?? err}\n`);
    }
  }
  await c.close();
  process.stdout.write(JSON.stringify({ sdk, protocolVersion: c.protocolVersion, ok: failed === 0, passed, failed }) + '\n');
  process.exit(failed === 0 ? 0 : 1);
}

setTimeout(() => {
  process.stdout.write(`FAIL run: not done within ${RUN_TIMEOUT_MS}ms\n`);
  process.exit(1);
}, RUN_TIMEOUT_MS).unref();

main().catch((err) => {
  process.stdout.write(`FAIL run: ${err?.stack ?? err}\n`);
  process.exit(1);
});
