/** What `Query.viewer` resolves to; its fields load the rest through the request context. */
export interface Viewer {
  readonly userId: string;
  readonly sessionId: string;
}
