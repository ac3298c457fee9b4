import { type AccessToken, call } from '../api.js'
import { confirmDialog, copyButton, errorSlot, form, h, time, uid } from '../dom.js'

/** My tokens: list, create (the secret shown once), delete one, delete all. */
export function tokensPage() {
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
        ['Name', 'Created', 'Last used', 'Expires', 'Actions'].map((label) =>
          h('th', { scope: 'col' }, label),
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
    className: 'inline',
    fields: [
      { name: 'name', label: 'Name', required: true, attrs: { maxlength: 50 } },
      {
        name: 'expiresInDays',
        label: 'Expires after (days)',
        type: 'number',
        hint: 'Empty: never.',
        attrs: { min: 1, max: 3650, inputmode: 'numeric' },
      },
    ],
    onSubmit: async ({ name = '', expiresInDays }) => {
      const days = expiresInDays ? Number(expiresInDays) : undefined
      const { body: made } = await call('createAccessToken', {
        body: { name, ...(days !== undefined && { expiresInDays: days }) },
      })
      create.reset()
      showSecret(made.token.name, made.accessKey)
      await load()
    },
  })

  function showSecret(name: string, value: string) {
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
        h('h2', null, `Token "${name}" created`),
        h('p', { class: 'warning' }, 'Copy it now: you will not see this again.'),
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
    return h(
      'tr',
      null,
      h('th', { scope: 'row' }, token.name),
      h('td', null, time(token.dateCreated)),
      h('td', null, time(token.lastUsed)),
      h('td', null, time(token.expiresAt)),
      h('td', null, remove, error.slot),
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

  async function load() {
    listError.clear()
    try {
      const { body: answer } = await call('listAccessTokens')
      body.replaceChildren(...answer.tokens.map(row))
      empty.hidden = answer.tokens.length > 0
      table.hidden = answer.tokens.length === 0
      deleteAll.hidden = answer.tokens.length === 0
    } catch (cause) {
      listError.show(cause)
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
