#!/usr/bin/env node
// Drives a FastMCP for Go server with the official MCP TypeScript SDK client.
//
// Usage:
//
//   node client.mjs --suite quickstart|everything <command> [args...]
//
// The server is started as <command> [args...] and spoken to over stdio. The
// suite picks the scripted session: "quickstart" for examples/quickstart,
// "everything" for examples/everything. Options go before the command; what
// follows the command is passed to the server untouched.
//
// On standard output: one line of JSON summarising the checks,
//   {"suite":...,"ok":true,"passed":N,"failed":0,"checks":[{"name":...,"ok":true},...]}
// The exit status is 0 when every check passed, 1 when one failed (each
// failure is also explained on standard error), 2 on a usage error.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE = 'usage: node client.mjs --suite quickstart|everything <command> [args...]';

// Every request gets this long; the SDK's default of 60s would make a hung
// server slow to report.
const REQUEST_TIMEOUT_MS = 10_000;
// The whole session gets this long.
const SESSION_TIMEOUT_MS = 60_000;

function usage(message) {
  process.stderr.write(`client.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  let suite;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i++) {
    const arg = argv[i];
    if (arg === '--suite') {
      suite = argv[++i];
    } else if (arg.startsWith('--suite=')) {
      suite = arg.slice('--suite='.length);
    } else if (arg === '--') {
      i++;
      break;
    } else {
      usage(`unknown option ${arg}`);
    }
  }
  if (!suite) usage('missing --suite');
  if (!(suite in SUITES)) usage(`unknown suite ${JSON.stringify(suite)}`);
  if (i >= argv.length) usage('missing the server command');
  return { suite, command: argv[i], args: argv.slice(i + 1) };
}

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

function assertEqual(got, want, what) {
  assert(got === want, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

const opts = { timeout: REQUEST_TIMEOUT_MS };

// How the SDK reports a progress notification it has no handler for.
const UNKNOWN_TOKEN = 'Received a progress notification for an unknown token';

// droppedProgressToken returns the token of a progress notification the SDK
// reported as unknown, or undefined for any other error.
function droppedProgressToken(message) {
  if (!message.startsWith(UNKNOWN_TOKEN + ': ')) return undefined;
  try {
    return JSON.parse(message.slice(UNKNOWN_TOKEN.length + 2)).params?.progressToken;
  } catch {
    return undefined;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// textOf returns the text of the first content block, which must be text.
function textOf(result, what) {
  const first = result.content?.[0];
  assert(first?.type === 'text', `${what}: first content block is ${JSON.stringify(first)}, want text`);
  return first.text;
}

// decodes checks that data is valid base64 and returns the bytes.
function decodeBase64(data, what) {
  assert(typeof data === 'string' && data.length > 0, `${what}: empty base64 data`);
  assert(/^[A-Za-z0-9+/]*={0,2}$/.test(data) && data.length % 4 === 0, `${what}: not valid base64`);
  return Buffer.from(data, 'base64');
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function assertPNG(bytes, what) {
  assert(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${what}: not a PNG image`);
}

// The scripted sessions. Each check is [name, async (session) => {...}]; a
// check fails by throwing.
const SUITES = {
  quickstart: [
    ['initialize', async ({ client }) => {
      const info = client.getServerVersion();
      assertEqual(info?.name, 'Addition', 'serverInfo.name');
      assert(info?.version, 'serverInfo.version is empty');
      assert(client.getServerCapabilities()?.tools, 'tools capability missing');
    }],
    ['tools/list', async ({ client }) => {
      const { tools } = await client.listTools(undefined, opts);
      assertEqual(tools.map((t) => t.name).join(','), 'add', 'tool names');
      const [add] = tools;
      assert(add.description, 'add has no description');
      assertEqual(add.inputSchema.type, 'object', 'add inputSchema.type');
      for (const p of ['a', 'b']) {
        assertEqual(add.inputSchema.properties?.[p]?.type, 'number', `add inputSchema.properties.${p}.type`);
      }
    }],
    ['tools/call add', async ({ client }) => {
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }, undefined, opts);
      assert(!result.isError, `add failed: ${JSON.stringify(result)}`);
      assertEqual(textOf(result, 'add'), '5', 'add(2, 3)');
    }],
    ['tools/call add with invalid arguments', async ({ client }) => {
      const result = await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } }, undefined, opts);
      assertEqual(result.isError, true, 'isError');
      assert(textOf(result, 'add').length > 0, 'error text is empty');
    }],
    ['resources/list and prompts/list', async ({ client }) => {
      const { resources } = await client.listResources(undefined, opts);
      assert(Array.isArray(resources), 'resources is not an array');
      const { prompts } = await client.listPrompts(undefined, opts);
      assert(Array.isArray(prompts), 'prompts is not an array');
    }],
    ['ping', async ({ client }) => {
      await client.ping(opts);
    }],
  ],

  everything: [
    ['initialize', async ({ client }) => {
      const info = client.getServerVersion();
      assert(info?.name && info?.version, `serverInfo ${JSON.stringify(info)}`);
      const caps = client.getServerCapabilities() ?? {};
      assert(caps.tools?.listChanged, 'tools.listChanged not declared');
      assert(caps.resources?.subscribe && caps.resources?.listChanged, 'resources.subscribe/listChanged not declared');
      assert(caps.prompts?.listChanged, 'prompts.listChanged not declared');
      assert(caps.logging && caps.completions, 'logging/completions not declared');
    }],
    ['tools/list', async ({ client }) => {
      const { tools } = await client.listTools(undefined, opts);
      const names = new Set(tools.map((t) => t.name));
      for (const want of [
        'test_simple_text', 'test_image_content', 'test_audio_content', 'test_embedded_resource',
        'test_multiple_content_types', 'test_tool_with_logging', 'test_error_handling',
        'test_tool_with_progress', 'json_schema_2020_12_tool',
      ]) {
        assert(names.has(want), `tool ${want} missing`);
      }
      for (const t of tools) {
        assert(t.description, `tool ${t.name} has no description`);
        assertEqual(t.inputSchema?.type, 'object', `${t.name} inputSchema.type`);
      }
      const schema = tools.find((t) => t.name === 'json_schema_2020_12_tool').inputSchema;
      assertEqual(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', 'json_schema_2020_12_tool $schema');
      assert(schema.$defs?.address, 'json_schema_2020_12_tool $defs.address missing');
      assertEqual(schema.additionalProperties, false, 'json_schema_2020_12_tool additionalProperties');
    }],
    ['tools/call test_simple_text', async ({ client }) => {
      // No arguments member at all, as the conformance suite sends it.
      const result = await client.callTool({ name: 'test_simple_text' }, undefined, opts);
      assert(!result.isError, 'isError');
      assert(textOf(result, 'test_simple_text').length > 0, 'empty text');
    }],
    ['tools/call test_image_content', async ({ client }) => {
      const result = await client.callTool({ name: 'test_image_content', arguments: {} }, undefined, opts);
      const image = result.content.find((c) => c.type === 'image');
      assert(image, `no image content: ${JSON.stringify(result.content)}`);
      assertEqual(image.mimeType, 'image/png', 'mimeType');
      assertPNG(decodeBase64(image.data, 'image'), 'image');
    }],
    ['tools/call test_audio_content', async ({ client }) => {
      const result = await client.callTool({ name: 'test_audio_content', arguments: {} }, undefined, opts);
      const audio = result.content.find((c) => c.type === 'audio');
      assert(audio, `no audio content: ${JSON.stringify(result.content)}`);
      assertEqual(audio.mimeType, 'audio/wav', 'mimeType');
      const bytes = decodeBase64(audio.data, 'audio');
      assert(bytes.subarray(0, 4).toString() === 'RIFF' && bytes.subarray(8, 12).toString() === 'WAVE', 'audio is not a WAV file');
    }],
    ['tools/call test_embedded_resource', async ({ client }) => {
      const result = await client.callTool({ name: 'test_embedded_resource', arguments: {} }, undefined, opts);
      const res = result.content.find((c) => c.type === 'resource')?.resource;
      assert(res?.uri && res?.mimeType && res?.text, `embedded resource ${JSON.stringify(res)}`);
    }],
    ['tools/call test_multiple_content_types', async ({ client }) => {
      const result = await client.callTool({ name: 'test_multiple_content_types', arguments: {} }, undefined, opts);
      const types = result.content.map((c) => c.type);
      for (const want of ['text', 'image', 'resource']) {
        assert(types.includes(want), `content types ${types.join(',')} lack ${want}`);
      }
    }],
    ['tools/call test_tool_with_progress', async ({ client, wire, protocolErrors }) => {
      const progress = [];
      const errorsBefore = protocolErrors.length;
      wire.length = 0;
      const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
        ...opts,
        onprogress: (p) => progress.push(p.progress),
      });
      assert(!result.isError, 'isError');
      // What the server sent: at least 3 increasing notifications carrying
      // the call's token (the SDK uses the request id), all before the
      // response.
      const response = wire.findIndex((m) => m.id !== undefined && m.method === undefined);
      assert(response >= 0, 'response not seen on the wire');
      const token = wire[response].id;
      const sent = wire.slice(0, response)
        .filter((m) => m.method === 'notifications/progress' && Number(m.params.progressToken) === Number(token))
        .map((m) => m.params.progress);
      assert(sent.length >= 3, `server sent ${sent.length} progress notifications before the response, want at least 3`);
      for (let i = 1; i < sent.length; i++) {
        assert(sent[i] > sent[i - 1], `progress not increasing: ${JSON.stringify(sent)}`);
      }
      // What the onprogress callback saw. The SDK dispatches notifications
      // a microtask later than responses, so notifications read in the same
      // chunk of stdout as the response are dropped, each with an "unknown
      // token" error (typescript-sdk issue #2580): how many depends on the
      // client's scheduling, not on the server. So every notification must
      // be accounted for: delivered to onprogress, in order, or dropped by
      // that race.
      const dropped = protocolErrors.slice(errorsBefore)
        .filter((m) => droppedProgressToken(m) === token).length;
      assertEqual(JSON.stringify(progress), JSON.stringify(sent.slice(0, progress.length)), 'onprogress values');
      assert(progress.length + dropped === sent.length,
        `onprogress saw ${JSON.stringify(progress)} and the SDK dropped ${dropped} of ${JSON.stringify(sent)}`);
    }],
    ['tools/call test_tool_with_logging', async ({ client, logs }) => {
      await client.setLoggingLevel('debug', opts);
      const before = logs.length;
      const result = await client.callTool({ name: 'test_tool_with_logging', arguments: {} }, undefined, opts);
      assert(!result.isError, 'isError');
      // The messages precede the response on the wire; give the handlers a
      // moment in case they run after the call's promise resolves.
      for (let waited = 0; logs.length - before < 3 && waited < 1000; waited += 20) {
        await sleep(20);
      }
      const got = logs.slice(before);
      assert(got.length >= 3, `received ${got.length} log notifications, want at least 3`);
      for (const m of got) {
        assert(m.level && m.data !== undefined, `log notification ${JSON.stringify(m)}`);
      }
    }],
    ['tools/call test_error_handling', async ({ client }) => {
      const result = await client.callTool({ name: 'test_error_handling', arguments: {} }, undefined, opts);
      assertEqual(result.isError, true, 'isError');
      assert(textOf(result, 'test_error_handling').length > 0, 'error text is empty');
    }],
    ['tools/call json_schema_2020_12_tool', async ({ client }) => {
      const ok = await client.callTool({
        name: 'json_schema_2020_12_tool',
        arguments: { name: 'Ada', address: { street: '1 Main St', city: 'London' }, contactMethod: 'email', email: 'ada@example.com' },
      }, undefined, opts);
      assert(!ok.isError, `valid arguments refused: ${JSON.stringify(ok)}`);
      const bad = await client.callTool({ name: 'json_schema_2020_12_tool', arguments: { name: 'Ada', extra: 1 } }, undefined, opts);
      assertEqual(bad.isError, true, 'isError for an additional property');
    }],
    ['resources/list', async ({ client }) => {
      const { resources } = await client.listResources(undefined, opts);
      const uris = new Set(resources.map((r) => r.uri));
      for (const want of ['test://static-text', 'test://static-binary', 'test://watched-resource']) {
        assert(uris.has(want), `resource ${want} missing`);
      }
      for (const r of resources) {
        assert(r.name && r.mimeType && r.description, `resource ${JSON.stringify(r)} lacks name, mimeType or description`);
      }
    }],
    ['resources/read test://static-text', async ({ client }) => {
      const { contents } = await client.readResource({ uri: 'test://static-text' }, opts);
      assertEqual(contents[0]?.uri, 'test://static-text', 'uri');
      assertEqual(contents[0]?.mimeType, 'text/plain', 'mimeType');
      assert(contents[0]?.text, 'empty text');
    }],
    ['resources/read test://static-binary', async ({ client }) => {
      const { contents } = await client.readResource({ uri: 'test://static-binary' }, opts);
      assertEqual(contents[0]?.mimeType, 'image/png', 'mimeType');
      assertPNG(decodeBase64(contents[0]?.blob, 'blob'), 'blob');
    }],
    ['resources/read test://template/123/data', async ({ client }) => {
      const { contents } = await client.readResource({ uri: 'test://template/123/data' }, opts);
      assertEqual(contents[0]?.uri, 'test://template/123/data', 'uri');
      assert(contents[0]?.text?.includes('123'), `text ${JSON.stringify(contents[0]?.text)} lacks the id`);
    }],
    ['resources/templates/list', async ({ client }) => {
      const { resourceTemplates } = await client.listResourceTemplates(undefined, opts);
      assert(resourceTemplates.some((t) => t.uriTemplate === 'test://template/{id}/data'), 'template missing');
    }],
    ['resources/subscribe and unsubscribe', async ({ client }) => {
      await client.subscribeResource({ uri: 'test://watched-resource' }, opts);
      await client.unsubscribeResource({ uri: 'test://watched-resource' }, opts);
    }],
    ['prompts/list', async ({ client }) => {
      const { prompts } = await client.listPrompts(undefined, opts);
      const names = new Set(prompts.map((p) => p.name));
      for (const want of ['test_simple_prompt', 'test_prompt_with_arguments', 'test_prompt_with_embedded_resource', 'test_prompt_with_image']) {
        assert(names.has(want), `prompt ${want} missing`);
      }
      for (const p of prompts) {
        assert(p.description, `prompt ${p.name} has no description`);
      }
    }],
    ['prompts/get test_prompt_with_arguments', async ({ client }) => {
      const result = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'testValue1', arg2: 'testValue2' } }, opts);
      const json = JSON.stringify(result.messages);
      assert(json.includes('testValue1') && json.includes('testValue2'), `messages ${json} lack the arguments`);
    }],
    ['prompts/get test_prompt_with_embedded_resource', async ({ client }) => {
      const result = await client.getPrompt({ name: 'test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://example-resource' } }, opts);
      assert(result.messages.some((m) => m.content.type === 'resource'), 'no resource content');
    }],
    ['prompts/get test_prompt_with_image', async ({ client }) => {
      const result = await client.getPrompt({ name: 'test_prompt_with_image' }, opts);
      const image = result.messages.map((m) => m.content).find((c) => c.type === 'image');
      assert(image?.mimeType, 'no image content');
      assertPNG(decodeBase64(image.data, 'image'), 'image');
    }],
    ['completion/complete', async ({ client }) => {
      const result = await client.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'test' },
      }, opts);
      const values = result.completion?.values;
      assert(Array.isArray(values), 'completion.values is not an array');
      assert(values.length >= 1 && values.length <= 100, `${values.length} values`);
      for (const v of values) {
        assert(v.startsWith('test'), `suggestion ${JSON.stringify(v)} does not start with "test"`);
      }
    }],
    ['ping', async ({ client }) => {
      await client.ping(opts);
    }],
  ],
};

async function main() {
  const { suite, command, args } = parseArgs(process.argv.slice(2));
  const checks = [];
  let stderrText = '';

  const finish = (code) => {
    const failed = checks.filter((c) => !c.ok).length;
    const summary = { suite, command, ok: failed === 0 && code === 0, passed: checks.length - failed, failed, checks };
    process.stdout.write(JSON.stringify(summary) + '\n');
    if (!summary.ok && stderrText) {
      process.stderr.write(`--- server stderr ---\n${stderrText}`);
    }
    process.exit(summary.ok ? 0 : 1);
  };
  const fail = (name, err) => {
    const message = err instanceof Error ? err.message : String(err);
    checks.push({ name, ok: false, error: message });
    process.stderr.write(`FAIL ${suite}: ${name}: ${message}\n`);
  };

  setTimeout(() => {
    fail('session', new Error(`did not finish within ${SESSION_TIMEOUT_MS}ms`));
    finish(1);
  }, SESSION_TIMEOUT_MS).unref();

  const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
  transport.stderr?.on('data', (chunk) => { stderrText += chunk; });
  const client = new Client({ name: 'fastmcp-go-interop-ts', version: '1.0.0' }, { capabilities: {} });
  const logs = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params); });
  // Errors the SDK reports outside any request: a response or notification
  // it could not handle.
  const protocolErrors = [];
  client.onerror = (err) => { protocolErrors.push(err?.message ?? String(err)); };

  try {
    await client.connect(transport, opts);
    checks.push({ name: 'connect', ok: true });
  } catch (err) {
    fail('connect', err);
    finish(1);
    return;
  }
  // Record every message from the server, as it arrives, before the SDK
  // handles it.
  const wire = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    wire.push(message);
    deliver?.(message, extra);
  };

  for (const [name, run] of SUITES[suite]) {
    try {
      await run({ client, logs, wire, protocolErrors });
      checks.push({ name, ok: true });
    } catch (err) {
      fail(name, err);
    }
  }

  // The SDK's own race (typescript-sdk issue #2580) is not the server's
  // fault; anything else is.
  const unexpected = protocolErrors.filter((m) => !m.startsWith(UNKNOWN_TOKEN));
  if (unexpected.length === 0) {
    checks.push({ name: 'no protocol errors', ok: true });
  } else {
    fail('no protocol errors', new Error(unexpected.join('; ')));
  }

  try {
    await client.close();
  } catch (err) {
    fail('close', err);
  }
  finish(0);
}

main().catch((err) => {
  process.stderr.write(`client.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
