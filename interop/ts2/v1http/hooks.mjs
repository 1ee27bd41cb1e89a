// Module resolution hooks for register.mjs: when interop/ts/client.mjs
// imports the v1 SDK's stdio transport, it gets transport.mjs instead, whose
// own imports resolve from client.mjs's location (interop/ts/node_modules).

const CLIENT = new URL('../../ts/client.mjs', import.meta.url).href;
const SHIM = new URL('./transport.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL === CLIENT && specifier === '@modelcontextprotocol/sdk/client/stdio.js') {
    return { url: SHIM, shortCircuit: true };
  }
  if (context.parentURL === SHIM) {
    return nextResolve(specifier, { ...context, parentURL: CLIENT });
  }
  return nextResolve(specifier, context);
}
