/** Who is calling, as established by the authentication middleware. */
export interface UserCaller {
  kind: 'user'
  team: string
  username: string
  /** How they proved it; the token id lets a route tell "the token in use". */
  credential: { type: 'personal_token'; tokenId: number }
}

export type Caller = UserCaller
