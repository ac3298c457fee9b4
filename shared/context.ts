import { type Config, readConfig } from './config.js'
import { createStore, type Store, type Transport } from './data/client.js'

/**
 * What every module below a function's entry works with: the configuration and the
 * clients built from it, once per process. A Lambda container builds it from its
 * environment at cold start (see shared/http/endpoint.ts); the local server, the CLI
 * and the tests build their own from a `Config` they assemble and install it before
 * the first request. No module reads the environment when it loads, so nothing has to
 * write `process.env` before importing anything.
 */
export interface Context {
  config: Config
  store: Store
}

export const createContext = (config: Config, transport?: Transport): Context => ({
  config,
  store: createStore(config, transport),
})

let installed: Context | undefined

/**
 * Makes `context` the process's context. Installing a second, different one is a
 * mistake (half the process would use the old table), so it throws.
 */
export function installContext(context: Context): Context {
  if (installed && installed !== context) throw new Error('a context is installed already')
  installed = context
  return context
}

/** Whether this process has installed its context (e.g. a test running the CLI in its process). */
export const contextInstalled = (): boolean => installed !== undefined

/** The process's context: the one installed, else one built from the environment (Lambda). */
export function context(): Context {
  installed ??= createContext(readConfig(process.env))
  return installed
}

/** The process's configuration (a shorthand for `context().config`). */
export const config = (): Config => context().config
