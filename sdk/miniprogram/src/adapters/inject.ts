// Injected by esbuild (scripts/build.mjs): every free use of these names in
// the bundle, the PocketBase SDK's included, binds to these exports instead
// of a global, so the bundle needs none of them and defines none.
export { fetch } from "./wx-fetch";
export { FormData } from "./form-data";
export { AbortController } from "./abort-controller";
export { EventSource } from "./event-source";
