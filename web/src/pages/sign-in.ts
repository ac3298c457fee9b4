import { ApiError } from '../api.js'
import { form, h } from '../dom.js'
import { signInWithPassword, signInWithToken } from '../session.js'

export function signInPage(done: () => void) {
  const byToken = form({
    label: 'Sign in with a token',
    submit: 'Sign in with token',
    fields: [
      {
        name: 'token',
        label: 'Personal access token',
        type: 'password',
        required: true,
        attrs: { autocomplete: 'off', spellcheck: 'false' },
      },
    ],
    onSubmit: async ({ token = '' }) => {
      await signInWithToken(token)
      done()
    },
  })
  const byPassword = form({
    label: 'Sign in with a password',
    submit: 'Sign in',
    fields: [
      {
        name: 'accountName',
        label: 'Team',
        required: true,
        attrs: { autocomplete: 'organization', autocapitalize: 'none', spellcheck: 'false' },
      },
      {
        name: 'username',
        label: 'Username',
        required: true,
        attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' },
      },
      {
        name: 'password',
        label: 'Password',
        type: 'password',
        required: true,
        attrs: { autocomplete: 'current-password' },
      },
    ],
    onSubmit: async ({ accountName = '', username = '', password = '' }) => {
      try {
        await signInWithPassword(accountName, username, password)
      } catch (error) {
        // Multi-factor users can't use a password here: send them to the token form.
        if (error instanceof ApiError && error.code === 'mfa_required') {
          byToken.focus('token')
          throw new ApiError(
            error.status,
            error.code,
            'This user has multi-factor authentication: sign in with a personal access token instead (below).',
          )
        }
        if (error instanceof ApiError && error.status === 401)
          throw new ApiError(401, error.code, 'Wrong team, username or password.')
        throw error
      }
      done()
    },
  })
  const content = h(
    'section',
    { class: 'sign-in' },
    h('h1', null, 'Sign in to Latchkey'),
    h(
      'p',
      null,
      'Your session lasts up to an hour and lives only in this tab: reloading or closing it signs you out.',
    ),
    h('h2', null, 'With your password'),
    byPassword.element,
    h('h2', null, 'With a personal access token'),
    h(
      'p',
      { class: 'hint' },
      'For users with multi-factor authentication, or without a password. ',
      'An admin can make one: npm run -s latchkey -- token create <team> <user> <name>.',
    ),
    byToken.element,
  )
  return { title: 'Sign in', content }
}
