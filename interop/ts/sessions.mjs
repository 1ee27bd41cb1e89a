#!/usr/bin/env node
// Drives examples/sessions (FastMCP for Go) with the official MCP TypeScript
// SDK client: sampling, elicitation and roots answered by the client, per
// session state, identity.
//
// Usage:
//
//   node sessions.mjs --user <id>-<role> stdio <command> [args...]
//   node sessions.mjs --user <id>-<role> http <url> <bearer token>
//
// Over stdio the server is started as <command> [args...] with
// FASTMCP_DEMO_USER=<id>-<role>. Over HTTP the client connects to <url> with
// "Authorization: Bearer <token>", which must name the same user.
//
// On standard output: one line of JSON summarising the checks,
//   {"suite":"sessions-stdio","ok":true,"passed":N,"failed":0,"checks":[{"name":...,"ok":true},...]}
// The exit status is 0 when every check passed, 1 when one failed (each
// failure is also explained on standard error), 2 on a usage error.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const USAGE = 'usage: node sessions.mjs --user <id>-<role> stdio <command> [args...] | http <url> <token>';
const REQUEST_TIMEOUT_MS = 10_000;
const SESSION_TIMEOUT_MS = 60_000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

function usage(message) {
  process.stderr.write(`sessions.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  let user;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i++) {
    if (argv[i] === '--user') user = argv[++i];
    else if (argv[i].startsWith('--user=')) user = argv[i].slice('--user='.length);
    else usage(`unknown option ${argv[i]}`);
  }
  if (!user || !user.includes('-')) usage('missing or malformed --user');
  const mode = argv[i++];
  if (mode === 'stdio') {
    if (i >= argv.length) usage('missing the server command');
    return { user, mode, command: argv[i], args: argv.slice(i + 1) };
  }
  if (mode === 'http') {
    if (i + 2 !== argv.length) usage('http needs <url> <token>');
    return { user, mode, url: argv[i], token: argv[i + 1] };
  }
  usage(`unknown transport ${JSON.stringify(mode)}`);
}

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

// canon returns JSON with object keys sorted, so that comparisons ignore
// member order (Go encodes maps with sorted keys).
function canon(v) {
  return JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
    : x));
}

function assertEqual(got, want, what) {
  const g = canon(got);
  const w = canon(want);
  assert(g === w, `${what}: got ${g}, want ${w}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// waitFor polls cond until it holds or the time is up.
async function waitFor(cond, what, ms = 5000) {
  for (let waited = 0; !cond(); waited += 10) {
    assert(waited < ms, `timed out after ${ms}ms waiting for ${what}`);
    await sleep(10);
  }
}

function textOf(result, what) {
  const first = result.content?.[0];
  assert(first?.type === 'text', `${what}: first content block is ${JSON.stringify(first)}, want text`);
  return first.text;
}

// callJSON calls a tool that answers JSON text and decodes it.
async function callJSON(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args }, undefined, opts);
  const text = textOf(result, name);
  assert(!result.isError, `${name} failed: ${text}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckError(`${name}: not JSON: ${text}`);
  }
}

// What the client answers, and what it saw.
const state = {
  roots: [{ uri: 'file:///ts/workspace', name: 'workspace' }],
  rootsRequests: 0,
  sampling: [],
  elicitations: [],
};

function makeClient() {
  const client = new Client(
    { name: 'fastmcp-go-interop-ts-sessions', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
  );
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    state.rootsRequests++;
    return { roots: state.roots };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    state.sampling.push(request.params);
    const prompt = request.params.messages?.[0]?.content?.text ?? '';
    if (prompt === 'refuse') throw new Error('the TypeScript user refused');
    return { role: 'assistant', model: 'ts-llm', stopReason: 'endTurn', content: { type: 'text', text: `ts says: ${prompt}` } };
  });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    state.elicitations.push(request.params);
    const message = request.params.message ?? '';
    if (message.includes('decline')) return { action: 'decline' };
    if (message.includes('cancel')) return { action: 'cancel' };
    return { action: 'accept', content: { confirmed: true, comment: 'from ts' } };
  });
  return client;
}

function checks({ user, mode }) {
  const [id, role] = [user.slice(0, user.indexOf('-')), user.slice(user.indexOf('-') + 1)];
  let sessionId;
  return [
    ['roots fetched after initialized', async () => {
      // The server asks for the roots once the handshake completes.
      await waitFor(() => state.rootsRequests >= 1, 'the server to call roots/list after initialized', 2000);
    }],
    ['whoami', async ({ client, transport }) => {
      const who = await callJSON(client, 'whoami');
      assertEqual(who.userId, id, 'userId');
      assertEqual(who.role, role, 'role');
      assert(typeof who.sessionId === 'string' && who.sessionId.length > 0, `sessionId ${JSON.stringify(who.sessionId)}`);
      if (mode === 'http') assertEqual(who.sessionId, transport.sessionId, 'sessionId vs Mcp-Session-Id');
      sessionId = who.sessionId;
    }],
    ['counter_increment', async ({ client }) => {
      for (let k = 1; k <= 3; k++) {
        const got = await callJSON(client, 'counter_increment');
        assertEqual(got, { sessionId, value: k }, `counter_increment #${k}`);
      }
    }],
    ['session_stats', async ({ client }) => {
      const stats = await callJSON(client, 'session_stats');
      assertEqual(stats.sessionId, sessionId, 'sessionId');
      assertEqual(stats.toolCalls, 5, 'toolCalls (whoami, 3 increments, this call)');
      assert(typeof stats.uptimeMs === 'number' && stats.uptimeMs >= 0, `uptimeMs ${stats.uptimeMs}`);
    }],
    ['list_roots', async ({ client }) => {
      assertEqual(await callJSON(client, 'list_roots'), { roots: state.roots }, 'list_roots');
    }],
    ['roots/list_changed', async ({ client }) => {
      const before = state.rootsRequests;
      state.roots = [...state.roots, { uri: 'file:///ts/extra', name: 'extra' }];
      await client.sendRootsListChanged();
      await waitFor(() => state.rootsRequests > before, 'the server to refetch roots after list_changed');
      assertEqual(await callJSON(client, 'list_roots'), { roots: state.roots }, 'list_roots after the change');
    }],
    ['ask_llm (sampling answered)', async ({ client }) => {
      const result = await client.callTool({ name: 'ask_llm', arguments: { prompt: 'hello from go' } }, undefined, opts);
      assert(!result.isError, `ask_llm failed: ${JSON.stringify(result)}`);
      assertEqual(textOf(result, 'ask_llm'), 'ts says: hello from go', 'ask_llm text');
      const params = state.sampling.at(-1);
      assertEqual(params.maxTokens, 500, 'maxTokens');
      assertEqual(params.messages, [{ role: 'user', content: { type: 'text', text: 'hello from go' } }], 'messages');
    }],
    ['ask_llm (sampling refused)', async ({ client }) => {
      const result = await client.callTool({ name: 'ask_llm', arguments: { prompt: 'refuse' } }, undefined, opts);
      assertEqual(result.isError, true, 'isError');
      assert(textOf(result, 'ask_llm').includes('the TypeScript user refused'), `error text ${textOf(result, 'ask_llm')}`);
    }],
    ['confirm (elicitation accepted)', async ({ client }) => {
      const got = await callJSON(client, 'confirm', { question: 'Deploy now?' });
      assertEqual(got, { action: 'accept', content: { confirmed: true, comment: 'from ts' } }, 'confirm');
      const params = state.elicitations.at(-1);
      assertEqual(params.message, 'Deploy now?', 'message');
      assertEqual(params.requestedSchema?.type, 'object', 'requestedSchema.type');
      assertEqual(params.requestedSchema?.properties?.confirmed?.type, 'boolean', 'confirmed type');
      assertEqual(params.requestedSchema?.required, ['confirmed'], 'required');
    }],
    ['confirm (elicitation declined and cancelled)', async ({ client }) => {
      for (const action of ['decline', 'cancel']) {
        const got = await callJSON(client, 'confirm', { question: `Please ${action}` });
        assertEqual(got, { action, content: null }, `confirm ${action}`);
      }
    }],
    ['ping', async ({ client }) => {
      await client.ping(opts);
    }],
  ];
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const suite = `sessions-${cfg.mode}`;
  const results = [];
  let stderrText = '';

  const finish = (code) => {
    const failed = results.filter((c) => !c.ok).length;
    const summary = { suite, ok: failed === 0 && code === 0, passed: results.length - failed, failed, checks: results };
    process.stdout.write(JSON.stringify(summary) + '\n');
    if (!summary.ok && stderrText) process.stderr.write(`--- server stderr ---\n${stderrText}`);
    process.exit(summary.ok ? 0 : 1);
  };
  const fail = (name, err) => {
    const message = err instanceof Error ? err.message : String(err);
    results.push({ name, ok: false, error: message });
    process.stderr.write(`FAIL ${suite}: ${name}: ${message}\n`);
  };
  setTimeout(() => {
    fail('session', new Error(`did not finish within ${SESSION_TIMEOUT_MS}ms`));
    finish(1);
  }, SESSION_TIMEOUT_MS).unref();

  let transport;
  if (cfg.mode === 'stdio') {
    transport = new StdioClientTransport({
      command: cfg.command,
      args: cfg.args,
      env: { ...process.env, FASTMCP_DEMO_USER: cfg.user },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk) => { stderrText += chunk; });
  } else {
    transport = new StreamableHTTPClientTransport(new URL(cfg.url), {
      requestInit: { headers: { Authorization: `Bearer ${cfg.token}` } },
    });
  }
  const client = makeClient();
  const protocolErrors = [];
  client.onerror = (err) => { protocolErrors.push(err?.message ?? String(err)); };
  try {
    await client.connect(transport, opts);
    results.push({ name: 'connect', ok: true });
  } catch (err) {
    fail('connect', err);
    finish(1);
    return;
  }
  for (const [name, run] of checks(cfg)) {
    try {
      await run({ client, transport });
      results.push({ name, ok: true });
    } catch (err) {
      fail(name, err);
    }
  }
  if (protocolErrors.length === 0) {
    results.push({ name: 'no protocol errors', ok: true });
  } else {
    fail('no protocol errors', new Error(protocolErrors.join('; ')));
  }
  try {
    if (cfg.mode === 'http') await transport.terminateSession();
    await client.close();
  } catch (err) {
    fail('close', err);
  }
  finish(0);
}

main().catch((err) => {
  process.stderr.write(`sessions.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
