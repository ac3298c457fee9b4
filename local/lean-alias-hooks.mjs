// Module resolution hooks for local/lean-alias.ts (plain JavaScript: they run in the
// loader's own thread, before any TypeScript loader of the importing process).
const root = new URL('../', import.meta.url).href
const lean = new URL('../shared/aws/lean-dynamodb.ts', import.meta.url).href
const ALIASED = new Set(['@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb'])
const SERVICE = [`${root}shared/`, `${root}functions/`]
const KEPT = [`${root}shared/aws/`, `${root}shared/data/client.ts`]

/** The service's own modules, as a bundle holds them; not the SDK store, not the transport. */
const isService = (url) =>
  SERVICE.some((prefix) => url.startsWith(prefix)) && !KEPT.some((prefix) => url.startsWith(prefix))

export async function resolve(specifier, context, next) {
  const parent = context.parentURL?.split('?')[0]
  if (ALIASED.has(specifier) && parent && isService(parent))
    return { url: lean, shortCircuit: true }
  return next(specifier, context)
}
