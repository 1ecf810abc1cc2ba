/** What a valid bearer token resolves to; attached to the request as `user` by passport. */
export interface AuthenticatedAccount {
  accountId: string;
  tokenId: string;
}
