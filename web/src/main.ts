import { h } from './dom.js'
import { projectPage } from './pages/project.js'
import { projectsPage } from './pages/projects.js'
import { signInPage } from './pages/sign-in.js'
import { teamPage } from './pages/team.js'
import { tokensPage } from './pages/tokens.js'
import { session, signOut, whenSignedOut } from './session.js'

/**
 * The console: a hash router over a few pages. Routes live in the fragment, which
 * never reaches a server and never holds anything secret.
 */
const root = document.getElementById('app')
if (!root) throw new Error('index.html has no #app')
const main = h('main', { id: 'main', tabindex: -1 })
const nav = h('nav', { 'aria-label': 'Console' })
const status = h('p', { class: 'notice', role: 'status' })
root.append(
  h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
  h('header', null, h('span', { class: 'brand' }, 'Latchkey'), nav),
  status,
  main,
)

let notice = ''
whenSignedOut((reason) => {
  notice = reason ?? 'Signed out.'
  if (location.hash === '#/tokens' || location.hash === '') void render()
  else location.hash = '#/tokens'
})

export function navigate(hash: string): void {
  if (location.hash === hash) void render()
  else location.hash = hash
}

function links(active: string) {
  const now = session()
  nav.replaceChildren()
  if (!now) return
  const link = (hash: string, label: string) =>
    h('a', { href: hash, 'aria-current': active === hash ? 'page' : null }, label)
  nav.append(
    h(
      'ul',
      null,
      h('li', null, link('#/tokens', 'My tokens')),
      h('li', null, link('#/projects', 'Projects')),
      h('li', null, link('#/team', 'Team')),
    ),
    h(
      'span',
      { class: 'who' },
      `${now.username} (${now.role}) in ${now.team}`,
      h('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
    ),
  )
}

async function render(): Promise<void> {
  const hash = location.hash || '#/tokens'
  status.textContent = notice
  notice = ''
  const now = session()
  let page: { title: string; content: Node }
  if (!now) {
    links('')
    page = signInPage(() => navigate(hash === '#/sign-in' ? '#/tokens' : hash))
  } else {
    const project = /^#\/projects\/([^/]+)$/.exec(hash)
    const active = project ? '#/projects' : hash
    links(active)
    if (hash === '#/projects') page = projectsPage(now)
    else if (project?.[1]) page = projectPage(now, decodeURIComponent(project[1]))
    else if (hash === '#/team') page = teamPage(now)
    else page = tokensPage(now)
  }
  document.title = `${page.title} · Latchkey`
  main.replaceChildren(page.content)
  // Keyboard and screen-reader users land on the new page, not on a stale link.
  const heading = main.querySelector('h1')
  heading?.setAttribute('tabindex', '-1')
  heading?.focus()
}

window.addEventListener('hashchange', () => void render())
void render()
