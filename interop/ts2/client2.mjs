#!/usr/bin/env node
// Drives examples/everything with the official MCP TypeScript SDK v2 client
// (@modelcontextprotocol/client), speaking the 2026-07-28 revision: no
// initialize handshake, per-request _meta, server/discover, multi round-trip
// requests (input_required), subscriptions/listen.
//
// Usage:
//
//   node client2.mjs http <url>                 # Streamable HTTP, e.g. http://127.0.0.1:8080/mcp
//   node client2.mjs stdio <command> [args...]  # the server as a child process, over stdio
//
// The client is pinned to 2026-07-28 (versionNegotiation: { mode: { pin } }):
// connect() sends server/discover and fails unless the server offers the
// revision; every request then carries the revision's _meta envelope. The
// sampling, elicitation (form and URL) and roots handlers answer the input
// requests of input_required results, which the SDK fulfils and retries on
// its own.
//
// On standard output: one line per check, "ok <check>" or
// "FAIL <check>: <why>", then one line of JSON summarising the run,
//   {"suite":"everything","transport":"http","protocolVersion":"2026-07-28","ok":true,"passed":N,"failed":0}
// The exit status is 0 when every check passed, 1 when one failed, 2 on a
// usage error.

import { Client, LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY, SERVER_INFO_META_KEY, StreamableHTTPClientTransport, SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const USAGE = 'usage: node client2.mjs http <url> | node client2.mjs stdio <command> [args...]';
const PROTOCOL = '2026-07-28';
const SERVER_NAME = 'fastmcp-everything';

// Every request gets this long (the SDK's default is 60s), and so does every
// wait for a notification.
const REQUEST_TIMEOUT_MS = 10_000;
// The whole run gets this long.
const RUN_TIMEOUT_MS = 60_000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

// The methods whose HTTP requests mirror the tool or prompt name, or the
// resource URI, in the Mcp-Name header.
const NAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

// What the handlers answer.
const FORM_ANSWERS = { name: 'Ada', color: 'blue', context: 'the ts2 interop run', ok: true };
const SAMPLING_ANSWERS = { 'What is the capital of France?': 'Paris', 'Write a short greeting': 'Hello there' };
const ROOTS = [
  { uri: 'file:///interop/ts2/a', name: 'a' },
  { uri: 'file:///interop/ts2/b', name: 'b' },
];

function usage(message) {
  process.stderr.write(`client2.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const [transport, target, ...args] = argv;
  if (transport !== 'http' && transport !== 'stdio') usage(`unknown transport ${JSON.stringify(transport)}`);
  if (!target) usage(`missing the server ${transport === 'http' ? 'URL' : 'command'}`);
  if (transport === 'http') {
    if (args.length > 0) usage('unexpected arguments after the URL');
    try {
      new URL(target);
    } catch {
      usage(`invalid URL ${JSON.stringify(target)}`);
    }
  }
  return { transport, target, args };
}

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

function assertEqual(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  assert(g === w, `${what}: got ${g}, want ${w}`);
}

const sorted = (o) => Object.keys(o ?? {}).sort();

// textOf returns the text of the first content block, which must be text.
function textOf(result, what) {
  const first = result?.content?.[0];
  assert(first?.type === 'text', `${what}: first content block is ${JSON.stringify(first)}, want text`);
  return first.text;
}

// A connected client with taps on everything it exchanges.
//
//   wire      every JSON-RPC message, {dir: 'out'|'in', msg}, as the
//             transport sends and receives it (inbound: from connect on)
//   http      every HTTP request the transport makes, with its response status
//   asked     every input request the handlers answered, {method, params}
//   notes     every notification the handlers received
//   errors    what the SDK reported through onerror
class Session {
  constructor(name, { capabilities = {}, handlers = false } = {}) {
    this.name = name;
    this.wire = [];
    this.http = [];
    this.asked = [];
    this.notes = [];
    this.errors = [];
    this.waiters = [];
    this.client = new Client({ name: `fastmcp-go-interop-ts2/${name}`, version: '1.0.0' }, {
      capabilities,
      versionNegotiation: { mode: { pin: PROTOCOL } },
    });
    this.client.onerror = (err) => { this.errors.push(`${name}: ${err?.message ?? String(err)}`); };
    for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed', 'notifications/message']) {
      this.client.setNotificationHandler(method, (n) => this.note(n));
    }
    if (handlers) {
      this.client.setRequestHandler('elicitation/create', async (req) => {
        const p = req.params;
        this.asked.push({ method: 'elicitation/create', params: p });
        if (p.mode === 'url') return { action: 'accept' };
        const content = {};
        for (const key of Object.keys(p.requestedSchema?.properties ?? {})) content[key] = FORM_ANSWERS[key];
        return { action: 'accept', content };
      });
      this.client.setRequestHandler('sampling/createMessage', async (req) => {
        const p = req.params;
        this.asked.push({ method: 'sampling/createMessage', params: p });
        const question = p.messages.at(-1)?.content?.text;
        return { model: 'interop-ts2', role: 'assistant', content: { type: 'text', text: SAMPLING_ANSWERS[question] ?? `no answer for ${question}` } };
      });
      this.client.setRequestHandler('roots/list', async (req) => {
        this.asked.push({ method: 'roots/list', params: req.params });
        return { roots: ROOTS };
      });
    }
  }

  note(n) {
    this.notes.push(n);
    this.waiters = this.waiters.filter((w) => !w.match(n));
  }

  // waitFor resolves with the first notification, received or to come,
  // that pred accepts; it fails after REQUEST_TIMEOUT_MS.
  waitFor(pred, what) {
    const seen = this.notes.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CheckError(`${this.name}: no ${what} within ${REQUEST_TIMEOUT_MS}ms`));
      }, REQUEST_TIMEOUT_MS);
      const waiter = {
        match: (n) => {
          if (!pred(n)) return false;
          clearTimeout(timer);
          resolve(n);
          return true;
        },
      };
      this.waiters.push(waiter);
    });
  }

  async connect(target) {
    let transport;
    if (target.transport === 'http') {
      transport = new StreamableHTTPClientTransport(new URL(target.target), {
        fetch: async (url, init) => {
          const res = await fetch(url, init);
          let body;
          try {
            body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
          } catch {
            body = init?.body;
          }
          this.http.push({ method: init?.method ?? 'GET', headers: new Headers(init?.headers), body, status: res.status, sessionId: res.headers.get('mcp-session-id') });
          return res;
        },
      });
    } else {
      transport = new StdioClientTransport({ command: target.target, args: target.args, stderr: 'pipe' });
      this.stderr = '';
      transport.stderr?.on('data', (chunk) => { this.stderr += chunk; });
    }
    const send = transport.send.bind(transport);
    transport.send = (msg, options) => {
      this.wire.push({ dir: 'out', msg });
      return send(msg, options);
    };
    await this.client.connect(transport, opts);
    const deliver = transport.onmessage;
    transport.onmessage = (msg, extra) => {
      this.wire.push({ dir: 'in', msg });
      deliver?.(msg, extra);
    };
    return this;
  }

  // exchanges returns the requests for method sent from wire index from on,
  // each with its response: [{request, response}].
  exchanges(from, method) {
    const out = [];
    const slice = this.wire.slice(from);
    for (const { dir, msg } of slice) {
      if (dir === 'out' && msg.method === method && msg.id !== undefined) {
        const response = slice.find((m) => m.dir === 'in' && m.msg.method === undefined && m.msg.id === msg.id)?.msg;
        out.push({ request: msg, response });
      }
    }
    return out;
  }

  // lastResponse returns the raw response to the last request for method
  // sent from wire index from on.
  lastResponse(from, method) {
    const ex = this.exchanges(from, method).at(-1);
    assert(ex?.response, `no response to ${method} on the wire`);
    return ex.response;
  }
}

// mrtr runs call, a request that the server answers with input_required
// until the handlers have answered, and checks the rounds on the wire: rounds
// legs in all, each retry on a fresh id echoing the last requestState byte
// for byte and answering exactly the input requests of the last round, the
// last one complete. It returns the result, the legs and what the handlers
// were asked.
async function mrtr(s, method, call, { rounds, firstKeys }) {
  const from = s.wire.length;
  const askedFrom = s.asked.length;
  const result = await call();
  const legs = s.exchanges(from, method);
  assert(legs.length === rounds, `${legs.length} ${method} requests on the wire, want ${rounds} rounds`);
  const ids = new Set();
  legs.forEach(({ request, response }, i) => {
    assert(response, `round ${i + 1}: no response`);
    assert(!ids.has(request.id), `round ${i + 1}: request id ${JSON.stringify(request.id)} reused`);
    ids.add(request.id);
    const r = response.result;
    assert(r, `round ${i + 1}: error response ${JSON.stringify(response.error)}`);
    if (i < legs.length - 1) {
      assertEqual(r.resultType, 'input_required', `round ${i + 1} resultType`);
      assert(typeof r.requestState === 'string' && r.requestState.length > 0, `round ${i + 1}: no requestState`);
      assert(Object.keys(r.inputRequests ?? {}).length > 0, `round ${i + 1}: no inputRequests`);
    } else {
      assertEqual(r.resultType, 'complete', `round ${i + 1} (last) resultType`);
    }
    if (i > 0) {
      const prev = legs[i - 1].response.result;
      const p = request.params;
      assert(p.requestState === prev.requestState, `round ${i + 1}: requestState not echoed byte for byte`);
      assertEqual(sorted(p.inputResponses), sorted(prev.inputRequests), `round ${i + 1} inputResponses keys`);
    }
  });
  if (firstKeys) {
    assertEqual(sorted(legs[0].response.result.inputRequests), [...firstKeys].sort(), 'round 1 inputRequests keys');
  }
  return { result, legs, asked: s.asked.slice(askedFrom) };
}

// The checks, in order. Each is [name, async (ctx) => {...}, {http: true}
// when it only applies over HTTP]; a check fails by throwing.
const CHECKS = [
  ['negotiated 2026-07-28 without a handshake', async ({ s }) => {
    const c = s.client;
    assertEqual(c.getNegotiatedProtocolVersion(), PROTOCOL, 'negotiated protocol version');
    assertEqual(c.getProtocolEra(), 'modern', 'protocol era');
    assertEqual(c.getServerVersion()?.name, SERVER_NAME, 'serverInfo.name (from the discover result _meta)');
    const d = c.getDiscoverResult();
    assert(d?.supportedVersions?.includes(PROTOCOL), `connect-time discover supportedVersions ${JSON.stringify(d?.supportedVersions)}`);
    assert(!s.wire.some((m) => m.dir === 'out' && (m.msg.method === 'initialize' || m.msg.method === 'notifications/initialized')), 'the client sent initialize');
  }],
  ['server/discover', async ({ s }) => {
    const from = s.wire.length;
    const d = await s.client.discover(opts);
    for (const v of [PROTOCOL, '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
      assert(d.supportedVersions?.includes(v), `supportedVersions ${JSON.stringify(d.supportedVersions)} lack ${v}`);
    }
    assert(d.capabilities?.tools?.listChanged, 'capabilities.tools.listChanged missing');
    assert(d.capabilities?.prompts?.listChanged, 'capabilities.prompts.listChanged missing');
    const raw = s.lastResponse(from, 'server/discover').result;
    assertEqual(raw.resultType, 'complete', 'resultType');
    assertEqual(raw._meta?.[SERVER_INFO_META_KEY]?.name, SERVER_NAME, '_meta serverInfo.name');
  }],
  ['tools/list', async ({ s }) => {
    const from = s.wire.length;
    const { tools } = await s.client.listTools(undefined, { ...opts, cacheMode: 'refresh' });
    const names = new Set(tools.map((t) => t.name));
    for (const want of [
      'test_simple_text', 'test_input_required_result_elicitation', 'test_input_required_result_sampling',
      'test_input_required_result_list_roots', 'test_input_required_result_multiple_inputs',
      'test_input_required_result_multi_round', 'test_trigger_tool_change', 'test_trigger_prompt_change',
      'test_logging_tool', 'test_header_params',
    ]) {
      assert(names.has(want), `tool ${want} missing`);
    }
    for (const t of tools) {
      assertEqual(t.inputSchema?.type, 'object', `${t.name} inputSchema.type`);
    }
    const raw = s.lastResponse(from, 'tools/list').result;
    assertEqual(raw.resultType, 'complete', 'resultType');
    assert(typeof raw.ttlMs === 'number' && ['public', 'private'].includes(raw.cacheScope), `cache hints ttlMs ${raw.ttlMs}, cacheScope ${raw.cacheScope}`);
  }],
  ['tools/call test_simple_text', async ({ s }) => {
    const from = s.wire.length;
    const result = await s.client.callTool({ name: 'test_simple_text' }, opts);
    assert(!result.isError, 'isError');
    assertEqual(textOf(result, 'test_simple_text'), 'This is a simple text response for testing.', 'text');
    const raw = s.lastResponse(from, 'tools/call').result;
    assertEqual(raw.resultType, 'complete', 'resultType');
    assertEqual(raw._meta?.[SERVER_INFO_META_KEY]?.name, SERVER_NAME, '_meta serverInfo.name');
  }],
  ['MRTR elicitation (form)', async ({ s }) => {
    const { result, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_elicitation' }, opts),
      { rounds: 2, firstKeys: ['user_name'] });
    assertEqual(textOf(result, 'elicitation'), 'Hello, Ada!', 'text');
    assertEqual(asked.map((a) => a.method), ['elicitation/create'], 'input requests answered');
    const p = asked[0].params;
    assert(p.mode === undefined || p.mode === 'form', `mode ${p.mode}`);
    assertEqual(p.message, 'What is your name?', 'message');
    assertEqual(p.requestedSchema?.properties?.name?.type, 'string', 'requestedSchema.properties.name.type');
  }],
  ['MRTR elicitation (URL mode)', async ({ s }) => {
    const { tools } = await s.client.listTools(undefined, opts);
    assert(tools.some((t) => t.name === 'test_input_required_result_url_elicitation'),
      'examples/everything has no test_input_required_result_url_elicitation fixture (an ElicitParams{Mode: "url", URL: "https://example.com/verify"} returning "URL elicitation: <action>")');
    const { result, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_url_elicitation' }, opts),
      { rounds: 2 });
    assertEqual(textOf(result, 'URL elicitation'), 'URL elicitation: accept', 'text');
    assertEqual(asked.map((a) => a.method), ['elicitation/create'], 'input requests answered');
    const p = asked[0].params;
    assertEqual(p.mode, 'url', 'mode');
    assertEqual(p.url, 'https://example.com/verify', 'url');
    assert(p.message, 'no message');
    assert(!('elicitationId' in p), `the 2026-07-28 input request carries an elicitationId: ${JSON.stringify(p)}`);
  }],
  ['MRTR sampling', async ({ s }) => {
    const { result, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_sampling' }, opts),
      { rounds: 2 });
    assertEqual(textOf(result, 'sampling'), 'The model said: Paris', 'text');
    assertEqual(asked.map((a) => a.method), ['sampling/createMessage'], 'input requests answered');
    assertEqual(asked[0].params.maxTokens, 100, 'maxTokens');
  }],
  ['MRTR roots', async ({ s }) => {
    const { result, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_list_roots' }, opts),
      { rounds: 2 });
    assertEqual(textOf(result, 'roots'), `Roots: ${ROOTS.map((r) => r.uri).join(', ')}`, 'text');
    assertEqual(asked.map((a) => a.method), ['roots/list'], 'input requests answered');
  }],
  ['MRTR multiple inputs in one round', async ({ s }) => {
    const { result, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_multiple_inputs' }, opts),
      { rounds: 2, firstKeys: ['user_name', 'greeting', 'roots'] });
    assertEqual(textOf(result, 'multiple inputs'), `Hello there, Ada (${ROOTS.length} roots)`, 'text');
    assertEqual(asked.map((a) => a.method).sort(), ['elicitation/create', 'roots/list', 'sampling/createMessage'], 'input requests answered');
  }],
  ['MRTR multi round', async ({ s }) => {
    const { result, legs, asked } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_multi_round' }, opts),
      { rounds: 3 });
    assertEqual(textOf(result, 'multi round'), 'Ada likes blue', 'text');
    assertEqual(asked.map((a) => a.params.message), ['What is your name?', 'What is your favourite colour?'], 'questions, one per round');
    const keys = legs.slice(0, 2).map((l) => sorted(l.response.result.inputRequests).join());
    assert(keys[0] !== keys[1], `both rounds asked ${keys[0]}`);
  }],
  ['MRTR handler state across rounds', async ({ s }) => {
    const { result } = await mrtr(s, 'tools/call',
      () => s.client.callTool({ name: 'test_input_required_result_request_state' }, opts),
      { rounds: 2 });
    assertEqual(textOf(result, 'request state'), 'Confirmed ok=true with state-ok', 'text');
  }],
  ['MRTR prompts/get', async ({ s }) => {
    const { result, asked } = await mrtr(s, 'prompts/get',
      () => s.client.getPrompt({ name: 'test_input_required_result_prompt' }, opts),
      { rounds: 2, firstKeys: ['user_context'] });
    assertEqual(asked.map((a) => a.method), ['elicitation/create'], 'input requests answered');
    const text = result.messages?.[0]?.content?.text;
    assertEqual(text, `Answer with this context in mind: ${FORM_ANSWERS.context}`, 'messages[0].content.text');
  }],
  ['MRTR tampered requestState refused (manual mode)', async ({ s }) => {
    const name = 'test_input_required_result_tampered_state';
    const first = await s.client.callTool({ name }, { ...opts, allowInputRequired: true });
    assertEqual(first.resultType, 'input_required', 'resultType of the first round');
    const keys = sorted(first.inputRequests);
    assertEqual(keys.length, 1, 'number of input requests');
    const inputResponses = { [keys[0]]: { action: 'accept', content: { ok: true } } };
    const state = first.requestState;
    const flipped = state.slice(0, -2) + (state.endsWith('AA') ? 'BB' : 'AA');
    let refused;
    try {
      await s.client.callTool({ name, inputResponses, requestState: flipped }, opts);
    } catch (err) {
      refused = err;
    }
    assert(refused, 'a tampered requestState was accepted');
    assertEqual(refused.code, -32602, `error code (${refused.message})`);
    const ok = await s.client.callTool({ name, inputResponses, requestState: state }, opts);
    assertEqual(textOf(ok, 'genuine state'), 'Confirmed ok=true', 'text with the genuine requestState');
  }],
  ['missing client capability (-32021)', async ({ target, open }) => {
    const bare = await open('bare', {});
    try {
      await bare.client.callTool({ name: 'test_input_required_result_sampling' }, opts);
      throw new CheckError('a client without the sampling capability got a result');
    } catch (err) {
      if (err instanceof CheckError) throw err;
      assertEqual(err.code, -32021, `error code (${err.message})`);
      assert(err.data?.requiredCapabilities?.sampling, `error data ${JSON.stringify(err.data)} does not name sampling`);
    }
    if (target.transport === 'http') {
      const post = bare.http.filter((h) => h.body?.method === 'tools/call').at(-1);
      assertEqual(post?.status, 400, 'HTTP status');
    }
  }],
  ['logging only when a log level is requested', async ({ s }) => {
    const run = async (level) => {
      const from = s.wire.length;
      const notesFrom = s.notes.length;
      const params = { name: 'test_logging_tool' };
      if (level) params._meta = { [LOG_LEVEL_META_KEY]: level };
      const result = await s.client.callTool(params, opts);
      assertEqual(textOf(result, 'test_logging_tool'), 'Logging evaluated', 'text');
      // On the wire, the request's log messages precede its response.
      const ex = s.exchanges(from, 'tools/call').at(-1);
      const reqAt = s.wire.indexOf(s.wire.find((m) => m.msg === ex.request));
      const resAt = s.wire.indexOf(s.wire.find((m) => m.msg === ex.response));
      assertEqual(ex.request.params._meta?.[LOG_LEVEL_META_KEY], level, 'logLevel sent in _meta');
      const logs = s.wire.slice(reqAt, resAt).filter((m) => m.dir === 'in' && m.msg.method === 'notifications/message');
      const late = s.wire.slice(resAt).filter((m) => m.dir === 'in' && m.msg.method === 'notifications/message');
      assertEqual(late.length, 0, `log messages after the response (logLevel ${level})`);
      return { logs: logs.map((m) => m.msg.params), notesFrom };
    };
    const none = await run(undefined);
    assertEqual(none.logs.length, 0, 'log messages without a logLevel');
    const errorOnly = await run('error');
    assertEqual(errorOnly.logs.length, 0, 'info messages with logLevel error');
    const info = await run('info');
    assertEqual(info.logs.map((l) => `${l.level}:${l.data}`), ['info:Logging tool started', 'info:Logging tool working', 'info:Logging tool done'], 'log messages with logLevel info');
    // And the SDK hands them to the notifications/message handler.
    const handled = () => s.notes.slice(info.notesFrom).filter((n) => n.method === 'notifications/message').length;
    await s.waitFor(() => handled() >= 3, 'third log message at the handler');
    assertEqual(handled(), 3, 'log messages at the handler');
  }],
  ['x-mcp-header parameter (Mcp-Param-Region)', async ({ s, target }) => {
    await s.client.listTools(undefined, opts);
    const httpFrom = s.http.length;
    const result = await s.client.callTool({ name: 'test_header_params', arguments: { region: 'eu-west-1', query: 'ts2' } }, opts);
    assertEqual(textOf(result, 'test_header_params'), 'region=eu-west-1 query=ts2', 'text');
    if (target.transport === 'http') {
      const posts = s.http.slice(httpFrom);
      assertEqual(posts.map((h) => h.status), [200], 'HTTP statuses');
      assertEqual(posts[0].headers.get('mcp-param-region'), 'eu-west-1', 'Mcp-Param-Region header');
      assertEqual(posts[0].headers.get('mcp-name'), 'test_header_params', 'Mcp-Name header');
    }
  }],
  ['x-mcp-header: a call before tools/list recovers from HeaderMismatch', async ({ open }) => {
    // The SDK sends the call without Mcp-Param-* headers when it has not
    // listed the tools; the server refuses it (400, HeaderMismatch) and the
    // SDK lists the tools and retries with the header.
    const fresh = await open('fresh', {});
    const result = await fresh.client.callTool({ name: 'test_header_params', arguments: { region: 'us-east-2' } }, opts);
    assertEqual(textOf(result, 'test_header_params'), 'region=us-east-2 query=', 'text');
    const calls = fresh.http.filter((h) => h.body?.method === 'tools/call' || h.body?.method === 'tools/list');
    assertEqual(calls.map((h) => `${h.body.method} ${h.status} ${h.headers.get('mcp-param-region')}`),
      ['tools/call 400 null', 'tools/list 200 null', 'tools/call 200 us-east-2'], 'requests');
    const refused = fresh.exchanges(0, 'tools/call')[0]?.response;
    assertEqual(refused?.error?.code, -32020, 'error code of the refused call');
  }, { http: true }],
  ['resources/list and resources/read', async ({ s }) => {
    const { resources } = await s.client.listResources(undefined, opts);
    assert(resources.some((r) => r.uri === 'test://static-text'), 'test://static-text not listed');
    const from = s.wire.length;
    const { contents } = await s.client.readResource({ uri: 'test://static-text' }, { ...opts, cacheMode: 'refresh' });
    assertEqual(contents[0]?.uri, 'test://static-text', 'uri');
    assert(contents[0]?.text, 'empty text');
    const raw = s.lastResponse(from, 'resources/read').result;
    assertEqual(raw.resultType, 'complete', 'resultType');
    assert(typeof raw.ttlMs === 'number' && ['public', 'private'].includes(raw.cacheScope), `cache hints ttlMs ${raw.ttlMs}, cacheScope ${raw.cacheScope}`);
  }],
  ['prompts/list and prompts/get', async ({ s }) => {
    const { prompts } = await s.client.listPrompts(undefined, opts);
    const names = new Set(prompts.map((p) => p.name));
    for (const want of ['test_simple_prompt', 'test_prompt_with_arguments', 'test_input_required_result_prompt']) {
      assert(names.has(want), `prompt ${want} missing`);
    }
    const result = await s.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'one', arg2: 'two' } }, opts);
    const json = JSON.stringify(result.messages);
    assert(json.includes('one') && json.includes('two'), `messages ${json} lack the arguments`);
  }],
  ['subscriptions/listen: list changes reach opted-in listeners only', async ({ s, target, open }) => {
    // Two listeners on this client, told apart by the subscription id the
    // server tags each notification with; over HTTP, two more on clients
    // of their own (their own streams and handlers).
    const from = s.wire.length;
    const subTools = await s.client.listen({ toolsListChanged: true }, opts);
    const subPrompts = await s.client.listen({ promptsListChanged: true }, opts);
    assertEqual(subTools.honoredFilter, { toolsListChanged: true }, 'honored filter (tools)');
    assertEqual(subPrompts.honoredFilter, { promptsListChanged: true }, 'honored filter (prompts)');
    const [idTools, idPrompts] = s.wire.slice(from).filter((m) => m.dir === 'out' && m.msg.method === 'subscriptions/listen').map((m) => m.msg.id);
    assert(idTools !== undefined && idPrompts !== undefined && idTools !== idPrompts, `listen request ids ${idTools}, ${idPrompts}`);
    const tag = (n) => n.params?._meta?.[SUBSCRIPTION_ID_META_KEY];
    const isTools = (n) => n.method === 'notifications/tools/list_changed';
    const isPrompts = (n) => n.method === 'notifications/prompts/list_changed';
    const notesFrom = s.notes.length;

    const others = [];
    if (target.transport === 'http') {
      for (const [name, filter] of [['tools-listener', { toolsListChanged: true }], ['prompts-listener', { promptsListChanged: true }]]) {
        const o = await open(name, {});
        o.sub = await o.client.listen(filter, opts);
        assertEqual(o.sub.honoredFilter, filter, `honored filter (${name})`);
        others.push(o);
      }
    }
    const [toolsListener, promptsListener] = others;

    await s.client.callTool({ name: 'test_trigger_tool_change' }, opts);
    await s.waitFor((n) => isTools(n) && tag(n) === idTools, 'tools/list_changed on the tools subscription');
    if (toolsListener) await toolsListener.waitFor(isTools, 'tools/list_changed on the tools listener');
    await s.client.callTool({ name: 'test_trigger_prompt_change' }, opts);
    await s.waitFor((n) => isPrompts(n) && tag(n) === idPrompts, 'prompts/list_changed on the prompts subscription');
    if (promptsListener) await promptsListener.waitFor(isPrompts, 'prompts/list_changed on the prompts listener');

    // Each stream carries its notifications in order: the prompts change
    // came after the tools change, so a tools notification for the prompts
    // listeners would have arrived by now.
    const mine = s.notes.slice(notesFrom).filter((n) => isTools(n) || isPrompts(n));
    for (const n of mine) {
      const want = isTools(n) ? idTools : idPrompts;
      assert(tag(n) === want, `${n.method} delivered for subscription ${JSON.stringify(tag(n))}, want only ${JSON.stringify(want)}`);
    }
    if (toolsListener) {
      assert(!toolsListener.notes.some(isPrompts), 'the tools-only listener received prompts/list_changed');
      assert(!promptsListener.notes.some(isTools), 'the prompts-only listener received tools/list_changed');
    }

    const subs = [subTools, subPrompts, ...others.map((o) => o.sub)];
    await Promise.all(subs.map((sub) => sub.close()));
    assertEqual(await Promise.all(subs.map((sub) => sub.closed)), subs.map(() => 'local'), 'how the subscriptions ended');
  }],
  ['every request carries the 2026-07-28 _meta', async ({ sessions }) => {
    for (const o of sessions) {
      for (const { dir, msg } of o.wire) {
        if (dir !== 'out' || msg.method === undefined || msg.id === undefined) continue;
        const meta = msg.params?._meta ?? {};
        assert(meta[PROTOCOL_VERSION_META_KEY] === PROTOCOL, `${o.name}: ${msg.method} has protocolVersion ${JSON.stringify(meta[PROTOCOL_VERSION_META_KEY])}`);
        assert(typeof meta[CLIENT_CAPABILITIES_META_KEY] === 'object', `${o.name}: ${msg.method} lacks clientCapabilities`);
      }
    }
  }],
  ['HTTP: sessionless, with the request metadata headers', async ({ sessions }) => {
    for (const o of sessions) {
      for (const h of o.http) {
        assert(h.method === 'POST', `${o.name}: ${h.method} request (the revision has no GET stream and no DELETE)`);
        assert(h.sessionId === null, `${o.name}: the server sent Mcp-Session-Id ${h.sessionId}`);
        assert(!h.headers.has('mcp-session-id'), `${o.name}: the client sent Mcp-Session-Id`);
        // The headers mirror requests; notifications (here the
        // notifications/cancelled that closes a subscription) need none.
        const msg = h.body;
        if (msg?.method === undefined || msg.id === undefined) continue;
        assertEqual(h.headers.get('mcp-protocol-version'), PROTOCOL, `${o.name}: ${msg.method} MCP-Protocol-Version header`);
        assertEqual(h.headers.get('mcp-method'), msg.method, `${o.name}: Mcp-Method header`);
        if (NAMED_METHODS.has(msg.method)) {
          const name = msg.method === 'resources/read' ? msg.params.uri : msg.params.name;
          assertEqual(h.headers.get('mcp-name'), name, `${o.name}: ${msg.method} Mcp-Name header`);
        }
      }
    }
  }, { http: true }],
];

async function main() {
  const target = parseArgs(process.argv.slice(2));
  const checks = [];
  const sessions = [];
  let negotiated;

  const finish = (code) => {
    const failed = checks.filter((c) => !c.ok).length;
    const summary = {
      suite: 'everything',
      transport: target.transport,
      protocolVersion: negotiated ?? null,
      ok: failed === 0 && code === 0,
      passed: checks.length - failed,
      failed,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
    if (!summary.ok) {
      for (const o of sessions) {
        if (o.stderr) process.stderr.write(`--- server stderr (${o.name}) ---\n${o.stderr}`);
      }
    }
    process.exit(summary.ok ? 0 : 1);
  };
  const pass = (name) => {
    checks.push({ name, ok: true });
    process.stdout.write(`ok ${name}\n`);
  };
  const fail = (name, err) => {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    checks.push({ name, ok: false, error: message });
    process.stdout.write(`FAIL ${name}: ${message}\n`);
  };

  setTimeout(() => {
    fail('run', new Error(`did not finish within ${RUN_TIMEOUT_MS}ms`));
    finish(1);
  }, RUN_TIMEOUT_MS).unref();

  const open = async (name, options) => {
    const o = new Session(name, options);
    sessions.push(o);
    return o.connect(target);
  };

  let s;
  try {
    s = await open('main', { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} }, handlers: true });
    negotiated = s.client.getNegotiatedProtocolVersion();
    pass('connect');
  } catch (err) {
    fail('connect', err);
    finish(1);
    return;
  }

  for (const [name, run, only] of CHECKS) {
    if (only?.http && target.transport !== 'http') continue;
    try {
      await run({ s, target, open, sessions });
      pass(name);
    } catch (err) {
      fail(name, err);
    }
  }

  const errors = sessions.flatMap((o) => o.errors);
  if (errors.length === 0) {
    pass('no protocol errors');
  } else {
    fail('no protocol errors', new Error(errors.join('; ')));
  }

  try {
    await Promise.all(sessions.map((o) => o.client.close()));
    pass('close');
  } catch (err) {
    fail('close', err);
  }
  finish(0);
}

main().catch((err) => {
  process.stderr.write(`client2.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
