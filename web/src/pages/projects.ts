import { call, type ProjectView } from '../api.js'
import { confirmDialog, errorSlot, form, h, newest, time, uid } from '../dom.js'
import type { Session } from '../session.js'
import { pager } from './pager.js'

export const PAGE_SIZE = 10

/** Projects: members read, admins also create and delete. */
export function projectsPage(now: Session) {
  const admin = now.role === 'admin'
  const listError = errorSlot(uid('projects-error'))
  const body = h('tbody')
  const empty = h('p', { hidden: true }, 'No projects yet.')
  const table = h(
    'table',
    null,
    h('caption', null, `Projects of team ${now.team}`),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Created'),
        admin && h('th', { scope: 'col' }, 'Actions'),
      ),
    ),
    body,
  )
  const pages = pager('Project pages', load)

  function row(project: ProjectView) {
    const error = errorSlot(uid('project-error'))
    return h(
      'tr',
      null,
      h(
        'th',
        { scope: 'row' },
        h('a', { href: `#/projects/${encodeURIComponent(project.name)}` }, project.name),
      ),
      h('td', null, time(project.created_at)),
      admin &&
        h(
          'td',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Delete project ${project.name}`,
              onclick: async () => {
                error.clear()
                try {
                  if (await confirmProjectDelete(now.team, project.name)) {
                    await call('deleteProject', {
                      params: { team: now.team, project: project.name },
                    })
                    await pages.reload()
                  }
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
      const answer = await call('listProjects', {
        params: { team: now.team },
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

  const create = !admin
    ? undefined
    : form({
        label: 'Create a project',
        submit: 'Create project',
        className: 'inline',
        fields: [
          {
            name: 'name',
            label: 'Name',
            required: true,
            hint: 'Lowercase letters, digits, ".", "_" or "-".',
            attrs: { maxlength: 63, autocapitalize: 'none', spellcheck: 'false' },
          },
        ],
        onSubmit: async ({ name = '' }) => {
          await call('createProject', { params: { team: now.team }, body: { name } })
          create?.reset()
          await pages.reload()
        },
      })

  const content = h(
    'section',
    null,
    h('h1', null, 'Projects'),
    create && [h('h2', null, 'Create a project'), create.element],
    !admin && h('p', { class: 'hint' }, 'Members see projects; admins create and delete them.'),
    h('h2', null, 'All projects'),
    listError.slot,
    empty,
    h('div', { class: 'scroll' }, table),
    pages.element,
  )
  return { title: 'Projects', content }
}

/** Names what goes with the project (its enrollment tokens and servers) before asking. */
async function confirmProjectDelete(team: string, project: string): Promise<boolean> {
  const params = { team, project }
  const query = { count: '1000' }
  const [tokens, servers] = await Promise.all([
    call('listEnrollmentTokens', { params, query }),
    call('listServers', { params, query }),
  ])
  const count = (n: number, more: boolean, one: string, many: string) =>
    `${n}${more ? ' or more' : ''} ${n === 1 ? one : many}`
  return confirmDialog({
    title: `Delete project "${project}"?`,
    body: [
      h(
        'p',
        null,
        'Deleted with it: ',
        count(tokens.body.list.length, !!tokens.next, 'enrollment token', 'enrollment tokens'),
        ' and ',
        count(servers.body.list.length, !!servers.next, 'server', 'servers'),
        '.',
      ),
      h('p', null, 'Its servers are cut off at once and must enroll again. This cannot be undone.'),
    ],
    confirm: `Delete ${project}`,
  })
}
