// Runs interop/ts/client.mjs, the handshake-era suite of the official
// TypeScript SDK v1 client, over Streamable HTTP instead of stdio, unchanged:
//
//   node --import ./interop/ts2/v1http/register.mjs interop/ts/client.mjs --suite everything <url>
//
// client.mjs builds a StdioClientTransport({ command, args }) from its
// command line. These module hooks give it, in place of the SDK's stdio
// transport, the same SDK's StreamableHTTPClientTransport to the URL passed
// as the command (see transport.mjs). Nothing else in the script or the SDK
// changes.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
