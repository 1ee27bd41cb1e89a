// Stands in for @modelcontextprotocol/sdk/client/stdio.js when client.mjs runs
// under register.mjs: a StdioClientTransport that is the v1 SDK's own
// StreamableHTTPClientTransport, to the URL given as the server command.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export class StdioClientTransport extends StreamableHTTPClientTransport {
  constructor({ command, args = [] }) {
    let url;
    try {
      url = new URL(command);
    } catch {
      throw new Error(`v1http: the server command must be the server's URL, not ${JSON.stringify(command)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`v1http: ${command} is not an http(s) URL`);
    }
    if (args.length > 0) {
      throw new Error(`v1http: unexpected arguments after the URL: ${JSON.stringify(args)}`);
    }
    super(url);
  }

  // client.mjs collects the server's stderr when there is one; a server
  // reached over HTTP has none here.
  get stderr() {
    return null;
  }
}
