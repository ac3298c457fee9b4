import type { Middleware } from '../event.js'

type Hook = NonNullable<Middleware['before']>
type Request = Parameters<Hook>[0]

/**
 * Runs hooks in order as middy does (a value returned, or an `earlyResponse` set, ends the
 * run with it) but awaits only a hook that returns a promise: middy awaits every hook, a
 * turn of the microtask queue each, and most of ours are synchronous.
 */
function runHooks(hooks: readonly Hook[], request: Request, from: number): unknown {
  for (let i = from; i < hooks.length; i++) {
    const hook = hooks[i]
    if (!hook) continue
    const result = hook(request)
    if (result instanceof Promise)
      return result.then((value) =>
        value !== undefined || Object.hasOwn(request, 'earlyResponse')
          ? value
          : runHooks(hooks, request, i + 1),
      )
    if (result !== undefined || Object.hasOwn(request, 'earlyResponse')) return result
  }
  return undefined
}

/**
 * Several middlewares as one, in middy's order: `before` hooks as listed, `after` and
 * `onError` in reverse, exactly as `.use()` of each in turn would run them.
 */
export function chain(name: string, middlewares: readonly Middleware[]): Middleware {
  const before = middlewares.flatMap((m) => (m.before ? [m.before] : []))
  const after = middlewares.flatMap((m) => (m.after ? [m.after] : [])).reverse()
  const onError = middlewares.flatMap((m) => (m.onError ? [m.onError] : [])).reverse()
  return {
    name,
    ...(before.length > 0 && { before: (request) => runHooks(before, request, 0) }),
    ...(after.length > 0 && { after: (request) => runHooks(after, request, 0) }),
    ...(onError.length > 0 && { onError: (request) => runHooks(onError, request, 0) }),
  }
}
