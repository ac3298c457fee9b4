import { h, when } from '../dom.js'
import type { Session } from '../session.js'

/**
 * The team page shows what the API offers about a team today, and says plainly
 * what it does not (there are no users, policy or audit routes yet).
 */
export function teamPage(now: Session) {
  if (now.role !== 'admin') {
    const content = h(
      'section',
      null,
      h('h1', null, 'Team'),
      h('p', null, 'Only team admins see this page.'),
    )
    return { title: 'Team', content }
  }
  const cli = (line: string) => h('li', null, h('code', null, line))
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
      h('dd', null, when(now.expiresAt.toISOString())),
      h('dt', null, 'Session scopes'),
      h(
        'dd',
        null,
        now.scopes.flatMap((scope, i) => [i > 0 && ' ', h('code', null, scope)]),
      ),
      h('dt', null, 'Who may do what'),
      h(
        'dd',
        null,
        'Members read projects, enrollment tokens and servers; admins also manage them.',
      ),
    ),
    h('h2', null, 'Not in the console yet'),
    h(
      'p',
      null,
      'Latchkey has no API for users and roles, a token policy or the audit trail, so this ',
      'console cannot show them. Manage users with the admin CLI on the service host:',
    ),
    h(
      'ul',
      { class: 'cli' },
      cli(`npm run -s latchkey -- user create ${now.team} <user> --role member`),
      cli(`npm run -s latchkey -- user role ${now.team} <user> admin`),
      cli(`npm run -s latchkey -- user set-password ${now.team} <user> --password-stdin`),
      cli(`npm run -s latchkey -- user mfa ${now.team} <user> on`),
    ),
    h(
      'p',
      null,
      'Every change is also an event (EventBridge on AWS, .latchkey/events.jsonl locally).',
    ),
  )
  return { title: 'Team', content }
}
