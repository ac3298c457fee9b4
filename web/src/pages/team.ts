import {
  type Answer,
  type AuditEvent,
  call,
  type TeamToken,
  type TeamUser,
  type TokenPolicyAnswer,
} from '../api.js'
import { type Child, errorSlot, form, h, newest, time, uid } from '../dom.js'
import type { Session } from '../session.js'
import { pager } from './pager.js'
import { PAGE_SIZE } from './projects.js'

/**
 * The team: its token policy (members read it, admins change it) and, for admins,
 * its users, every personal token of the team and the audit trail.
 */
export function teamPage(now: Session) {
  const admin = now.role === 'admin'
  const content = h(
    'section',
    null,
    h('h1', null, `Team ${now.team}`),
    h(
      'dl',
      null,
      h('dt', null, 'Signed in as'),
      h('dd', null, `${now.username} (${now.role})`),
      h('dt', null, 'Session ends'),
      h('dd', null, time(now.expiresAt.toISOString())),
      h('dt', null, 'Session scopes'),
      h('dd', null, codes(now.scopes)),
    ),
    policy(now.team, admin),
    admin && users(now.team),
    admin && teamTokens(now.team),
    admin && audit(now.team),
    !admin && h('p', null, 'Team admins also see the users, all tokens and the audit trail here.'),
  )
  return { title: 'Team', content }
}

const codes = (values: readonly string[]): Child =>
  values.flatMap((value, i) => [i > 0 && ' ', h('code', null, value)])

/** A table with a caption and column headings; rows go in its body. */
function table(caption: string, columns: string[]) {
  const body = h('tbody')
  const element = h(
    'table',
    null,
    h('caption', null, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((label) => h('th', { scope: 'col' }, label)),
      ),
    ),
    body,
  )
  return { element, body }
}

/** A section with a heading its landmark is named by. */
function part(id: string, title: string, ...children: Child[]) {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children)
}

const days = (value: number | null, none: string) => (value === null ? none : `${value} days`)

function policy(team: string, admin: boolean) {
  const error = errorSlot(uid('policy-error'))
  const saved = h('p', { role: 'status', class: 'notice' })
  const shown = h('dl', { class: 'policy' })
  const params = { team }

  function show(answer: TokenPolicyAnswer) {
    shown.replaceChildren(
      h('dt', null, 'Maximum lifetime'),
      h('dd', null, days(answer.maxLifetimeDays, 'no limit')),
      h('dt', null, 'Tokens per user'),
      h('dd', null, `at most ${answer.maxTokensPerUser}`),
      h('dt', null, 'Allowed scopes'),
      h('dd', null, answer.allowedScopes ? codes(answer.allowedScopes) : 'any the role allows'),
      h('dt', null, 'Revoked when unused for'),
      h('dd', null, days(answer.inactiveDays, 'never')),
    )
    if (!edit) return
    const field = (name: string) => edit.element.elements.namedItem(name) as HTMLInputElement
    field('maxLifetimeDays').value = String(answer.maxLifetimeDays ?? '')
    field('maxTokensPerUser').value = String(answer.maxTokensPerUser)
    field('allowedScopes').value = (answer.allowedScopes ?? []).join(' ')
    field('inactiveDays').value = String(answer.inactiveDays ?? '')
  }

  const number = (value: string | undefined) => (value ? Number(value) : null)
  const edit = !admin
    ? undefined
    : form({
        label: 'Token policy',
        submit: 'Save policy',
        className: 'grid',
        fields: [
          {
            name: 'maxLifetimeDays',
            label: 'Maximum lifetime (days)',
            type: 'number',
            hint: 'Empty: no limit.',
            attrs: { min: 1, max: 3650, inputmode: 'numeric' },
          },
          {
            name: 'maxTokensPerUser',
            label: 'Tokens per user',
            type: 'number',
            hint: 'Empty: 1000.',
            attrs: { min: 1, max: 1000, inputmode: 'numeric' },
          },
          {
            name: 'allowedScopes',
            label: 'Allowed scopes',
            wide: true,
            hint: "Separated by spaces. Empty: any scope a member's role allows.",
            attrs: { autocapitalize: 'none', spellcheck: 'false' },
          },
          {
            name: 'inactiveDays',
            label: 'Revoke tokens unused for (days)',
            type: 'number',
            hint: 'Empty: never.',
            attrs: { min: 1, max: 3650, inputmode: 'numeric' },
          },
        ],
        onSubmit: async (values) => {
          saved.textContent = ''
          const scopes = (values.allowedScopes ?? '').split(/[\s,]+/).filter(Boolean)
          const { body } = await call('putTokenPolicy', {
            params,
            body: {
              maxLifetimeDays: number(values.maxLifetimeDays),
              ...(values.maxTokensPerUser && { maxTokensPerUser: Number(values.maxTokensPerUser) }),
              allowedScopes: scopes.length > 0 ? scopes : null,
              inactiveDays: number(values.inactiveDays),
            },
          })
          show(body)
          saved.textContent = 'Policy saved.'
        },
      })

  void call('getTokenPolicy', { params }).then(
    ({ body }) => show(body),
    (cause) => error.show(cause),
  )
  return part(
    uid('policy'),
    'Token policy',
    h(
      'p',
      { class: 'hint' },
      'The rules for every personal token of the team.',
      !admin && ' Only admins change them.',
    ),
    error.slot,
    shown,
    edit && h('h3', null, 'Change the policy'),
    edit?.element,
    saved,
  )
}

/**
 * A paged list: loads a page (with the filters of the moment), fills the table's
 * body, and says when there is nothing.
 */
function pagedList<T>(options: {
  label: string
  empty: string
  fetch: (cursor: string | undefined) => Promise<{ list: T[]; next?: string }>
  row: (item: T) => HTMLTableRowElement
  body: HTMLTableSectionElement
  table: HTMLTableElement
}) {
  const error = errorSlot(uid('list-error'))
  const empty = h('p', { hidden: true }, options.empty)
  const loads = newest()
  const pages = pager(options.label, load)
  function fill(answer: { list: T[]; next?: string }, cursor: string | undefined) {
    options.body.replaceChildren(...answer.list.map(options.row))
    empty.hidden = answer.list.length > 0 || cursor !== undefined
    options.table.hidden = !empty.hidden
  }
  async function load(cursor: string | undefined) {
    const still = loads()
    error.clear()
    try {
      const answer = await options.fetch(cursor)
      if (!still()) return
      fill(answer, cursor)
      pages.update(answer.next)
    } catch (cause) {
      if (still()) error.show(cause)
    }
  }
  void load(undefined)
  return {
    elements: [error.slot, empty, h('div', { class: 'scroll' }, options.table), pages.element],
    /** The first page again, with new filters; throws the API's refusal to the caller. */
    async restart() {
      const still = loads()
      error.clear()
      const answer = await options.fetch(undefined)
      if (!still()) return
      fill(answer, undefined)
      pages.restart(answer.next)
    },
  }
}

const page = (cursor: string | undefined) => ({
  count: String(PAGE_SIZE),
  ...(cursor && { offset: cursor }),
})
const listed = <T>({ body, next }: Answer<'listTeamUsers' | 'listTeamTokens' | 'listAudit'>) => ({
  list: body.list as T[],
  next,
})

function users(team: string) {
  const { element, body } = table('The team’s users', [
    'Username',
    'Role',
    'Created',
    'Password',
    'MFA',
    'Password sign-in',
  ])
  const row = (user: TeamUser) =>
    h(
      'tr',
      null,
      h('th', { scope: 'row' }, user.username),
      h('td', null, user.role),
      h('td', null, time(user.createdAt)),
      h('td', null, user.hasPassword ? 'set' : 'none (tokens only)'),
      h('td', null, user.mfaEnabled ? 'on' : 'off'),
      h(
        'td',
        null,
        user.lockedOut ? h('strong', null, 'locked until ', time(user.lockedUntil)) : 'allowed',
      ),
    )
  const list = pagedList<TeamUser>({
    label: 'User pages',
    empty: 'No users.',
    fetch: async (cursor) =>
      listed<TeamUser>(await call('listTeamUsers', { params: { team }, query: page(cursor) })),
    row,
    body,
    table: element,
  })
  const cli = (line: string) => h('li', null, h('code', null, line))
  return part(
    uid('users'),
    'Users and roles',
    ...list.elements,
    h('p', null, 'Add users and change roles with the admin CLI on the service host:'),
    h(
      'ul',
      { class: 'cli' },
      cli(`npm run -s latchkey -- user create ${team} <user> --role member`),
      cli(`npm run -s latchkey -- user role ${team} <user> admin`),
    ),
  )
}

function teamTokens(team: string) {
  const { element, body } = table('Every personal token of the team, soonest due first', [
    'User',
    'Name',
    'Scopes',
    'Created',
    'Last used',
    'Expires',
  ])
  const row = (token: TeamToken) =>
    h(
      'tr',
      null,
      h('td', null, token.user),
      h('th', { scope: 'row' }, token.name),
      h('td', null, token.scopes ? codes(token.scopes) : 'all the role allows'),
      h('td', null, time(token.created)),
      h('td', null, time(token.lastUsed)),
      h('td', null, time(token.expires)),
    )
  const list = pagedList<TeamToken>({
    label: 'Team token pages',
    empty: 'The team has no personal tokens.',
    fetch: async (cursor) =>
      listed<TeamToken>(await call('listTeamTokens', { params: { team }, query: page(cursor) })),
    row,
    body,
    table: element,
  })
  return part(uid('team-tokens'), 'All tokens', ...list.elements)
}

/** An event's details beyond its team and actor, as `name: value` pairs. */
const details = (event: AuditEvent) =>
  Object.entries(event.detail)
    .filter(([name]) => name !== 'team' && name !== 'actor')
    .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ')

function audit(team: string) {
  const { element, body } = table('The audit trail, newest first', [
    'Time',
    'Event',
    'Actor',
    'Details',
  ])
  const row = (event: AuditEvent) =>
    h(
      'tr',
      null,
      h('td', null, time(event.time)),
      h('th', { scope: 'row' }, event['detail-type']),
      h('td', null, event.detail.actor),
      h('td', { class: 'details' }, details(event)),
    )
  let filters: Record<string, string> = {}
  const list = pagedList<AuditEvent>({
    label: 'Audit pages',
    empty: 'No events match.',
    fetch: async (cursor) =>
      listed<AuditEvent>(
        await call('listAudit', { params: { team }, query: { ...filters, ...page(cursor) } }),
      ),
    row,
    body,
    table: element,
  })
  const filter = form({
    label: 'Filter the audit trail',
    submit: 'Filter',
    className: 'inline',
    fields: [
      {
        name: 'type',
        label: 'Event type',
        hint: 'e.g. AccessTokenDeleted',
        attrs: { autocapitalize: 'none', spellcheck: 'false' },
      },
      { name: 'actor', label: 'Actor', hint: 'a username, or e.g. sweeper' },
      {
        name: 'since',
        label: 'Since (UTC)',
        hint: 'e.g. 2026-11-02T09:00:00Z',
        attrs: { spellcheck: 'false' },
      },
    ],
    onSubmit: async (values) => {
      filters = Object.fromEntries(Object.entries(values).filter(([, value]) => value))
      await list.restart()
    },
  })
  return part(uid('audit'), 'Audit trail', filter.element, ...list.elements)
}
