import { type AccessToken, ApiError, call } from '../api.js'
import {
  confirmDialog,
  copyButton,
  errorSlot,
  form,
  h,
  newest,
  numberField,
  time,
  uid,
} from '../dom.js'
import type { Session } from '../session.js'

/** A scope as the API takes it (API.md, Scopes). */
const SCOPE = /^[a-z0-9][a-z0-9_.:/-]{0,99}$/

/** A mistake in the form, found before asking the API, in the API's error shape. */
const invalid = (field: string, message: string) =>
  new ApiError(400, 'invalid_request', 'Some fields are not valid; see above.', [
    { description: field, message },
  ])

/** The create form's extensions, checked as far as the console can before the API does. */
function extensions(values: Record<string, string>) {
  const chosen = (values.scopes ?? '').split(' ').filter(Boolean)
  const other = (values.otherScopes ?? '').split(/[\s,]+/).filter(Boolean)
  const bad = other.find((scope) => !SCOPE.test(scope))
  if (bad)
    throw invalid(
      'otherScopes',
      `has "${bad}", which is not a scope: 1 to 100 lowercase letters, digits, '_', '.', ':', '/' or '-'`,
    )
  const scopes = [...chosen, ...other]
  let meta: Record<string, unknown> | undefined
  if (values.meta) {
    let parsed: unknown
    try {
      parsed = JSON.parse(values.meta)
    } catch (error) {
      throw invalid(
        'meta',
        `is not JSON (${error instanceof Error ? error.message : 'unreadable'})`,
      )
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw invalid('meta', 'must be a JSON object, like {"team": "billing"}')
    meta = parsed as Record<string, unknown>
  }
  const limit = values['rateLimit.limit']
  const window = values['rateLimit.windowSeconds']
  if (Boolean(limit) !== Boolean(window))
    throw invalid(
      limit ? 'rateLimit.windowSeconds' : 'rateLimit.limit',
      'is needed too: a rate limit is a number of requests per a number of seconds',
    )
  return {
    ...(scopes.length > 0 && { scopes }),
    ...(meta && { meta }),
    ...(limit && window && { rateLimit: { limit: Number(limit), windowSeconds: Number(window) } }),
  }
}

const scopesText = (scopes: readonly string[] | null | undefined) =>
  scopes === null || scopes === undefined
    ? 'all its user’s role allows'
    : scopes.length === 0
      ? 'none'
      : scopes
          .map((scope) => h('code', null, scope))
          .flatMap((code, i) => (i ? [' ', code] : [code]))

const rateText = (token: AccessToken) =>
  token.rateLimit ? `${token.rateLimit.limit} per ${token.rateLimit.windowSeconds} s` : 'none'

/** The longest grace an old secret may keep working after a rotation (API.md: 30 days). */
const MAX_GRACE_SECONDS = 2_592_000

/** My tokens: list, create and rotate (the secret shown once), delete one, delete all. */
export function tokensPage(now: Session) {
  const listError = errorSlot(uid('tokens-error'))
  const body = h('tbody')
  const table = h(
    'table',
    null,
    h('caption', null, 'Your personal access tokens'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Name', 'Scopes', 'Rate limit', 'Created', 'Last used', 'Expires', 'Actions'].map(
          (label) => h('th', { scope: 'col' }, label),
        ),
      ),
    ),
    body,
  )
  const empty = h('p', { hidden: true }, 'You have no personal access tokens.')
  const secret = h('div', { class: 'secret-slot' })
  const deleteAllError = errorSlot(uid('delete-all-error'))

  const create = form({
    label: 'Create a token',
    submit: 'Create token',
    className: 'grid',
    more: 'Scopes, meta and rate limit',
    fields: [
      { name: 'name', label: 'Name', required: true, attrs: { maxlength: 50 } },
      {
        name: 'expiresInDays',
        label: 'Expires after (days)',
        type: 'number',
        hint: 'Empty: never.',
        attrs: { min: 1, max: 3650, inputmode: 'numeric' },
      },
      {
        name: 'scopes',
        more: true,
        label: 'Scopes',
        choices: now.scopes,
        hint: 'None chosen: the scopes of this console session (all of these).',
      },
      {
        name: 'otherScopes',
        more: true,
        label: 'Other scopes',
        wide: true,
        hint:
          'Your own APIs’ scopes (or tokens:verify), separated by spaces. This session gives ' +
          'only the scopes it holds (above); for others, use a token that holds them (API or CLI).',
        attrs: { autocapitalize: 'none', spellcheck: 'false', placeholder: 'billing:read' },
      },
      {
        name: 'meta',
        more: true,
        label: 'Meta (JSON object)',
        multiline: true,
        wide: true,
        hint: 'Optional; at most 1 KB. Verify hands it back with the token.',
        attrs: { spellcheck: 'false', placeholder: '{"service": "billing"}' },
      },
      {
        name: 'rateLimit.limit',
        more: true,
        label: 'Rate limit: requests',
        type: 'number',
        hint: 'Empty: no limit.',
        attrs: { min: 1, max: 1000000, inputmode: 'numeric' },
      },
      {
        name: 'rateLimit.windowSeconds',
        more: true,
        label: 'Rate limit: per seconds',
        type: 'number',
        attrs: { min: 1, max: 86400, inputmode: 'numeric' },
      },
    ],
    // A refused scope (403 naming it) is about the scopes asked for.
    locate: (error) =>
      error.code === 'forbidden_error' && /\bscope\b/.test(error.message)
        ? 'otherScopes'
        : undefined,
    onSubmit: async (values) => {
      const days = values.expiresInDays ? Number(values.expiresInDays) : undefined
      const { body: made } = await call('createAccessToken', {
        body: {
          name: values.name ?? '',
          ...(days !== undefined && { expiresInDays: days }),
          ...extensions(values),
        },
      })
      create.reset()
      showSecret(made.token.name, made.accessKey)
      await load()
    },
  })

  function showSecret(name: string, value: string, done = 'created', note?: string) {
    const id = uid('secret')
    const input = h('input', { id, readonly: true, value, class: 'secret', spellcheck: 'false' })
    const dismiss = h(
      'button',
      { type: 'button', onclick: () => secret.replaceChildren() },
      'Done, I copied it',
    )
    secret.replaceChildren(
      h(
        'div',
        { class: 'panel', role: 'region', 'aria-label': 'New token' },
        h('h2', null, `Token "${name}" ${done}`),
        h('p', { class: 'warning' }, 'Copy it now: you will not see this again.'),
        note && h('p', null, note),
        h('label', { for: id }, 'Token'),
        h(
          'div',
          { class: 'row' },
          input,
          copyButton('Copy token', () => value, input),
        ),
        dismiss,
      ),
    )
    input.focus()
    input.select()
  }

  function row(token: AccessToken) {
    const error = errorSlot(uid('token-error'))
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'aria-label': `Delete token ${token.name}`,
        onclick: async () => {
          error.clear()
          const sure = await confirmDialog({
            title: `Delete token "${token.name}"?`,
            body: h('p', null, 'Anything using it stops working at once.'),
            confirm: 'Delete token',
          })
          if (!sure) return
          try {
            await call('deleteAccessToken', { params: { tokenId: String(token.id) } })
            await load()
          } catch (cause) {
            error.show(cause)
          }
        },
      },
      'Delete',
    )
    const rotate = h(
      'button',
      {
        type: 'button',
        'aria-label': `Rotate token ${token.name}`,
        onclick: async () => {
          error.clear()
          const grace = numberField(
            'Old secret keeps working for (seconds)',
            `Empty or 0: it stops at once. At most ${MAX_GRACE_SECONDS} (30 days).`,
            { min: 0, max: MAX_GRACE_SECONDS },
          )
          const sure = await confirmDialog({
            title: `Rotate token "${token.name}"?`,
            body: [
              h('p', null, 'It gets a new secret; its name, scopes and expiry stay.'),
              grace.element,
            ],
            confirm: 'Rotate token',
          })
          if (!sure) return
          const seconds = grace.input.value.trim()
          try {
            const { body: made } = await call('rotateAccessToken', {
              params: { tokenId: String(token.id) },
              ...(seconds && { body: { expireOldInSeconds: Number(seconds) } }),
            })
            const old = Number(seconds)
              ? `The old secret keeps working for ${seconds} seconds.`
              : 'The old secret no longer works.'
            showSecret(made.token.name, made.accessKey, 'rotated', old)
            await load()
          } catch (cause) {
            error.show(cause, true)
          }
        },
      },
      'Rotate',
    )
    const meta = token.meta && Object.keys(token.meta).length > 0 && JSON.stringify(token.meta)
    return h(
      'tr',
      null,
      h(
        'th',
        { scope: 'row' },
        token.name,
        meta && h('span', { class: 'meta' }, 'meta ', h('code', null, meta)),
      ),
      h('td', null, scopesText(token.scopes)),
      h('td', null, rateText(token)),
      h('td', null, time(token.dateCreated)),
      h('td', null, time(token.lastUsed)),
      h('td', null, time(token.expiresAt)),
      h('td', null, h('div', { class: 'row' }, rotate, remove), error.slot),
    )
  }

  const deleteAll = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        deleteAllError.clear()
        const count = body.rows.length
        const sure = await confirmDialog({
          title: 'Delete all your tokens?',
          body: h(
            'p',
            null,
            `All ${count} of your personal access tokens stop working at once. `,
            'This console session stays signed in until it expires.',
          ),
          confirm: `Delete all ${count} tokens`,
        })
        if (!sure) return
        try {
          await call('deleteAllAccessTokens')
          await load()
        } catch (cause) {
          deleteAllError.show(cause)
        }
      },
    },
    'Delete all tokens',
  )

  const loads = newest()
  async function load() {
    const still = loads()
    listError.clear()
    try {
      const { body: answer } = await call('listAccessTokens')
      if (!still()) return
      body.replaceChildren(...answer.tokens.map(row))
      empty.hidden = answer.tokens.length > 0
      table.hidden = answer.tokens.length === 0
      deleteAll.hidden = answer.tokens.length === 0
    } catch (cause) {
      if (still()) listError.show(cause)
    }
  }
  void load()

  const content = h(
    'section',
    null,
    h('h1', null, 'My tokens'),
    h('h2', null, 'Create a token'),
    create.element,
    secret,
    h('h2', null, 'Tokens'),
    listError.slot,
    empty,
    h('div', { class: 'scroll' }, table),
    h('div', { class: 'actions' }, deleteAll),
    deleteAllError.slot,
  )
  return { title: 'My tokens', content }
}
