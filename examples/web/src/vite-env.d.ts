/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's /graphql URL (default http://localhost:4000/graphql). */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
