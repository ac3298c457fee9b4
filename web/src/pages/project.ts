import { call, type EnrollmentTokenView, type ServerView } from '../api.js'
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
  when,
} from '../dom.js'
import type { Session } from '../session.js'
import { pager } from './pager.js'
import { PAGE_SIZE } from './projects.js'

/** A server not heard from for this long is marked stale. */
export const STALE_AFTER_MS = 60 * 60_000

/** One project: its enrollment tokens and its servers. */
export function projectPage(now: Session, project: string) {
  const admin = now.role === 'admin'
  const params = { team: now.team, project }
  const content = h(
    'section',
    null,
    h('p', { class: 'crumbs' }, h('a', { href: '#/projects' }, 'Projects'), ' / ', project),
    h('h1', null, `Project ${project}`),
    enrollmentTokens(params, admin),
    servers(params, admin),
  )
  return { title: `Project ${project}`, content }
}

function enrollmentTokens(params: { team: string; project: string }, admin: boolean) {
  const listError = errorSlot(uid('enrollment-error'))
  const body = h('tbody')
  const empty = h('p', { hidden: true }, 'No enrollment tokens.')
  const table = h(
    'table',
    null,
    h('caption', null, 'Enrollment tokens'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Description', 'Uses left', 'Last use', 'Expires', 'Created', 'Actions'].map((label) =>
          h('th', { scope: 'col' }, label),
        ),
      ),
    ),
    body,
  )
  const pages = pager('Enrollment token pages', load)
  const rotated = h('p', { role: 'status', class: 'notice' })

  function row(token: EnrollmentTokenView) {
    const error = errorSlot(uid('enrollment-row-error'))
    const revealed = h('div', { class: 'reveal', hidden: true })
    const reveal = h(
      'button',
      { type: 'button', 'aria-expanded': 'false', 'aria-label': `Reveal ${token.description}` },
      'Reveal',
    )
    reveal.addEventListener('click', () => {
      const open = revealed.hidden
      revealed.hidden = !open
      reveal.setAttribute('aria-expanded', String(open))
      reveal.textContent = open ? 'Hide' : 'Reveal'
      reveal.setAttribute('aria-label', `${reveal.textContent} ${token.description}`)
      if (!open) return revealed.replaceChildren()
      const id = uid('enrollment-token')
      const input = h('input', {
        id,
        readonly: true,
        value: token.token,
        class: 'secret',
        spellcheck: 'false',
      })
      revealed.replaceChildren(
        h('label', { for: id }, `Token for ${token.description}`),
        h(
          'div',
          { class: 'row' },
          input,
          copyButton('Copy', () => token.token, input),
        ),
      )
      input.focus()
      input.select()
    })
    const left =
      token.max_uses === null || token.max_uses === undefined
        ? `unlimited (${token.uses} used)`
        : `${Math.max(0, token.max_uses - token.uses)} of ${token.max_uses}`
    const remove =
      admin &&
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'aria-label': `Delete enrollment token ${token.description}`,
          onclick: async () => {
            error.clear()
            const sure = await confirmDialog({
              title: `Delete enrollment token "${token.description}"?`,
              body: h(
                'p',
                null,
                'No new server can enroll with it. Servers already enrolled with it stay.',
              ),
              confirm: 'Delete enrollment token',
            })
            if (!sure) return
            try {
              await call('deleteEnrollmentToken', {
                params: { ...params, enrollmentTokenId: token.id },
              })
              await pages.reload()
            } catch (cause) {
              error.show(cause)
            }
          },
        },
        'Delete',
      )
    const rotate =
      admin &&
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Rotate enrollment token ${token.description}`,
          onclick: async () => {
            error.clear()
            const grace = numberField(
              'Old value keeps enrolling for (seconds)',
              'Empty or 0: it stops at once. At most 2592000 (30 days).',
              { min: 0, max: 2_592_000 },
            )
            const sure = await confirmDialog({
              title: `Rotate enrollment token "${token.description}"?`,
              body: [
                h('p', null, 'It gets a new value; servers already enrolled stay.'),
                grace.element,
              ],
              confirm: 'Rotate enrollment token',
            })
            if (!sure) return
            const seconds = grace.input.value.trim()
            try {
              const { body: now } = await call('rotateEnrollmentToken', {
                params: { ...params, enrollmentTokenId: token.id },
                ...(seconds && { body: { expireOldInSeconds: Number(seconds) } }),
              })
              // The row takes the new value from the answer before the notice says so: a
              // notice ahead of a list reload let Reveal show (and Copy copy) the old value.
              const fresh = row(now)
              element.replaceWith(fresh.element)
              fresh.focus()
              rotated.textContent = `"${token.description}" has a new value; ${
                Number(seconds)
                  ? `the old one enrolls for ${seconds} more seconds.`
                  : 'the old one no longer enrolls.'
              }`
            } catch (cause) {
              error.show(cause, true)
            }
          },
        },
        'Rotate',
      )
    const element = h(
      'tr',
      null,
      h('th', { scope: 'row' }, token.description),
      h('td', null, left),
      h('td', null, time(token.last_used_at)),
      h('td', null, time(token.expires_at)),
      h('td', null, time(token.issued_at), ` by ${token.created_by_user}`),
      h('td', null, h('div', { class: 'row' }, reveal, rotate, remove), revealed, error.slot),
    )
    // Keyboard users stay where they were when their row is replaced.
    return { element, focus: () => (rotate || reveal).focus() }
  }

  const loads = newest()
  async function load(cursor: string | undefined) {
    const still = loads()
    listError.clear()
    try {
      const answer = await call('listEnrollmentTokens', {
        params,
        query: { count: String(PAGE_SIZE), ...(cursor && { offset: cursor }) },
      })
      if (!still()) return
      body.replaceChildren(...answer.body.list.map((token) => row(token).element))
      empty.hidden = answer.body.list.length > 0 || cursor !== undefined
      table.hidden = !empty.hidden
      pages.update(answer.next)
    } catch (cause) {
      if (still()) listError.show(cause)
    }
  }
  void load(undefined)

  const create = !admin
    ? undefined
    : form({
        label: 'Create an enrollment token',
        submit: 'Create enrollment token',
        className: 'inline',
        fields: [
          { name: 'description', label: 'Description', required: true, attrs: { maxlength: 255 } },
          {
            name: 'max_uses',
            label: 'Max uses',
            type: 'number',
            hint: 'Empty: unlimited.',
            attrs: { min: 1, max: 1_000_000, inputmode: 'numeric' },
          },
          {
            name: 'expires_in_hours',
            label: 'Expires after (hours)',
            type: 'number',
            hint: 'Empty: never.',
            attrs: { min: 1, max: 8760, inputmode: 'numeric' },
          },
        ],
        onSubmit: async ({ description = '', max_uses, expires_in_hours }) => {
          await call('createEnrollmentToken', {
            params,
            body: {
              description,
              ...(max_uses && { max_uses: Number(max_uses) }),
              ...(expires_in_hours && { expires_in_seconds: Number(expires_in_hours) * 3600 }),
            },
          })
          create?.reset()
          await pages.reload()
        },
      })

  return h(
    'section',
    { 'aria-labelledby': 'enrollment-heading' },
    h('h2', { id: 'enrollment-heading' }, 'Enrollment tokens'),
    h('p', { class: 'hint' }, 'Agents enroll servers into this project with these tokens.'),
    create?.element,
    listError.slot,
    rotated,
    empty,
    h('div', { class: 'scroll' }, table),
    pages.element,
  )
}

function servers(params: { team: string; project: string }, admin: boolean) {
  const listError = errorSlot(uid('servers-error'))
  const body = h('tbody')
  const empty = h('p', { hidden: true }, 'No servers enrolled.')
  const table = h(
    'table',
    null,
    h('caption', null, 'Servers'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Hostname', 'OS', 'Registered', 'Last seen', admin && 'Actions'].map(
          (label) => label && h('th', { scope: 'col' }, label),
        ),
      ),
    ),
    body,
  )
  const pages = pager('Server pages', load)

  function row(server: ServerView) {
    const error = errorSlot(uid('server-row-error'))
    const seen = server.last_seen ?? server.registered_at
    const stale = Date.now() - new Date(seen).getTime() > STALE_AFTER_MS
    return h(
      'tr',
      { class: stale ? 'stale' : null },
      h('th', { scope: 'row' }, server.hostname),
      h('td', null, server.os ?? 'unknown'),
      h('td', null, time(server.registered_at)),
      h(
        'td',
        null,
        time(server.last_seen),
        stale && h('span', { class: 'badge', title: 'Not seen for over an hour' }, ' stale'),
      ),
      admin &&
        h(
          'td',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Delete server ${server.hostname}`,
              onclick: async () => {
                error.clear()
                const sure = await confirmDialog({
                  title: `Delete server "${server.hostname}"?`,
                  body: h(
                    'p',
                    null,
                    `Its server token is revoked at once (registered ${when(server.registered_at)}); `,
                    'to come back it must enroll again.',
                  ),
                  confirm: 'Delete server',
                })
                if (!sure) return
                try {
                  await call('deleteServer', { params: { ...params, serverId: server.id } })
                  await pages.reload()
                } catch (cause) {
                  error.show(cause)
                }
              },
            },
            'Delete',
          ),
          error.slot,
        ),
    )
  }

  const loads = newest()
  async function load(cursor: string | undefined) {
    const still = loads()
    listError.clear()
    try {
      const answer = await call('listServers', {
        params,
        query: { count: String(PAGE_SIZE), ...(cursor && { offset: cursor }) },
      })
      if (!still()) return
      body.replaceChildren(...answer.body.list.map(row))
      empty.hidden = answer.body.list.length > 0 || cursor !== undefined
      table.hidden = !empty.hidden
      pages.update(answer.next)
    } catch (cause) {
      if (still()) listError.show(cause)
    }
  }
  void load(undefined)

  return h(
    'section',
    { 'aria-labelledby': 'servers-heading' },
    h('h2', { id: 'servers-heading' }, 'Servers'),
    h('p', { class: 'hint' }, 'Marked stale: not seen for over an hour.'),
    listError.slot,
    empty,
    h('div', { class: 'scroll' }, table),
    pages.element,
  )
}
